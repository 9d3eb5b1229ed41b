package org.raddraft.dicom;

/** AE title rules of PS3.5 (AE value representation): 1..16 characters, no backslash or control characters. */
final class AeTitles {

    private AeTitles() {
    }

    static String check(String ae, String where) {
        if (ae == null || ae.isBlank() || ae.length() > 16) {
            throw new IllegalArgumentException(where + ": AE title must be 1 to 16 characters, got '" + ae + "'");
        }
        for (char c : ae.toCharArray()) {
            if (c == '\\' || c < 0x20 || c > 0x7e) {
                throw new IllegalArgumentException(where + ": AE title '" + ae
                        + "' may only hold printable ASCII other than backslash");
            }
        }
        return ae;
    }

    /** An AE title field of an A-ASSOCIATE PDU (16 bytes, space padded) as a trimmed string. */
    static String fromPdu(byte[] pdu, int offset) {
        String s = new String(pdu, offset, 16, java.nio.charset.StandardCharsets.US_ASCII);
        int start = 0;
        int end = s.length();
        while (start < end && (s.charAt(start) <= ' ')) {
            start++;
        }
        while (end > start && (s.charAt(end - 1) <= ' ')) {
            end--;
        }
        return s.substring(start, end);
    }
}
