package org.raddraft.dicom;

/**
 * Thrown by a route step to make the SCP answer a C-STORE with a specific DIMSE status instead of
 * success. The message becomes the Error Comment (0000,0902) of the C-STORE-RSP (cut to 64
 * characters, the LO limit).
 */
public class DicomStatusException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Refused: Out of Resources. */
    public static final int OUT_OF_RESOURCES = 0xA700;
    /** Error: Data Set does not match SOP Class. */
    public static final int DATA_SET_DOES_NOT_MATCH_SOP_CLASS = 0xA900;
    /** Error: Cannot understand (0xC000-0xCFFF range). */
    public static final int CANNOT_UNDERSTAND = 0xC000;
    /** Failure: Processing failure. */
    public static final int PROCESSING_FAILURE = 0x0110;
    /** Failure: Duplicate SOP Instance (PS3.7 C.4): here, the UID is stored already with other content. */
    public static final int DUPLICATE_SOP_INSTANCE = 0x0111;

    private final int status;

    /**
     * @param status DIMSE status, 0x0001..0xFFFF (0x0000 success cannot be thrown)
     * @param errorComment short reason for the SCU's log; no patient data
     */
    public DicomStatusException(int status, String errorComment) {
        super(errorComment);
        if (status <= 0 || status > 0xFFFF) {
            throw new IllegalArgumentException("DIMSE status must be 0x0001..0xFFFF, got 0x" + Integer.toHexString(status));
        }
        this.status = status;
    }

    public static DicomStatusException outOfResources(String errorComment) {
        return new DicomStatusException(OUT_OF_RESOURCES, errorComment);
    }

    public static DicomStatusException cannotUnderstand(String errorComment) {
        return new DicomStatusException(CANNOT_UNDERSTAND, errorComment);
    }

    public static DicomStatusException processingFailure(String errorComment) {
        return new DicomStatusException(PROCESSING_FAILURE, errorComment);
    }

    public int status() {
        return status;
    }

    /** The status as 4 hex digits, as DICOM people write it (A700, C000). */
    public String statusHex() {
        return String.format("%04X", status);
    }
}
