package org.raddraft.dicom;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * DIMSE command sets (PS3.7 section 9.3; Implicit VR Little Endian, group 0000): the fields the SCP
 * reads from a request, and the C-ECHO / C-STORE responses, with an Error Comment where one is due
 * (PixelMed's response classes cannot carry one). Encoded and decoded by hand: a command set is a
 * handful of elements, read and written once per C-STORE.
 */
final class DimseMessages {

    static final int C_STORE_RQ = 0x0001;
    static final int C_STORE_RSP = 0x8001;
    static final int C_ECHO_RQ = 0x0030;
    static final int C_ECHO_RSP = 0x8030;
    static final int NO_DATA_SET = 0x0101;
    static final int SUCCESS = 0x0000;

    // elements of group 0000, by element number
    private static final int AFFECTED_SOP_CLASS_UID = 0x0002;
    private static final int COMMAND_FIELD = 0x0100;
    private static final int MESSAGE_ID = 0x0110;
    private static final int MESSAGE_ID_BEING_RESPONDED_TO = 0x0120;
    private static final int COMMAND_DATA_SET_TYPE = 0x0800;
    private static final int STATUS = 0x0900;
    private static final int ERROR_COMMENT = 0x0902;
    private static final int AFFECTED_SOP_INSTANCE_UID = 0x1000;

    /** A received request command: what the SCP needs of it. */
    record Command(int commandField, int messageId, String affectedSopClassUid, String affectedSopInstanceUid,
                   boolean hasDataSet) {
    }

    private DimseMessages() {
    }

    /** @throws IOException when the bytes are not a command set */
    static Command parseCommand(byte[] bytes) throws IOException {
        int commandField = -1;
        int messageId = 0;
        int dataSetType = NO_DATA_SET;
        String sopClass = null;
        String sopInstance = null;
        int i = 0;
        while (i < bytes.length) {
            if (bytes.length - i < 8) {
                throw new IOException("command set ends inside an element header");
            }
            int group = u16(bytes, i);
            int element = u16(bytes, i + 2);
            long length = u16(bytes, i + 4) | ((long) u16(bytes, i + 6) << 16);
            i += 8;
            if (group != 0 || length > bytes.length - i) {
                throw new IOException(String.format("(%04X,%04X) of length %d is not a command element", group,
                        element, length));
            }
            int n = (int) length;
            switch (element) {
                case AFFECTED_SOP_CLASS_UID -> sopClass = uid(bytes, i, n);
                case AFFECTED_SOP_INSTANCE_UID -> sopInstance = uid(bytes, i, n);
                case COMMAND_FIELD -> commandField = us(bytes, i, n);
                case MESSAGE_ID -> messageId = us(bytes, i, n);
                case COMMAND_DATA_SET_TYPE -> dataSetType = us(bytes, i, n);
                default -> { } // group length, priority, move originator...: not needed
            }
            i += n;
        }
        return new Command(commandField, messageId, sopClass, sopInstance, dataSetType != NO_DATA_SET);
    }

    static byte[] cStoreResponse(Command rq, int status, String errorComment) {
        return response(C_STORE_RSP, rq, status, errorComment);
    }

    static byte[] cEchoResponse(Command rq) {
        return response(C_ECHO_RSP, rq, SUCCESS, null);
    }

    private static byte[] response(int commandField, Command rq, int status, String errorComment) {
        ElementWriter w = ElementWriter.implicitVr();
        if (rq.affectedSopClassUid() != null) {
            w.ui(AFFECTED_SOP_CLASS_UID, rq.affectedSopClassUid());
        }
        w.us(COMMAND_FIELD, commandField);
        w.us(MESSAGE_ID_BEING_RESPONDED_TO, rq.messageId());
        w.us(COMMAND_DATA_SET_TYPE, NO_DATA_SET);
        w.us(STATUS, status);
        if (errorComment != null && status != SUCCESS) {
            w.text(ERROR_COMMENT, "LO", errorComment(errorComment));
        }
        if (rq.affectedSopInstanceUid() != null) {
            w.ui(AFFECTED_SOP_INSTANCE_UID, rq.affectedSopInstanceUid());
        }
        return w.withGroupLength(0x0000);
    }

    /** Error Comment is LO: at most 64 characters, no backslash, no control characters. */
    static String errorComment(String text) {
        StringBuilder sb = new StringBuilder();
        for (char c : text.toCharArray()) {
            sb.append(c == '\\' || c < 0x20 || c > 0x7e ? ' ' : c);
        }
        String s = sb.toString().trim();
        return s.length() <= 64 ? s : s.substring(0, 61) + "...";
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xff) | ((b[at + 1] & 0xff) << 8);
    }

    private static int us(byte[] b, int at, int length) throws IOException {
        if (length != 2) {
            throw new IOException("US command element of length " + length);
        }
        return u16(b, at);
    }

    /** A UI value without its padding (NUL, or space from lenient senders); null when empty. */
    private static String uid(byte[] b, int at, int length) {
        String s = new String(b, at, length, StandardCharsets.US_ASCII).replace('\0', ' ').trim();
        return s.isEmpty() ? null : s;
    }
}
