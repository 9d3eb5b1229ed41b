package org.raddraft.dicom;

import java.io.IOException;

/** The peer sent an A-ABORT: the association is gone, nothing is answered. */
final class PeerAbortException extends IOException {

    private static final long serialVersionUID = 1L;

    PeerAbortException(int source, int reason) {
        super("A-ABORT from peer (source " + source + ", reason " + reason + ")");
    }
}
