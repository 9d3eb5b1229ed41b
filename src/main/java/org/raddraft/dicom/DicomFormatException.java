package org.raddraft.dicom;

public class DicomFormatException extends Exception {
    public DicomFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
