package org.raddraft.dicom;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * DIMSE command sets (PS3.7 section 9.3; Implicit VR Little Endian, group 0000): the fields the SCP
 * reads from a request, and the C-ECHO / C-STORE responses, with an Error Comment where one is due
 * (PixelMed's response classes cannot carry one); for the SCU, the C-STORE-RQ and what it reads of the
 * C-STORE-RSP (status and Error Comment). Encoded and decoded by hand: a command set is a
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
    private static final int PRIORITY = 0x0700;
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

    /** A received C-STORE-RSP: what the SCU needs of it. */
    record Response(int commandField, int messageIdBeingRespondedTo, int status, String errorComment) {
    }

    /** Sees each element of a command set: its element number (group 0000) and where its value lies. */
    private interface ElementVisitor {
        void visit(int element, int offset, int length) throws IOException;
    }

    /** @throws IOException when the bytes are not a command set */
    static Command parseCommand(byte[] bytes) throws IOException {
        int[] fields = {-1, 0, NO_DATA_SET}; // command field, message ID, data set type
        String[] uids = new String[2];
        forEachElement(bytes, (element, i, n) -> {
            switch (element) {
                case AFFECTED_SOP_CLASS_UID -> uids[0] = uid(bytes, i, n);
                case AFFECTED_SOP_INSTANCE_UID -> uids[1] = uid(bytes, i, n);
                case COMMAND_FIELD -> fields[0] = us(bytes, i, n);
                case MESSAGE_ID -> fields[1] = us(bytes, i, n);
                case COMMAND_DATA_SET_TYPE -> fields[2] = us(bytes, i, n);
                default -> { } // group length, priority, move originator...: not needed
            }
        });
        return new Command(fields[0], fields[1], uids[0], uids[1], fields[2] != NO_DATA_SET);
    }

    /** @throws IOException when the bytes are not a command set or lack a Status */
    static Response parseResponse(byte[] bytes) throws IOException {
        int[] fields = {-1, -1, -1}; // command field, message ID being responded to, status
        String[] comment = new String[1];
        forEachElement(bytes, (element, i, n) -> {
            switch (element) {
                case COMMAND_FIELD -> fields[0] = us(bytes, i, n);
                case MESSAGE_ID_BEING_RESPONDED_TO -> fields[1] = us(bytes, i, n);
                case STATUS -> fields[2] = us(bytes, i, n);
                case ERROR_COMMENT -> comment[0] = new String(bytes, i, n, StandardCharsets.US_ASCII).trim();
                default -> { }
            }
        });
        if (fields[2] < 0) {
            throw new IOException("response command set without Status (0000,0900)");
        }
        return new Response(fields[0], fields[1], fields[2], comment[0] == null || comment[0].isEmpty() ? null : comment[0]);
    }

    /** A C-STORE-RQ command set (medium priority, a data set follows). */
    static byte[] cStoreRequest(int messageId, String sopClassUid, String sopInstanceUid) {
        return ElementWriter.implicitVr()
                .ui(AFFECTED_SOP_CLASS_UID, sopClassUid)
                .us(COMMAND_FIELD, C_STORE_RQ)
                .us(MESSAGE_ID, messageId)
                .us(PRIORITY, 0)
                .us(COMMAND_DATA_SET_TYPE, 0)
                .ui(AFFECTED_SOP_INSTANCE_UID, sopInstanceUid)
                .withGroupLength(0x0000);
    }

    private static void forEachElement(byte[] bytes, ElementVisitor visitor) throws IOException {
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
            visitor.visit(element, i, (int) length);
            i += (int) length;
        }
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
