package org.raddraft.dicom;

/** Fields of an A-ASSOCIATE-RQ PDU (PS3.8 section 9.3.2) that the acceptor reads itself. */
final class AssociateRequests {

    /** PDU header (6) and the fixed fields up to the variable items (68). */
    private static final int FIRST_ITEM = 74;
    private static final int USER_INFORMATION_ITEM = 0x50;
    private static final int MAXIMUM_LENGTH_SUB_ITEM = 0x51;

    private AssociateRequests() {
    }

    static String calledAe(byte[] pdu) {
        return AeTitles.fromPdu(pdu, 10);
    }

    static String callingAe(byte[] pdu) {
        return AeTitles.fromPdu(pdu, 26);
    }

    /**
     * The requestor's Maximum Length Received (the largest P-DATA-TF PDU it accepts), from the User
     * Information item; 0, meaning no limit, when absent.
     */
    static int maxPduLength(byte[] pdu) {
        int i = FIRST_ITEM;
        while (i + 4 <= pdu.length) {
            int type = pdu[i] & 0xff;
            int length = u16(pdu, i + 2);
            if (type == USER_INFORMATION_ITEM) {
                int end = Math.min(pdu.length, i + 4 + length);
                for (int j = i + 4; j + 4 <= end; j += 4 + u16(pdu, j + 2)) {
                    if ((pdu[j] & 0xff) == MAXIMUM_LENGTH_SUB_ITEM && u16(pdu, j + 2) == 4 && j + 8 <= end) {
                        long max = ((pdu[j + 4] & 0xffL) << 24) | (u16(pdu, j + 5) << 8) | (pdu[j + 7] & 0xff);
                        return (int) Math.min(max, Integer.MAX_VALUE);
                    }
                }
                return 0;
            }
            i += 4 + length;
        }
        return 0;
    }

    private static int u16(byte[] b, int at) {
        return ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
    }
}
