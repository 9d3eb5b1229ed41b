package org.raddraft.report;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A chest X-ray report: FINDINGS and IMPRESSION text with whitespace normalised. Anonymisation
 * tokens such as "XXXX" are kept as ordinary words; the labeller's lexicon never matches them.
 *
 * @param findings   findings text, "" when absent
 * @param impression impression text, "" when absent
 */
public record Report(String findings, String impression) {

    private static final Pattern HEADING = Pattern.compile(
            "(?im)(?:^|(?<=[\\s.]))(findings?|impressions?|conclusions?|opinion)\\s*:");

    public Report {
        findings = normalise(findings);
        impression = normalise(impression);
    }

    /** From the two section texts (either may be null). */
    public static Report of(String findings, String impression) {
        return new Report(findings, impression);
    }

    /**
     * From free text with "FINDINGS:" and "IMPRESSION:" (or "CONCLUSION:") headings, in any case
     * and order. Text before the first heading, or all text when there is none, counts as findings;
     * other headed parts (e.g. "COMPARISON:") are not recognised and stay in the section above them.
     */
    public static Report parse(String text) {
        if (text == null) {
            return new Report("", "");
        }
        Matcher m = HEADING.matcher(text);
        StringBuilder findings = new StringBuilder();
        StringBuilder impression = new StringBuilder();
        StringBuilder current = findings;
        int from = 0;
        while (m.find()) {
            current.append(' ').append(text, from, m.start());
            current = m.group(1).toLowerCase().startsWith("finding") ? findings : impression;
            from = m.end();
        }
        current.append(' ').append(text.substring(from));
        return new Report(findings.toString(), impression.toString());
    }

    /** All sentences, findings first, numbered from 0 across the report. */
    public List<Sentence> sentences() {
        List<Sentence> out = new ArrayList<>();
        for (String s : SentenceSplitter.split(findings)) {
            out.add(new Sentence(Section.FINDINGS, out.size(), s));
        }
        for (String s : SentenceSplitter.split(impression)) {
            out.add(new Sentence(Section.IMPRESSION, out.size(), s));
        }
        return List.copyOf(out);
    }

    public boolean isEmpty() {
        return findings.isEmpty() && impression.isEmpty();
    }

    static String normalise(String s) {
        return s == null ? "" : s.replace('\u00a0', ' ').replaceAll("\\s+", " ").strip();
    }
}
