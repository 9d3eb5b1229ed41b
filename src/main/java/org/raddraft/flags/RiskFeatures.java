package org.raddraft.flags;

import java.util.List;
import java.util.Map;

/**
 * The numbers the risk score combines, one per signal, each oriented so that larger means more
 * doubt. A signal the model cannot provide is NaN; the risk score then uses the calibration mean
 * (it neither raises nor lowers the risk). The out-of-distribution distance is not one of them: the
 * calibration set holds no such input to fit its weight on, so {@link #risk} applies it afterwards.
 */
public final class RiskFeatures {

    public static final List<String> NAMES = List.of("disagreement", "critical_disagreement", "neg_mean_logprob",
            "neg_min_sentence_logprob", "grounding_deficit", "finding_grounding_deficit");

    private RiskFeatures() {
    }

    static double[] of(DraftSignals s, FlagCalibration c) {
        double[] x = new double[NAMES.size()];
        x[0] = maxExcess(s, c, false);
        x[1] = maxExcess(s, c, true);
        x[2] = -s.meanLogProb();
        x[3] = -s.sentences().stream().mapToDouble(DraftSignals.Sentence::meanLogProb).min().orElse(s.meanLogProb());
        x[4] = s.groundingDrop() == null ? Double.NaN : -s.groundingDrop();
        x[5] = s.findingDrops() == null || s.findingDrops().isEmpty() ? Double.NaN
                : -s.findingDrops().values().stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        return x;
    }

    /**
     * How far the classifier is against the draft on one observation, in logit units past its
     * cut-off: positive when the draft says present and the classifier is below the cut-off, or the
     * draft says absent (or nothing) and the classifier is above it. NaN without the inputs.
     */
    static double excess(DraftSignals s, FlagCalibration c, String observation) {
        if (s.classifier() == null || c.classifier() == null) {
            return Double.NaN;
        }
        Double p = s.classifier().get(observation);
        Double cut = c.classifier().cutoffs().get(observation);
        if (p == null || cut == null) {
            return Double.NaN;
        }
        double z = logit(p) - logit(cut);
        DraftSignals.Statement st = s.stated().get(observation);
        return st != null && st.positive() ? -z : z;
    }

    private static double maxExcess(DraftSignals s, FlagCalibration c, boolean criticalOnly) {
        if (s.classifier() == null || c.classifier() == null) {
            return Double.NaN;
        }
        double m = -10;
        for (String o : c.classifier().cutoffs().keySet()) {
            if (!criticalOnly || c.isCritical(o)) {
                double e = excess(s, c, o);
                if (!Double.isNaN(e)) {
                    m = Math.max(m, e);
                }
            }
        }
        return m;
    }

    static double logit(double p) {
        double q = Math.min(1 - 1e-6, Math.max(1e-6, p));
        return Math.log(q / (1 - q));
    }

    /** How far the input lies outside the calibration distribution: the worst group's distance / its limit. */
    record Ood(double ratio, String group, double distance) {
    }

    static Ood oodRatio(DraftSignals s, FlagCalibration c) {
        if (s.ood() == null || c.ood() == null) {
            return new Ood(Double.NaN, null, Double.NaN);
        }
        Ood worst = null;
        for (Map.Entry<String, FlagCalibration.Ood.Group> e : c.ood().groups().entrySet()) {
            double[] x = s.ood().get(e.getKey());
            if (x == null) {
                continue;
            }
            double d = distance(x, e.getValue());
            double r = d / e.getValue().limit();
            if (worst == null || r > worst.ratio()) {
                worst = new Ood(r, e.getKey(), d);
            }
        }
        return worst == null ? new Ood(Double.NaN, null, Double.NaN) : worst;
    }

    /** The group's Mahalanobis distance of {@code x} (see {@link FlagCalibration.Ood.Group}). */
    static double distance(double[] x, FlagCalibration.Ood.Group g) {
        int n = Math.min(x.length, g.mean().length);
        double[] z = new double[n];
        double norm = 0;
        for (int i = 0; i < n; i++) {
            z[i] = (x[i] - g.mean()[i]) / Math.max(g.std()[i], 1e-9);
            norm += z[i] * z[i];
        }
        int k = g.components() == null ? 0 : g.components().length;
        double sum = 0;
        double inAxes = 0;
        for (int a = 0; a < k; a++) {
            double p = 0;
            for (int i = 0; i < n; i++) {
                p += g.components()[a][i] * z[i];
            }
            sum += p * p / Math.max(g.variances()[a], 1e-9);
            inAxes += p * p;
        }
        double rest = Math.max(0, norm - inAxes);
        int restDims = n - k;
        if (restDims > 0) {
            sum += rest / Math.max(g.residual(), 1e-9);
        }
        return Math.sqrt(sum / Math.max(1, k + (restDims > 0 ? 1 : 0)));
    }

    /**
     * The calibrated risk: a logistic combination of the standardised features; for an input out of
     * distribution (ratio r > 1), where the fit does not hold, the remaining certainty shrinks as 1/r.
     */
    static double risk(double[] x, FlagCalibration.Risk r, double oodRatio) {
        double p = risk(x, r);
        return oodRatio > 1 ? 1 - (1 - p) / oodRatio : p;
    }

    static double risk(double[] x, FlagCalibration.Risk r) {
        double z = r.intercept();
        for (int i = 0; i < r.weights().length; i++) {
            int k = NAMES.indexOf(r.features().get(i));
            double v = k < 0 || Double.isNaN(x[k]) ? r.mean()[i] : x[k];
            z += r.weights()[i] * (v - r.mean()[i]) / Math.max(r.std()[i], 1e-9);
        }
        return 1 / (1 + Math.exp(-z));
    }
}
