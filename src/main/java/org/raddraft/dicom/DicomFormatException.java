package org.raddraft.dicom;

/** A file or data set that is not a readable DICOM object, or lacks an attribute RadDraft needs. */
public class DicomFormatException extends Exception {

    private static final long serialVersionUID = 1L;

    public DicomFormatException(String message) {
        super(message);
    }

    public DicomFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
