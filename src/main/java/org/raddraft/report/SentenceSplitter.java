package org.raddraft.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits report text into sentences. A sentence ends at '.', '!' or '?' only where followed
 * by whitespace (or the end), so decimals ("1.5 cm") never split; known abbreviations ("approx.",
 * "e.g.", "Dr.") do not end a sentence; numbered list markers ("1.", "2)") start a new sentence and
 * are dropped from its text. Newlines that start a list item also split.
 */
final class SentenceSplitter {

    private static final Set<String> ABBREVIATIONS = Set.of(
            "dr", "mr", "mrs", "ms", "vs", "approx", "e.g", "i.e", "eg", "ie", "st", "no", "fig", "cf", "etc",
            "resp", "incl", "ca", "a.m", "p.m", "min", "max", "mm", "cm", "lt", "rt", "ant", "post", "lat", "sr", "jr");
    private static final Pattern LIST_MARKER = Pattern.compile("^\\(?\\d{1,2}[.)]\\s+");
    private static final Pattern INLINE_LIST = Pattern.compile("(?<=\\s)\\(?\\d{1,2}[.)]\\s+(?=[A-Za-z])");

    private SentenceSplitter() {
    }

    static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        if (text == null || text.isBlank()) {
            return out;
        }
        String t = text.replaceAll("\\r?\\n\\s*(?=\\(?\\d{1,2}[.)]\\s)", "\n").replaceAll("\\s+", " ").strip();
        int start = 0;
        int n = t.length();
        for (int i = 0; i < n; i++) {
            char c = t.charAt(i);
            if (c != '.' && c != '!' && c != '?') {
                if (startsListItem(t, i) && i > start) {
                    add(out, t.substring(start, i));
                    start = i;
                }
                continue;
            }
            // run of terminators ("..", "?.")
            int j = i;
            while (j + 1 < n && (t.charAt(j + 1) == '.' || t.charAt(j + 1) == '!' || t.charAt(j + 1) == '?')) {
                j++;
            }
            boolean atEnd = j + 1 >= n;
            boolean spaceAfter = !atEnd && Character.isWhitespace(t.charAt(j + 1));
            if (!atEnd && !spaceAfter) {
                i = j;
                continue; // "1.5", "x-ray.Next" stays; decimals never split
            }
            if (c == '.' && j == i && !atEnd && isAbbreviation(t, i) && !nextIsListItem(t, j + 1)) {
                continue;
            }
            if (c == '.' && j == i && isListNumber(t, start, i)) {
                continue; // the "1." of "1. No acute disease" is a marker, not an ending
            }
            add(out, t.substring(start, j + 1));
            start = j + 1;
            i = j;
        }
        if (start < n) {
            add(out, t.substring(start));
        }
        return out;
    }

    private static void add(List<String> out, String raw) {
        String s = LIST_MARKER.matcher(raw.strip()).replaceFirst("").strip();
        if (!s.isEmpty() && s.chars().anyMatch(Character::isLetterOrDigit)) {
            out.add(s);
        }
    }

    /** A list number at position i ("2." after text that already ended without a full stop). */
    private static boolean startsListItem(String t, int i) {
        if (i == 0 || !Character.isDigit(t.charAt(i)) || !Character.isWhitespace(t.charAt(i - 1))) {
            return false;
        }
        Matcher m = INLINE_LIST.matcher(t).useTransparentBounds(true);
        m.region(i, t.length());
        if (!m.lookingAt()) {
            return false;
        }
        // only a list number if something like "1." came before in this text
        return t.substring(0, i).matches("(?s)^\\s*\\(?1[.)].*");
    }

    private static boolean nextIsListItem(String t, int from) {
        return LIST_MARKER.matcher(t.substring(from).strip()).lookingAt();
    }

    private static boolean isListNumber(String t, int start, int dot) {
        String before = t.substring(start, dot).strip();
        return before.matches("\\(?\\d{1,2}");
    }

    private static boolean isAbbreviation(String t, int dot) {
        int k = dot;
        while (k > 0 && !Character.isWhitespace(t.charAt(k - 1))) {
            k--;
        }
        String word = t.substring(k, dot).toLowerCase();
        if (word.startsWith("(")) {
            word = word.substring(1);
        }
        if (!ABBREVIATIONS.contains(word)) {
            return false;
        }
        // "cm." at the end of a sentence followed by a capitalised word is an ending after all
        if (word.equals("cm") || word.equals("mm") || word.equals("no") || word.equals("min") || word.equals("max")) {
            int next = dot + 1;
            while (next < t.length() && Character.isWhitespace(t.charAt(next))) {
                next++;
            }
            return next < t.length() && !Character.isUpperCase(t.charAt(next));
        }
        return true;
    }
}
