package org.raddraft.flags;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How well flags point at wrong drafts, where the truth is known (phantoms): per flag code precision
 * and recall against "the draft has a wrong finding" and against "a critical finding is wrong", the
 * AUROC of the risk score, the share of drafts flagged and the share of critical-error drafts that
 * carry a flag. "Flagged" means {@link Assessment#doubtful()} (a doubt flag); the same shares counting
 * CRITICAL_FINDING too are given as {@code anyFlag*}.
 */
public final class FlagMetrics {

    /** One scored draft: its assessment and the observations it got wrong (present vs absent). */
    public record Scored(Assessment assessment, Set<String> wrong, Set<String> criticalWrong) {
        boolean hasError() {
            return !wrong.isEmpty();
        }

        boolean hasCriticalError() {
            return !criticalWrong.isEmpty();
        }
    }

    /** Precision and recall of one flag code (or of "any flag"), against both kinds of error. */
    public record Rates(int flagged, double precision, double recall, double criticalPrecision, double criticalRecall) {
    }

    /**
     * @param drafts              drafts scored
     * @param withError           drafts with at least one wrong finding
     * @param withCriticalError   drafts with a wrong critical finding
     * @param flagRate            share of drafts carrying a doubt flag
     * @param criticalErrorsFlagged share of drafts with a critical-finding error that carry a doubt flag
     * @param riskAuroc           AUROC of the risk score against "has a wrong finding"
     * @param riskAurocCritical   AUROC of the risk score against "a critical finding is wrong"
     * @param doubt               rates of "carries a doubt flag"
     * @param anyFlag             rates of "carries any flag", CRITICAL_FINDING included
     * @param perCode             rates per flag code
     * @param riskCurve           flag rate and error recall when drafts are flagged at risk >= threshold
     */
    public record Summary(int drafts, int withError, int withCriticalError, double flagRate,
                          double criticalErrorsFlagged, double riskAuroc, double riskAurocCritical, Rates doubt,
                          Rates anyFlag, Map<FlagCode, Rates> perCode, List<double[]> riskCurve) {
    }

    private FlagMetrics() {
    }

    public static Summary summarise(List<Scored> drafts) {
        int n = drafts.size();
        int err = (int) drafts.stream().filter(Scored::hasError).count();
        int crit = (int) drafts.stream().filter(Scored::hasCriticalError).count();
        Rates doubt = rates(drafts, s -> s.assessment().doubtful());
        Rates any = rates(drafts, s -> !s.assessment().flags().isEmpty());
        Map<FlagCode, Rates> per = new EnumMap<>(FlagCode.class);
        for (FlagCode c : FlagCode.values()) {
            per.put(c, rates(drafts, s -> s.assessment().has(c)));
        }
        double[] risk = drafts.stream().mapToDouble(s -> s.assessment().riskScore()).toArray();
        boolean[] e = new boolean[n];
        boolean[] ce = new boolean[n];
        for (int i = 0; i < n; i++) {
            e[i] = drafts.get(i).hasError();
            ce[i] = drafts.get(i).hasCriticalError();
        }
        return new Summary(n, err, crit, n == 0 ? 0 : (double) doubt.flagged() / n, doubt.criticalRecall(),
                auroc(risk, e), auroc(risk, ce), doubt, any, per, curve(risk, e));
    }

    private static Rates rates(List<Scored> drafts, java.util.function.Predicate<Scored> flagged) {
        int f = 0;
        int tp = 0;
        int ctp = 0;
        int err = 0;
        int crit = 0;
        for (Scored s : drafts) {
            boolean x = flagged.test(s);
            f += x ? 1 : 0;
            err += s.hasError() ? 1 : 0;
            crit += s.hasCriticalError() ? 1 : 0;
            tp += x && s.hasError() ? 1 : 0;
            ctp += x && s.hasCriticalError() ? 1 : 0;
        }
        return new Rates(f, ratio(tp, f), ratio(tp, err), ratio(ctp, f), ratio(ctp, crit));
    }

    private static double ratio(int a, int b) {
        return b == 0 ? Double.NaN : (double) a / b;
    }

    /** Area under the ROC curve (ties count half); NaN when one class is empty. */
    public static double auroc(double[] score, boolean[] positive) {
        long pos = 0;
        long neg = 0;
        double wins = 0;
        for (int i = 0; i < score.length; i++) {
            if (!positive[i]) {
                continue;
            }
            pos++;
            for (int j = 0; j < score.length; j++) {
                if (positive[j]) {
                    continue;
                }
                wins += score[i] > score[j] ? 1 : score[i] == score[j] ? 0.5 : 0;
            }
        }
        for (boolean p : positive) {
            neg += p ? 0 : 1;
        }
        return pos == 0 || neg == 0 ? Double.NaN : wins / (pos * neg);
    }

    /** {flag rate, error recall, risk threshold} at each distinct risk value, highest first (a few points). */
    private static List<double[]> curve(double[] risk, boolean[] error) {
        Integer[] order = new Integer[risk.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, Comparator.comparingDouble((Integer i) -> risk[i]).reversed());
        int errors = 0;
        for (boolean b : error) {
            errors += b ? 1 : 0;
        }
        List<double[]> out = new ArrayList<>();
        int tp = 0;
        double[] rates = {0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.40, 0.50};
        int next = 0;
        for (int k = 0; k < order.length && next < rates.length; k++) {
            tp += error[order[k]] ? 1 : 0;
            double rate = (double) (k + 1) / order.length;
            if (rate >= rates[next]) {
                out.add(new double[] {rate, errors == 0 ? Double.NaN : (double) tp / errors, risk[order[k]]});
                next++;
            }
        }
        return out;
    }
}
