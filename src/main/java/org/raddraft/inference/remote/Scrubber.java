package org.raddraft.inference.remote;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Takes identifiers out of free text before it leaves the machine (the indication, a prior report):
 * the study's own identifying values (every component of the patient's name, the IDs, the accession,
 * the birth and study dates in the spellings people write them), then anything that looks like a date
 * or a long identifier. What is removed becomes {@value #REMOVED}. Thread-safe, no I/O, logs nothing.
 */
public final class Scrubber {

    /** What replaces a removed value. */
    public static final String REMOVED = "[removed]";

    private static final String MONTHS = "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
            + "|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?";
    /** Dates: 2024-03-12, 12.03.2024, 3/12/24, 20240312, 12 March 2024, March 12, 2024, Mar 2024. */
    private static final Pattern DATE = Pattern.compile("(?i)\\b(?:\\d{4}[-./]\\d{1,2}[-./]\\d{1,2}"
            + "|\\d{1,2}[-./]\\d{1,2}[-./]\\d{2,4}|(?:19|20)\\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\\d|3[01])"
            + "|\\d{1,2}(?:st|nd|rd|th)?\\s+(?:" + MONTHS + ")\\.?,?\\s+\\d{2,4}"
            + "|(?:" + MONTHS + ")\\.?\\s+\\d{1,2}(?:st|nd|rd|th)?,?\\s+\\d{2,4}|(?:" + MONTHS + ")\\.?\\s+(?:19|20)\\d{2})\\b");
    /** Identifier-like tokens: 6 or more digits, or letters and digits mixed with at least 5 digits (MRN, accession). */
    private static final Pattern LONG_ID = Pattern.compile("\\b(?:\\d[\\d-]{4,}\\d|(?=[A-Za-z-]*\\d)(?=(?:[A-Za-z-]*\\d){5})[A-Za-z\\d-]{6,})\\b");

    private final List<Pattern> own;

    /**
     * @param identifiers the study's identifying values (IDs, dates as YYYYMMDD, accession, and person
     *                    names as DICOM PN: every component and every word of each is removed)
     */
    public Scrubber(List<String> identifiers) {
        List<String> all = new ArrayList<>(identifiers);
        for (String id : identifiers) {
            if (id != null && id.indexOf('^') >= 0) {
                for (String part : id.split("[\\^=]")) {
                    all.add(part);
                    all.addAll(List.of(part.strip().split("\\s+")));
                }
            }
        }
        List<String> values = new ArrayList<>();
        for (String id : all) {
            if (id == null || id.strip().length() < 2) {
                continue; // an initial alone would remove every "A" of the text
            }
            String v = id.strip();
            values.add(v);
            if (v.matches("(19|20)\\d{6}")) {
                values.addAll(dateSpellings(v));
            }
        }
        values.sort(Comparator.comparingInt(String::length).reversed()); // "Anna Maria" before "Anna"
        List<Pattern> ps = new ArrayList<>();
        for (String v : values) {
            ps.add(Pattern.compile("(?iu)(?<![\\p{L}\\p{N}])" + Pattern.quote(v) + "(?![\\p{L}\\p{N}])"));
        }
        this.own = List.copyOf(ps);
    }

    /** The text with identifiers replaced; null stays null. */
    public String scrub(String text) {
        if (text == null) {
            return null;
        }
        String s = text;
        for (Pattern p : own) {
            s = p.matcher(s).replaceAll(Matcher.quoteReplacement(REMOVED));
        }
        s = DATE.matcher(s).replaceAll(Matcher.quoteReplacement(REMOVED));
        s = LONG_ID.matcher(s).replaceAll(Matcher.quoteReplacement(REMOVED));
        return s;
    }

    /** YYYYMMDD as people write it: 2024-03-12, 12.03.2024, 12/03/2024, 03/12/2024, 12/3/24, 3/12/24. */
    static List<String> dateSpellings(String yyyymmdd) {
        String y = yyyymmdd.substring(0, 4);
        String yy = yyyymmdd.substring(2, 4);
        String m = yyyymmdd.substring(4, 6);
        String d = yyyymmdd.substring(6, 8);
        String m1 = String.valueOf(Integer.parseInt(m));
        String d1 = String.valueOf(Integer.parseInt(d));
        List<String> out = new ArrayList<>();
        for (String sep : List.of("-", ".", "/")) {
            out.add(y + sep + m + sep + d);
            out.add(d + sep + m + sep + y);
            out.add(m + sep + d + sep + y);
            out.add(d1 + sep + m1 + sep + y);
            out.add(m1 + sep + d1 + sep + y);
            out.add(d1 + sep + m1 + sep + yy);
            out.add(m1 + sep + d1 + sep + yy);
        }
        return out.stream().map(x -> x.toLowerCase(Locale.ROOT)).distinct().toList();
    }
}
