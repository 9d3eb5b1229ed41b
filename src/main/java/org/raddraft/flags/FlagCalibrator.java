package org.raddraft.flags;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Fits a {@link FlagCalibration} on drafts whose truth is known (a calibration phantom set, never the
 * held-out one):
 * <ol>
 *   <li>OUT_OF_DISTRIBUTION: per feature group the set's mean and spread; the limit is the largest
 *       distance seen times {@link #OOD_HEADROOM}, so that inputs like the calibration set are never flagged;</li>
 *   <li>the thresholds of the other flags: a grid of candidates (quantiles of the drafts that are right,
 *       classifier margins in logit units), and the combination that catches the most drafts with a
 *       wrong critical finding, then the most drafts with any wrong finding, then flags the fewest,
 *       among those that flag at most the target share of drafts;</li>
 *   <li>the risk score: a ridge-regularised logistic regression of "has a wrong finding" on the
 *       standardised {@link RiskFeatures}.</li>
 * </ol>
 * The clinical part (relevance weights, critical findings, target flag rate) is the model's own, from
 * its manifest; the calibrator only copies it.
 */
public final class FlagCalibrator {

    static final double OOD_HEADROOM = 1.5;
    /** Threshold candidates: these quantiles of the drafts that are right (0 = below every one of them). */
    private static final double[] QUANTILES = {0, 0.01, 0.02, 0.05, 0.10};
    /** Classifier margin candidates, logit units; 6 = only a classifier all but certain against the draft. */
    private static final double[] MARGINS = {6, 4, 3, 2.5, 2, 1.5, 1, 0.5, 0, -0.5, -1};
    private static final double RIDGE = 1.0;

    /** One calibration draft: its signals and the observations it got wrong. */
    public record Case(DraftSignals signals, Set<String> wrong) {
    }

    /**
     * The model's clinical choices, from its manifest's {@code flags} section.
     *
     * @param relevance      clinical relevance weight per observation, "*" for the whole draft
     * @param critical       the critical findings
     * @param targetFlagRate the largest share of calibration drafts the doubt flags may flag
     * @param cutoffs        classifier probability cut-offs per observation (manifest thresholds.classifier), may be null
     */
    public record Clinical(Map<String, Double> relevance, List<FlagCalibration.Critical> critical,
                           double targetFlagRate, Map<String, Double> cutoffs) {
    }

    private FlagCalibrator() {
    }

    public static FlagCalibration fit(String model, String version, JsonNode calibratedOn, Clinical clinical,
                                      List<Case> cases) {
        if (cases.isEmpty()) {
            throw new IllegalArgumentException("no calibration drafts");
        }
        boolean hasClassifier = cases.stream().allMatch(c -> c.signals().classifier() != null);
        boolean hasGrounding = cases.stream().allMatch(c -> c.signals().groundingDrop() != null);
        FlagCalibration.Classifier clf = null;
        if (hasClassifier) {
            Map<String, Double> cut = new LinkedHashMap<>();
            for (String o : cases.get(0).signals().classifier().keySet()) {
                cut.put(o, clinical.cutoffs() != null && clinical.cutoffs().containsKey(o) ? clinical.cutoffs().get(o) : 0.5);
            }
            clf = new FlagCalibration.Classifier(cut, MARGINS[0], MARGINS[0], 2.0);
        }
        FlagCalibration.Ood ood = ood(cases);
        double lpScale = Math.max(0.01, std(cases.stream().mapToDouble(c -> c.signals().meanLogProb()).toArray()));
        FlagCalibration base = new FlagCalibration(FlagCalibration.SCHEMA, model, version, calibratedOn,
                clinical.relevance(), clinical.critical(), new FlagCalibration.LowConfidence(
                Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, lpScale), clf,
                hasGrounding ? new FlagCalibration.Grounding(Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.1) : null,
                ood, new FlagCalibration.Risk(List.of(), new double[0], new double[0], 0, new double[0]), null);

        // per case, the value each threshold is compared with
        int n = cases.size();
        double[] meanLp = new double[n];
        double[] sentLp = new double[n];
        double[] drop = new double[n];
        double[] fdrop = new double[n];
        double[] exNormal = new double[n];
        double[] exCritical = new double[n];
        boolean[] always = new boolean[n];
        boolean[] error = new boolean[n];
        boolean[] critError = new boolean[n];
        List<Double> rightMean = new ArrayList<>();
        List<Double> rightSent = new ArrayList<>();
        List<Double> rightDrop = new ArrayList<>();
        List<Double> rightFdrop = new ArrayList<>();
        FlagAssessor probe = new FlagAssessor(base);
        for (int i = 0; i < n; i++) {
            DraftSignals s = cases.get(i).signals();
            meanLp[i] = s.meanLogProb();
            sentLp[i] = s.sentences().stream().mapToDouble(DraftSignals.Sentence::meanLogProb).min().orElse(0);
            drop[i] = s.groundingDrop() == null ? Double.POSITIVE_INFINITY : s.groundingDrop();
            fdrop[i] = s.findingDrops() == null || s.findingDrops().isEmpty() ? Double.POSITIVE_INFINITY
                    : s.findingDrops().values().stream().mapToDouble(Double::doubleValue).min().orElseThrow();
            exNormal[i] = Double.NEGATIVE_INFINITY;
            exCritical[i] = Double.NEGATIVE_INFINITY;
            if (clf != null) {
                for (String o : clf.cutoffs().keySet()) {
                    double e = RiskFeatures.excess(s, base, o);
                    if (base.isCritical(o)) {
                        exCritical[i] = Math.max(exCritical[i], e);
                    } else {
                        exNormal[i] = Math.max(exNormal[i], e);
                    }
                }
            }
            Assessment a = probe.assess(s); // with every other threshold off: OUT_OF_DISTRIBUTION alone
            always[i] = a.doubtful();
            error[i] = !cases.get(i).wrong().isEmpty();
            critError[i] = cases.get(i).wrong().stream().anyMatch(base::isCritical);
            if (!error[i]) {
                rightMean.add(meanLp[i]);
                rightSent.add(sentLp[i]);
                rightDrop.add(drop[i]);
                rightFdrop.add(fdrop[i]);
            }
        }
        double[] tMean = candidates(rightMean);
        double[] tSent = candidates(rightSent);
        double[] tDrop = hasGrounding ? candidates(rightDrop) : new double[] {Double.NEGATIVE_INFINITY};
        double[] tFdrop = hasGrounding ? candidates(rightFdrop) : new double[] {Double.NEGATIVE_INFINITY};
        double[] margins = clf != null ? MARGINS : new double[] {MARGINS[0]};

        double[] best = null;
        long bestScore = Long.MIN_VALUE;
        for (double a : tMean) {
            for (double b : tSent) {
                for (double c : tDrop) {
                    for (double d : tFdrop) {
                        for (double m : margins) {
                            for (double mc : margins) {
                                int flagged = 0;
                                int caught = 0;
                                int critCaught = 0;
                                for (int i = 0; i < n; i++) {
                                    boolean f = always[i] || meanLp[i] < a || sentLp[i] < b || drop[i] < c
                                            || fdrop[i] < d || exNormal[i] > m || exCritical[i] > mc;
                                    if (f) {
                                        flagged++;
                                        caught += error[i] ? 1 : 0;
                                        critCaught += critError[i] ? 1 : 0;
                                    }
                                }
                                if (flagged > clinical.targetFlagRate() * n) {
                                    continue;
                                }
                                long score = ((long) critCaught << 40) + ((long) caught << 20) - flagged;
                                if (score > bestScore) {
                                    bestScore = score;
                                    best = new double[] {a, b, c, d, m, mc};
                                }
                            }
                        }
                    }
                }
            }
        }
        if (best == null) { // even the strictest thresholds flag more than the target: keep the strictest
            best = new double[] {tMean[0], tSent[0], tDrop[0], tFdrop[0], margins[0], margins[0]};
        }
        FlagCalibration.LowConfidence lc = new FlagCalibration.LowConfidence(finite(best[0]), finite(best[1]), lpScale);
        FlagCalibration.Grounding gr = hasGrounding ? new FlagCalibration.Grounding(finite(best[2]), finite(best[3]),
                Math.max(0.01, std(Arrays.stream(drop).filter(Double::isFinite).toArray()))) : null;
        FlagCalibration.Classifier cl = clf == null ? null
                : new FlagCalibration.Classifier(clf.cutoffs(), finiteMargin(best[4]), finiteMargin(best[5]), 2.0);
        FlagCalibration thresholds = new FlagCalibration(FlagCalibration.SCHEMA, model, version, calibratedOn,
                clinical.relevance(), clinical.critical(), lc, cl, gr, ood, base.risk(), null);
        FlagCalibration.Risk risk = risk(cases, thresholds);
        FlagCalibration fitted = new FlagCalibration(FlagCalibration.SCHEMA, model, version, calibratedOn,
                clinical.relevance(), clinical.critical(), lc, cl, gr, ood, risk, null);
        return new FlagCalibration(FlagCalibration.SCHEMA, model, version, calibratedOn, clinical.relevance(),
                clinical.critical(), lc, cl, gr, ood, risk, figures(fitted, cases));
    }

    /** Threshold candidates: low quantiles of the values of drafts that are right. */
    private static double[] candidates(List<Double> right) {
        double[] v = right.stream().mapToDouble(Double::doubleValue).filter(Double::isFinite).sorted().toArray();
        double[] out = new double[QUANTILES.length];
        for (int q = 0; q < QUANTILES.length; q++) {
            out[q] = v.length == 0 ? Double.NEGATIVE_INFINITY : v[(int) Math.min(v.length - 1, Math.floor(QUANTILES[q] * v.length))];
        }
        return out;
    }

    /** JSON has no infinities: "off" is written as a threshold no real value reaches. */
    private static double finite(double t) {
        return Double.isInfinite(t) ? -1e9 : t;
    }

    private static double finiteMargin(double m) {
        return Double.isInfinite(m) ? 1e9 : m;
    }

    /** At most this many principal axes per OOD group; the rest is one residual term. */
    static final int OOD_AXES = 16;
    /** Shrinkage of the axes' variances towards the mean variance (a flat axis of the calibration set must not explode). */
    static final double OOD_SHRINK = 0.01;

    private static FlagCalibration.Ood ood(List<Case> cases) {
        Map<String, List<double[]>> byGroup = new LinkedHashMap<>();
        for (Case c : cases) {
            if (c.signals().ood() == null) {
                return null;
            }
            c.signals().ood().forEach((g, x) -> byGroup.computeIfAbsent(g, k -> new ArrayList<>()).add(x));
        }
        Map<String, FlagCalibration.Ood.Group> groups = new java.util.TreeMap<>();
        byGroup.forEach((g, rows) -> {
            if (rows.size() < 10) {
                return; // too few to describe a distribution
            }
            FlagCalibration.Ood.Group unlimited = group(rows);
            double max = rows.stream().mapToDouble(r -> RiskFeatures.distance(r, unlimited)).max().orElse(1);
            groups.put(g, new FlagCalibration.Ood.Group(unlimited.mean(), unlimited.std(), unlimited.components(),
                    unlimited.variances(), unlimited.residual(), Math.round(max * OOD_HEADROOM * 1000) / 1000.0));
        });
        return new FlagCalibration.Ood(groups);
    }

    /** Mean, spread and principal axes of the standardised rows (Jacobi eigen-decomposition of their covariance). */
    static FlagCalibration.Ood.Group group(List<double[]> rows) {
        int d = rows.get(0).length;
        int n = rows.size();
        double[] mean = new double[d];
        double[] sd = new double[d];
        for (int j = 0; j < d; j++) {
            int jj = j;
            double[] col = rows.stream().mapToDouble(r -> r[jj]).toArray();
            mean[j] = round(Arrays.stream(col).average().orElse(0));
            sd[j] = round(Math.max(std(col), 1e-3 * Math.max(1e-3, Math.abs(mean[j]))));
        }
        double[][] cov = new double[d][d];
        for (double[] r : rows) {
            double[] z = new double[d];
            for (int j = 0; j < d; j++) {
                z[j] = (r[j] - mean[j]) / sd[j];
            }
            for (int a = 0; a < d; a++) {
                for (int b = a; b < d; b++) {
                    cov[a][b] += z[a] * z[b] / (n - 1);
                }
            }
        }
        for (int a = 0; a < d; a++) {
            for (int b = 0; b < a; b++) {
                cov[a][b] = cov[b][a];
            }
        }
        double[][] vectors = new double[d][d];
        double[] values = jacobi(cov, vectors);
        Integer[] order = new Integer[d];
        for (int i = 0; i < d; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(values[b], values[a]));
        int k = Math.min(d, OOD_AXES);
        double total = Arrays.stream(values).map(v -> Math.max(v, 0)).sum();
        double meanVar = total / d;
        double[][] comps = new double[k][d];
        double[] vars = new double[k];
        double kept = 0;
        for (int a = 0; a < k; a++) {
            int idx = order[a];
            for (int j = 0; j < d; j++) {
                comps[a][j] = round(vectors[j][idx]);
            }
            double v = Math.max(values[idx], 0);
            kept += v;
            vars[a] = round((1 - OOD_SHRINK) * v + OOD_SHRINK * meanVar);
        }
        double residual = d > k ? Math.max((total - kept) / (d - k), OOD_SHRINK * meanVar) : 1;
        return new FlagCalibration.Ood.Group(mean, sd, comps, vars, round(residual), 1);
    }

    /** Eigenvalues of the symmetric matrix {@code a} (destroyed); eigenvectors into the columns of {@code v}. */
    static double[] jacobi(double[][] a, double[][] v) {
        int n = a.length;
        for (int i = 0; i < n; i++) {
            Arrays.fill(v[i], 0);
            v[i][i] = 1;
        }
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    off += a[p][q] * a[p][q];
                }
            }
            if (off < 1e-18) {
                break;
            }
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    if (Math.abs(a[p][q]) < 1e-15) {
                        continue;
                    }
                    double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(t * t + 1);
                    double s = t * c;
                    for (int k = 0; k < n; k++) {
                        double akp = a[k][p];
                        double akq = a[k][q];
                        a[k][p] = c * akp - s * akq;
                        a[k][q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++) {
                        double apk = a[p][k];
                        double aqk = a[q][k];
                        a[p][k] = c * apk - s * aqk;
                        a[q][k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++) {
                        double vkp = v[k][p];
                        double vkq = v[k][q];
                        v[k][p] = c * vkp - s * vkq;
                        v[k][q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = a[i][i];
        }
        return out;
    }

    /** Logistic regression (Newton's method, ridge penalty) of "has a wrong finding" on the standardised features. */
    private static FlagCalibration.Risk risk(List<Case> cases, FlagCalibration c) {
        int n = cases.size();
        int d = RiskFeatures.NAMES.size();
        double[][] x = new double[n][];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = RiskFeatures.of(cases.get(i).signals(), c);
            y[i] = cases.get(i).wrong().isEmpty() ? 0 : 1;
        }
        List<String> names = new ArrayList<>();
        List<double[]> cols = new ArrayList<>();
        List<Double> means = new ArrayList<>();
        List<Double> sds = new ArrayList<>();
        for (int j = 0; j < d; j++) {
            int jj = j;
            double[] col = Arrays.stream(x).mapToDouble(r -> r[jj]).toArray();
            double[] fin = Arrays.stream(col).filter(Double::isFinite).toArray();
            if (fin.length < n / 2) {
                continue; // not available for this model
            }
            double m = Arrays.stream(fin).average().orElse(0);
            double s = std(fin);
            if (s < 1e-9) {
                continue;
            }
            // a few extreme values (out-of-distribution inputs) must not dominate the fit
            double[] z = Arrays.stream(col).map(v -> Double.isFinite(v) ? Math.max(-5, Math.min(5, (v - m) / s)) : 0).toArray();
            names.add(RiskFeatures.NAMES.get(j));
            cols.add(z);
            means.add(m);
            sds.add(s);
        }
        int k = names.size();
        double[] w = new double[k + 1]; // w[0] intercept
        for (int iter = 0; iter < 50; iter++) {
            double[] g = new double[k + 1];
            double[][] h = new double[k + 1][k + 1];
            for (int i = 0; i < n; i++) {
                double[] xi = new double[k + 1];
                xi[0] = 1;
                for (int j = 0; j < k; j++) {
                    xi[j + 1] = cols.get(j)[i];
                }
                double z = 0;
                for (int j = 0; j <= k; j++) {
                    z += w[j] * xi[j];
                }
                double p = 1 / (1 + Math.exp(-z));
                for (int a = 0; a <= k; a++) {
                    g[a] += (p - y[i]) * xi[a];
                    for (int b = 0; b <= k; b++) {
                        h[a][b] += p * (1 - p) * xi[a] * xi[b];
                    }
                }
            }
            for (int a = 1; a <= k; a++) {
                g[a] += RIDGE * w[a];
                h[a][a] += RIDGE;
            }
            double[] step = solve(h, g);
            double norm = 0;
            for (int a = 0; a <= k; a++) {
                w[a] -= step[a];
                norm += step[a] * step[a];
            }
            if (norm < 1e-12) {
                break;
            }
        }
        return new FlagCalibration.Risk(names, round(means.stream().mapToDouble(Double::doubleValue).toArray()),
                round(sds.stream().mapToDouble(Double::doubleValue).toArray()), round(w[0]),
                round(Arrays.copyOfRange(w, 1, k + 1)));
    }

    /** Gaussian elimination with partial pivoting. */
    private static double[] solve(double[][] a, double[] b) {
        int n = b.length;
        double[][] m = new double[n][n + 1];
        for (int i = 0; i < n; i++) {
            System.arraycopy(a[i], 0, m[i], 0, n);
            m[i][n] = b[i];
        }
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int r = c + 1; r < n; r++) {
                if (Math.abs(m[r][c]) > Math.abs(m[p][c])) {
                    p = r;
                }
            }
            double[] t = m[c];
            m[c] = m[p];
            m[p] = t;
            if (Math.abs(m[c][c]) < 1e-12) {
                continue;
            }
            for (int r = 0; r < n; r++) {
                if (r != c) {
                    double f = m[r][c] / m[c][c];
                    for (int k = c; k <= n; k++) {
                        m[r][k] -= f * m[c][k];
                    }
                }
            }
        }
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = Math.abs(m[i][i]) < 1e-12 ? 0 : m[i][n] / m[i][i];
        }
        return x;
    }

    /** The fitted calibration's own figures on its set (informative; the held-out figures come from eval). */
    private static JsonNode figures(FlagCalibration c, List<Case> cases) {
        FlagAssessor a = new FlagAssessor(c);
        List<FlagMetrics.Scored> scored = new ArrayList<>();
        for (Case k : cases) {
            Set<String> crit = new java.util.TreeSet<>();
            k.wrong().stream().filter(c::isCritical).forEach(crit::add);
            scored.add(new FlagMetrics.Scored(a.assess(k.signals()), k.wrong(), crit));
        }
        FlagMetrics.Summary s = FlagMetrics.summarise(scored);
        ObjectNode f = FlagCalibration.JSON.createObjectNode();
        f.put("drafts", s.drafts());
        f.put("with_wrong_finding", s.withError());
        f.put("with_wrong_critical_finding", s.withCriticalError());
        f.put("flag_rate", round(s.flagRate()));
        f.put("critical_errors_flagged", round(s.criticalErrorsFlagged()));
        f.put("errors_flagged", round(s.doubt().recall()));
        f.put("any_flag_rate", round((double) s.anyFlag().flagged() / Math.max(1, s.drafts())));
        f.put("any_flag_critical_errors_flagged", round(s.anyFlag().criticalRecall()));
        f.put("risk_auroc", round(s.riskAuroc()));
        return f;
    }

    static double std(double[] v) {
        if (v.length < 2) {
            return 0;
        }
        double m = Arrays.stream(v).average().orElse(0);
        return Math.sqrt(Arrays.stream(v).map(x -> (x - m) * (x - m)).sum() / (v.length - 1));
    }

    private static double round(double v) {
        return Double.isFinite(v) ? Math.round(v * 1e6) / 1e6 : v;
    }

    private static double[] round(double[] v) {
        return Arrays.stream(v).map(FlagCalibrator::round).toArray();
    }
}
