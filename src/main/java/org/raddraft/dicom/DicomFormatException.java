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

    /**
     * RadDraft's wording for a file a third-party parser or decoder gave up on. The library's own
     * message is not used: it can quote the data set (a patient's name read as a tag, length or
     * transfer syntax) and would reach a C-STORE Error Comment, a study's reason and the log. Only the
     * exception's type is named; the cause is kept for a debugger (issue 24).
     */
    public static DicomFormatException unreadable(String what, Throwable cause) {
        String why = cause instanceof java.io.EOFException ? "the data ends before an element it declares ends"
                : "not well-formed DICOM";
        return new DicomFormatException(what + ": " + why + " (" + cause.getClass().getSimpleName() + ")", cause);
    }
}
