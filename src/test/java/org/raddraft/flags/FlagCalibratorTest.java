package org.raddraft.flags;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The calibrator on synthetic cases whose truth is built in: a wrong Pneumothorax statement comes
 * with a classifier that disagrees, so the fitted flags must catch those drafts within the target rate.
 */
class FlagCalibratorTest {

    static List<FlagCalibrator.Case> cases(long seed, int n) {
        Random r = new Random(seed);
        List<FlagCalibrator.Case> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean wrong = r.nextDouble() < 0.1;
            // right drafts: the classifier agrees (low probability for an unreported pneumothorax); wrong: it sees one
            double p = wrong ? 0.6 + 0.4 * r.nextDouble() : 0.3 * r.nextDouble();
            DraftSignals s = FlagAssessorTest.signals(List.of("No Finding"), Map.of("Pneumothorax", p),
                    new double[] {r.nextGaussian(), r.nextGaussian()});
            out.add(new FlagCalibrator.Case(s, wrong ? Set.of("Pneumothorax", "No Finding") : Set.of()));
        }
        return out;
    }

    static final FlagCalibrator.Clinical CLINICAL = new FlagCalibrator.Clinical(
            Map.of("*", 0.6, "Pneumothorax", 1.0), List.of(new FlagCalibration.Critical("Pneumothorax", null, null)),
            0.2, Map.of("Pneumothorax", 0.5));

    @Test
    void fittedFlagsCatchTheCriticalErrorsWithinTheTargetRateOnFreshCases() {
        FlagCalibration c = FlagCalibrator.fit("m", "1", null, CLINICAL, cases(1, 400));
        assertEquals(FlagCalibration.SCHEMA, c.schema());
        assertTrue(c.problems().isEmpty(), c.problems().toString());
        FlagAssessor a = new FlagAssessor(c);
        List<FlagMetrics.Scored> scored = new ArrayList<>();
        for (FlagCalibrator.Case k : cases(2, 400)) {
            scored.add(new FlagMetrics.Scored(a.assess(k.signals()), k.wrong(),
                    k.wrong().contains("Pneumothorax") ? Set.of("Pneumothorax") : Set.of()));
        }
        FlagMetrics.Summary s = FlagMetrics.summarise(scored);
        assertTrue(s.withCriticalError() > 20, "the synthetic set has critical errors: " + s.withCriticalError());
        assertTrue(s.criticalErrorsFlagged() >= 0.95, "caught " + s.criticalErrorsFlagged());
        assertTrue(s.flagRate() <= 0.25, "rate " + s.flagRate());
        assertTrue(s.riskAuroc() >= 0.95, "risk AUROC " + s.riskAuroc());
        // the image statistics are N(0,1) on every case: no draft like the calibration set is out of distribution
        assertEquals(0, s.perCode().get(FlagCode.OUT_OF_DISTRIBUTION).flagged());
        assertTrue(c.ood().groups().get("image").limit() > 1);
    }

    @Test
    void jacobiFindsTheEigenvaluesOfASymmetricMatrix() {
        double[][] v = new double[2][2];
        double[] e = FlagCalibrator.jacobi(new double[][] {{2, 1}, {1, 2}}, v);
        java.util.Arrays.sort(e);
        assertEquals(1, e[0], 1e-9);
        assertEquals(3, e[1], 1e-9);
    }

    @Test
    void anInputBreakingTheCalibrationSetsCorrelationIsFarThoughEachFeatureLooksOrdinary() {
        Random r = new Random(3);
        List<double[]> rows = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            double a = r.nextGaussian();
            rows.add(new double[] {a, a + 0.1 * r.nextGaussian()});
        }
        FlagCalibration.Ood.Group g = FlagCalibrator.group(rows);
        double along = RiskFeatures.distance(new double[] {2, 2}, g);
        double across = RiskFeatures.distance(new double[] {2, -2}, g);
        assertTrue(along < 2, "two sigma along the shared axis: " + along);
        assertTrue(across > 10 * along, "against the correlation: " + across + " vs " + along);
    }

    @Test
    void aurocCountsTiesAsHalf() {
        assertEquals(1.0, FlagMetrics.auroc(new double[] {0.9, 0.8, 0.1}, new boolean[] {true, true, false}), 1e-12);
        assertEquals(0.5, FlagMetrics.auroc(new double[] {0.5, 0.5}, new boolean[] {true, false}), 1e-12);
        assertEquals(0.0, FlagMetrics.auroc(new double[] {0.1, 0.9}, new boolean[] {true, false}), 1e-12);
        assertTrue(Double.isNaN(FlagMetrics.auroc(new double[] {0.1}, new boolean[] {true})));
    }
}
