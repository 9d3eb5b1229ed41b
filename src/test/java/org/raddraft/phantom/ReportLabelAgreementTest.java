package org.raddraft.phantom;

import org.raddraft.report.Observation;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reference report states what the labels say, with laterality and severity, and nothing else. */
class ReportLabelAgreementTest {
    static final int N = 1500;

    /** Words that name each observation in this grammar (the labeller's lexicon will be richer). */
    static final Map<Observation, List<String>> TERMS = Map.ofEntries(
            Map.entry(Observation.ENLARGED_CARDIOMEDIASTINUM, List.of("mediastinal widening", "widening of the upper mediastinum")),
            Map.entry(Observation.CARDIOMEGALY, List.of("cardiomegaly")),
            Map.entry(Observation.LUNG_LESION, List.of("nodule", "mass")),
            Map.entry(Observation.EDEMA, List.of("edema")),
            Map.entry(Observation.CONSOLIDATION, List.of("consolidation")),
            Map.entry(Observation.PNEUMONIA, List.of("pneumonia")),
            Map.entry(Observation.ATELECTASIS, List.of("atelectasis")),
            Map.entry(Observation.PNEUMOTHORAX, List.of("pneumothorax")),
            Map.entry(Observation.PLEURAL_EFFUSION, List.of("pleural effusion")),
            Map.entry(Observation.PLEURAL_OTHER, List.of("pleural thickening")),
            Map.entry(Observation.FRACTURE, List.of("fracture")),
            Map.entry(Observation.SUPPORT_DEVICES, List.of("tube", "catheter", "central line", "pacemaker")));

    @Test
    void everyPresentFindingIsStatedWithLateralityAndSeverityInFindingsAndImpression() {
        for (int i = 0; i < N; i++) {
            StudySpec s = StudySampler.sample(2024, i);
            Report r = ReportGrammar.write(s);
            List<String> findings = sentences(r.findings()), impression = sentences(r.impression());
            for (Finding f : s.findings()) {
                String term = GroundTruth.findingName(f).split(" ")[0].replace("central", "central");
                if (f.type() == FindingType.CENTRAL_LINE) term = "central";
                if (f.type() == FindingType.ET_TUBE) term = "endotracheal";
                if (f.type() == FindingType.EDEMA) term = "edema";
                if (f.type() == FindingType.WIDENED_MEDIASTINUM) term = "mediastin";
                if (f.type() == FindingType.PLEURAL_THICKENING) term = "thickening";
                if (f.type() == FindingType.RIB_FRACTURE) term = "fracture";
                assertTrue(stated(findings, f, term), s.studyId() + " findings miss " + f + ": " + r.findings());
                if (!f.type().isDevice()) {
                    assertTrue(stated(impression, f, term), s.studyId() + " impression misses " + f + ": " + r.impression());
                }
            }
        }
    }

    private static boolean stated(List<String> sentences, Finding f, String term) {
        for (String sent : sentences) {
            if (!sent.contains(term) || negative(sent)) continue;
            boolean side = f.side() == Side.NONE || sent.contains(f.side().word());
            boolean sev = f.severity() == null || sent.contains(f.severity());
            if (side && sev) return true;
        }
        return false;
    }

    @Test
    void labelsAgreeWithWhatTheReportSays() {
        int uncertain = 0;
        for (int i = 0; i < N; i++) {
            StudySpec s = StudySampler.sample(2024, i);
            Report r = ReportGrammar.write(s);
            GroundTruth t = GroundTruth.of(s);
            List<String> all = sentences(r.findings() + " " + r.impression());
            for (Map.Entry<Observation, List<String>> e : TERMS.entrySet()) {
                Observation o = e.getKey();
                Set<Integer> seen = new HashSet<>();
                for (String sent : all) {
                    if (e.getValue().stream().noneMatch(sent::contains)) continue;
                    if (o == Observation.CARDIOMEGALY && sent.contains("mediastinal widening")) continue;
                    seen.add(negative(sent) ? 0 : uncertain(sent) && o == Observation.PNEUMONIA ? -1 : 1);
                }
                int label = t.label(o);
                String ctx = s.studyId() + " " + o.label() + "=" + label + ": " + r.text();
                if (label == 1) {
                    assertTrue(seen.contains(1), ctx);
                    assertFalse(seen.contains(0) || seen.contains(-1), ctx);
                } else if (label == -1) {
                    uncertain++;
                    assertEquals(Set.of(-1), seen, ctx);
                } else {
                    assertFalse(seen.contains(1) || seen.contains(-1), ctx);
                }
            }
            boolean normalImpression = r.impression().contains("No acute cardiopulmonary");
            assertEquals(t.label(Observation.NO_FINDING) == 1, normalImpression, s.studyId() + " " + r.text());
            boolean parenchymal = t.label(Observation.CONSOLIDATION) == 1 || t.label(Observation.EDEMA) == 1
                    || t.label(Observation.ATELECTASIS) == 1 || r.text().contains("opacity");
            assertEquals(parenchymal ? 1 : 0, t.label(Observation.LUNG_OPACITY), s.studyId() + " " + r.text());
        }
        assertTrue(uncertain > 10, "uncertain pneumonia mentions occur: " + uncertain);
    }

    @Test
    void vocabularyStaysSmall() {
        Set<String> words = new HashSet<>();
        for (int i = 0; i < 3000; i++) {
            Report r = ReportGrammar.write(StudySampler.sample(31, i));
            for (String w : r.text().toLowerCase(Locale.ROOT).split("[^a-z]+")) if (!w.isEmpty()) words.add(w);
        }
        assertTrue(words.size() < 300, "vocabulary " + words.size() + ": " + words);
    }

    static List<String> sentences(String text) {
        return List.of(text.toLowerCase(Locale.ROOT).split("(?<=\\.)\\s+"));
    }

    static boolean negative(String sent) {
        return sent.startsWith("no ") || sent.contains("there is no ") || sent.matches(".*\\d\\. no .*")
                || sent.contains("normal") || sent.contains("clear") || sent.contains("intact");
    }

    static boolean uncertain(String sent) {
        return sent.contains("may represent") || sent.contains("possibly");
    }
}
