package org.raddraft.dicom;

import java.io.IOException;

/**
 * The peer broke the upper layer protocol (PS3.8 section 9): an unexpected or unrecognized PDU, or a
 * PDU whose fields do not add up. The association is aborted with {@link #abortReason()}.
 */
final class PduException extends IOException {

    private static final long serialVersionUID = 1L;

    // A-ABORT reason/diag when the source is the service provider (PS3.8 Table 9-26)
    static final int UNRECOGNIZED_PDU = 1;
    static final int UNEXPECTED_PDU = 2;
    static final int INVALID_PDU_PARAMETER_VALUE = 6;

    private final int abortReason;

    PduException(int abortReason, String message) {
        super(message);
        this.abortReason = abortReason;
    }

    static PduException invalid(String message) {
        return new PduException(INVALID_PDU_PARAMETER_VALUE, message);
    }

    static PduException unexpected(String message) {
        return new PduException(UNEXPECTED_PDU, message);
    }

    int abortReason() {
        return abortReason;
    }
}
