package org.raddraft.flags;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The flag rules on hand-made signals and a hand-made calibration (the numbers are chosen, not fitted). */
class FlagAssessorTest {

    static final List<String> OBS = List.of("No Finding", "Pneumothorax", "Pleural Effusion", "Cardiomegaly");

    static FlagCalibration calibration() {
        Map<String, Double> cut = new LinkedHashMap<>();
        OBS.forEach(o -> cut.put(o, 0.5));
        return new FlagCalibration(FlagCalibration.SCHEMA, "m", "1", null,
                Map.of("*", 0.6, "Pneumothorax", 1.0, "Pleural Effusion", 0.7, "Cardiomegaly", 0.5),
                List.of(new FlagCalibration.Critical("Pneumothorax", null, null),
                        new FlagCalibration.Critical("Pleural Effusion", "SEVERE", null)),
                new FlagCalibration.LowConfidence(-0.3, -0.8, 0.1),
                new FlagCalibration.Classifier(cut, 2.0, 1.0, 2.0),
                new FlagCalibration.Grounding(0.1, 0.05, 0.1),
                new FlagCalibration.Ood(Map.of("image", new FlagCalibration.Ood.Group(new double[] {0, 0},
                        new double[] {1, 1}, new double[][] {{1, 0}, {0, 1}}, new double[] {1, 1}, 1, 3))),
                new FlagCalibration.Risk(List.of("disagreement", "neg_mean_logprob"), new double[] {0, 0.2},
                        new double[] {1, 0.1}, -2, new double[] {1, 1}), null);
    }

    /** A confident, grounded, in-distribution draft saying {@code positives}, the classifier seeing {@code probs}. */
    static DraftSignals signals(List<String> positives, Map<String, Double> probs, double[] image) {
        Map<String, DraftSignals.Statement> stated = new LinkedHashMap<>();
        for (String o : OBS) {
            boolean p = positives.contains(o);
            stated.put(o, new DraftSignals.Statement(p, o.equals("Pleural Effusion") && p ? "SEVERE" : "UNSTATED",
                    p ? "Large " + o.toLowerCase() + "." : ""));
        }
        Map<String, Double> clf = new LinkedHashMap<>();
        OBS.forEach(o -> clf.put(o, probs.getOrDefault(o, positives.contains(o) ? 0.95 : 0.02)));
        return new DraftSignals(-0.1, List.of(new DraftSignals.Sentence("the heart is normal.", List.of(), -0.1)), stated,
                clf, 0.6, Map.of(), Map.of("image", image), null);
    }

    final FlagAssessor assessor = new FlagAssessor(calibration());

    @Test
    void aConfidentAgreedNormalDraftIsRoutine() {
        Assessment a = assessor.assess(signals(List.of("No Finding"), Map.of(), new double[] {0.1, -0.2}));
        assertTrue(a.flags().isEmpty(), a.flags().toString());
        assertEquals(Assessment.ROUTINE, a.priority());
        assertTrue(a.unavailable().isEmpty());
        assertTrue(a.riskScore() > 0 && a.riskScore() < 0.2, "risk " + a.riskScore());
    }

    @Test
    void aStatedPneumothoraxIsCriticalAndGoesFirst() {
        Assessment a = assessor.assess(signals(List.of("Pneumothorax"), Map.of(), new double[] {0, 0}));
        assertEquals(Assessment.CRITICAL, a.priority());
        Flag f = a.flags().get(0);
        assertEquals(FlagCode.CRITICAL_FINDING, f.code());
        assertEquals("Pneumothorax", f.finding());
        assertEquals(1.0 * (0.5 + 0.5 * 0.95), f.severity(), 1e-4, "relevance 1.0 x strength from the classifier's 0.95");
        assertFalse(a.doubtful(), "a critical finding is urgent, not doubtful");
    }

    @Test
    void aSmallEffusionIsNotCriticalALargeOneIs() {
        DraftSignals small = signals(List.of("Pleural Effusion"), Map.of(), new double[] {0, 0});
        Map<String, DraftSignals.Statement> st = new LinkedHashMap<>(small.stated());
        st.put("Pleural Effusion", new DraftSignals.Statement(true, "MILD", "Small left pleural effusion."));
        DraftSignals mild = new DraftSignals(small.meanLogProb(), small.sentences(), st, small.classifier(),
                small.groundingDrop(), small.findingDrops(), small.ood(), null);
        assertFalse(assessor.assess(mild).has(FlagCode.CRITICAL_FINDING));
        assertTrue(assessor.assess(small).has(FlagCode.CRITICAL_FINDING));
    }

    @Test
    void theClassifierSeeingAnUnreportedFindingDisagrees() {
        Assessment a = assessor.assess(signals(List.of("No Finding"), Map.of("Cardiomegaly", 0.99),
                new double[] {0, 0}));
        Flag f = a.flags().stream().filter(x -> x.code() == FlagCode.CLASSIFIER_DISAGREES).findFirst().orElseThrow();
        assertEquals("Cardiomegaly", f.finding());
        assertEquals(0.99, f.signal(), 1e-9);
        assertTrue(f.detail().contains("does not report cardiomegaly"), f.detail());
        // logit(0.99) - logit(0.5) = 4.6 > margin 2: strength 0.5 + 0.5 (1 - e^{-(4.6-2)/2}); relevance 0.5
        double strength = 0.5 + 0.5 * (1 - Math.exp(-(Math.log(99) - 2) / 2));
        assertEquals(0.5 * strength, f.severity(), 1e-3);
        assertEquals(Assessment.FLAGGED, a.priority());
    }

    @Test
    void criticalObservationsDisagreeAtTheSmallerMargin() {
        // logit(0.85) = 1.73: past the critical margin 1, short of the normal margin 2
        assertTrue(assessor.assess(signals(List.of("No Finding"), Map.of("Pneumothorax", 0.85), new double[] {0, 0}))
                .has(FlagCode.CLASSIFIER_DISAGREES));
        assertFalse(assessor.assess(signals(List.of("No Finding"), Map.of("Cardiomegaly", 0.85), new double[] {0, 0}))
                .has(FlagCode.CLASSIFIER_DISAGREES));
    }

    @Test
    void anImageFarFromTheCalibrationSetIsOutOfDistribution() {
        Assessment a = assessor.assess(signals(List.of("No Finding"), Map.of(), new double[] {8, -9}));
        Flag f = a.flags().stream().filter(x -> x.code() == FlagCode.OUT_OF_DISTRIBUTION).findFirst().orElseThrow();
        assertNull(f.finding());
        assertEquals(Math.sqrt((64 + 81) / 2.0) / 3, f.signal(), 1e-3, "rms z-score over the limit");
        double inDistribution = assessor.assess(signals(List.of("No Finding"), Map.of(), new double[] {0, 0})).riskScore();
        assertEquals(1 - (1 - inDistribution) / f.signal(), a.riskScore(), 1e-3, "certainty shrinks as 1/ratio");
        assertTrue(a.riskScore() > 0.6, "risk " + a.riskScore());
    }

    @Test
    void lowTokenProbabilityAndWeakGroundingAreFlagged() {
        DraftSignals s = signals(List.of("Cardiomegaly"), Map.of(), new double[] {0, 0});
        DraftSignals weak = new DraftSignals(-0.5, List.of(new DraftSignals.Sentence("mild cardiomegaly.",
                List.of("Cardiomegaly"), -1.2)), s.stated(), s.classifier(), 0.02, Map.of("Cardiomegaly", 0.01),
                s.ood(), null);
        Assessment a = assessor.assess(weak);
        assertEquals(2, a.flags().stream().filter(f -> f.code() == FlagCode.LOW_CONFIDENCE).count(), a.flags().toString());
        assertTrue(a.flags().stream().anyMatch(f -> f.code() == FlagCode.NOT_IMAGE_GROUNDED && f.finding() == null));
        assertTrue(a.flags().stream().anyMatch(f -> f.code() == FlagCode.NOT_IMAGE_GROUNDED
                && "Cardiomegaly".equals(f.finding())));
        for (int i = 1; i < a.flags().size(); i++) {
            assertTrue(a.flags().get(i - 1).severity() >= a.flags().get(i).severity(), "most severe first");
        }
    }

    @Test
    void aModelWithoutClassifierGetsTheOtherFlagsAndSaysWhichAreUnavailable() {
        DraftSignals s = signals(List.of("Pneumothorax"), Map.of(), new double[] {0, 0});
        DraftSignals noClf = new DraftSignals(s.meanLogProb(), s.sentences(), s.stated(), null, null, null, null, null);
        Assessment a = assessor.assess(noClf);
        assertEquals(List.of(FlagCode.CLASSIFIER_DISAGREES, FlagCode.NOT_IMAGE_GROUNDED, FlagCode.OUT_OF_DISTRIBUTION),
                a.unavailable());
        Flag critical = a.flags().get(0);
        assertEquals(FlagCode.CRITICAL_FINDING, critical.code());
        assertEquals(1.0, critical.severity(), 1e-9, "no classifier: full strength");
        assertTrue(a.riskScore() >= 0 && a.riskScore() <= 1);
    }
}
