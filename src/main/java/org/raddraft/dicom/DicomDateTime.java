package org.raddraft.dicom;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * DICOM DA and TM values as the standard writes them, for what RadDraft sends on (HL7 PID-7 and
 * OBR-7, the SR's copied Patient and Study modules): a conformant value unchanged, the forms
 * non-conformant modalities write ({@code 1980-02-03}, ACR-NEMA {@code 1980.02.03},
 * {@code 10:30:00}) rewritten, anything else null (dropped): never passed on for a peer's library
 * to choke on with the value in its message. Pure.
 */
public final class DicomDateTime {

    private static final Pattern DATE = Pattern.compile("(\\d{4})[-.]?(\\d{2})[-.]?(\\d{2})");
    private static final Pattern TIME = Pattern.compile("(\\d{2})(?::?(\\d{2})(?::?(\\d{2})(\\.\\d{1,6})?)?)?");

    private DicomDateTime() {
    }

    /** YYYYMMDD for a real calendar date written YYYYMMDD, YYYY-MM-DD or YYYY.MM.DD; else null. */
    public static String date(String value) {
        if (value == null) {
            return null;
        }
        Matcher m = DATE.matcher(value.strip());
        if (!m.matches()) {
            return null;
        }
        try {
            LocalDate.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
        } catch (DateTimeException e) {
            return null;
        }
        return m.group(1) + m.group(2) + m.group(3);
    }

    /** HH[MM[SS[.FFFFFF]]] for a valid time written so or with colons (HH:MM:SS); else null. */
    public static String time(String value) {
        if (value == null) {
            return null;
        }
        Matcher m = TIME.matcher(value.strip());
        if (!m.matches() || Integer.parseInt(m.group(1)) > 23
                || m.group(2) != null && Integer.parseInt(m.group(2)) > 59
                || m.group(3) != null && Integer.parseInt(m.group(3)) > 60) { // 60: a leap second, as PS3.5 allows
            return null;
        }
        StringBuilder b = new StringBuilder(m.group(1));
        for (int g = 2; g <= 4; g++) {
            if (m.group(g) != null) {
                b.append(m.group(g));
            }
        }
        return b.toString();
    }
}
