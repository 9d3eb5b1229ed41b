package org.raddraft.review;

import java.util.ArrayList;
import java.util.List;
import org.raddraft.report.Observation;
import org.raddraft.report.Report;
import org.raddraft.report.ReportLabeller;
import org.raddraft.report.ReportLabels;
import org.raddraft.report.Section;
import org.raddraft.report.Sentence;

/**
 * What the radiologist changed, for the learning loop: the observations whose label (by the report
 * labeller) differs between draft and final, and the sentences removed and added per section (a
 * longest-common-subsequence diff of sentences, which is how radiologists edit: whole statements).
 */
record ReportDiff(List<LabelChange> labels, List<SentenceChange> sentences) {

    /** An observation whose status changed, e.g. Pleural Effusion PRESENT -> ABSENT. */
    record LabelChange(String observation, String draft, String result) {
    }

    /** {@code op} "-" removed from the draft, "+" added by the radiologist. */
    record SentenceChange(String section, String op, String text) {
    }

    static ReportDiff between(ReportLabeller labeller, Report draft, Report result) {
        ReportLabels before = labeller.label(draft);
        ReportLabels after = labeller.label(result);
        List<LabelChange> labels = new ArrayList<>();
        for (Observation o : Observation.values()) {
            if (before.status(o) != after.status(o)) {
                labels.add(new LabelChange(o.label(), before.status(o).name(), after.status(o).name()));
            }
        }
        List<SentenceChange> sentences = new ArrayList<>();
        for (Section s : Section.values()) {
            sentences.addAll(diff(s, texts(draft, s), texts(result, s)));
        }
        return new ReportDiff(labels, sentences);
    }

    boolean isEmpty() {
        return labels.isEmpty() && sentences.isEmpty();
    }

    private static List<String> texts(Report r, Section s) {
        return r.sentences().stream().filter(x -> x.section() == s).map(Sentence::text).toList();
    }

    private static List<SentenceChange> diff(Section section, List<String> a, List<String> b) {
        int[][] lcs = new int[a.size() + 1][b.size() + 1];
        for (int i = a.size() - 1; i >= 0; i--) {
            for (int j = b.size() - 1; j >= 0; j--) {
                lcs[i][j] = a.get(i).equals(b.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        List<SentenceChange> out = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < a.size() || j < b.size()) {
            if (i < a.size() && j < b.size() && a.get(i).equals(b.get(j))) {
                i++;
                j++;
            } else if (j == b.size() || (i < a.size() && lcs[i + 1][j] >= lcs[i][j + 1])) {
                out.add(new SentenceChange(section.name(), "-", a.get(i++)));
            } else {
                out.add(new SentenceChange(section.name(), "+", b.get(j++)));
            }
        }
        return out;
    }
}
