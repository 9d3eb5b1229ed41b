package org.raddraft.dicom;

public class DicomStatusException extends Exception {
    private final int status;

    public DicomStatusException(int status, String comment) {
        super(comment);
        this.status = status;
    }

    public int status() {
        return status;
    }

    public static DicomStatusException cannotUnderstand(String comment) {
        return new DicomStatusException(0xC000, comment);
    }
}
