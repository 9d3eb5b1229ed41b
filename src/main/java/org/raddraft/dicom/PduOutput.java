package org.raddraft.dicom;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The PDUs RadDraft sends on an established association (PS3.8 section 9.3): DIMSE command sets and
 * data sets in P-DATA-TF PDUs, A-RELEASE-RQ / -RP and A-ABORT. Each PDU goes out in one write, the
 * socket having TCP_NODELAY, so the SCU gets its C-STORE-RSP without delay.
 */
final class PduOutput {

    static final int SOURCE_SERVICE_USER = 0;
    static final int SOURCE_SERVICE_PROVIDER = 2;
    /** PDU header (6) plus PDV item header (4 length, 1 context ID, 1 control). */
    private static final int P_DATA_OVERHEAD = 12;
    private static final int COMMAND = 0x01;
    private static final int LAST_FRAGMENT = 0x02;

    private final OutputStream out;
    private final int peerMaxPduLength;

    /** @param peerMaxPduLength the maximum PDU length the peer receives; 0 means unlimited */
    PduOutput(OutputStream out, int peerMaxPduLength) {
        this.out = out;
        this.peerMaxPduLength = peerMaxPduLength;
    }

    /** A whole command set, in as many PDUs (one PDV each) as the peer's maximum PDU length needs. */
    void sendCommand(int presentationContextId, byte[] commandSet) throws IOException {
        send(presentationContextId, commandSet, COMMAND);
    }

    /** A whole data set, in as many PDUs (one PDV each) as the peer's maximum PDU length needs. */
    void sendDataSet(int presentationContextId, byte[] dataSet) throws IOException {
        send(presentationContextId, dataSet, 0);
    }

    private void send(int presentationContextId, byte[] bytes, int type) throws IOException {
        // max PDU length counts the PDU's variable field: PDV item length field (4) and the item itself
        int maxFragment = peerMaxPduLength == 0 ? Math.max(1, bytes.length) : Math.max(1, peerMaxPduLength - 6);
        int offset = 0;
        do {
            int n = Math.min(maxFragment, bytes.length - offset);
            boolean last = offset + n == bytes.length;
            byte[] pdu = new byte[P_DATA_OVERHEAD + n];
            pdu[0] = PduType.P_DATA_TF;
            putInt(pdu, 2, n + 6);
            putInt(pdu, 6, n + 2);
            pdu[10] = (byte) presentationContextId;
            pdu[11] = (byte) (type | (last ? LAST_FRAGMENT : 0));
            System.arraycopy(bytes, offset, pdu, P_DATA_OVERHEAD, n);
            out.write(pdu);
            offset += n;
        } while (offset < bytes.length);
        out.flush();
    }

    void releaseRequest() throws IOException {
        out.write(new byte[] {PduType.A_RELEASE_RQ, 0, 0, 0, 0, 4, 0, 0, 0, 0});
        out.flush();
    }

    void releaseResponse() throws IOException {
        out.write(new byte[] {PduType.A_RELEASE_RP, 0, 0, 0, 0, 4, 0, 0, 0, 0});
        out.flush();
    }

    void abort(int source, int reason) throws IOException {
        out.write(new byte[] {PduType.A_ABORT, 0, 0, 0, 0, 4, 0, 0, (byte) source, (byte) reason});
        out.flush();
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }
}
