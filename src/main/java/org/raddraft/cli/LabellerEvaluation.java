package org.raddraft.cli;

import org.raddraft.report.Status;
import org.raddraft.report.ReportLabels;
import org.raddraft.report.Observation;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Agreement of the labeller with reference labels, per observation. A report's predicted positives
 * are the observations whose status is in {@link #COUNTED}.
 */
final class LabellerEvaluation {

    /**
     * What counts as a positive label: PRESENT only ("U-Zeros"). The IU tags leave out hedged
     * diagnoses ("may represent atelectasis or pneumonia"); counting UNCERTAIN as positive lowered
     * micro-F1 on iu-train (see docs/labeller.md).
     */
    static final Set<Status> COUNTED = Set.of(Status.PRESENT);

    /** Counts for one observation. */
    static final class Counts {
        int tp;
        int fp;
        int fn;
        /** Tagged present, labeller said ABSENT (a negated mention won). */
        int absentButTagged;
        /** Labeller said positive although some mention of it was negated; of those, how many were FPs. */
        int positiveWithNegatedMention;
        int positiveWithNegatedMentionFp;

        int support() {
            return tp + fn;
        }

        double precision() {
            return tp + fp == 0 ? 0 : (double) tp / (tp + fp);
        }

        double recall() {
            return tp + fn == 0 ? 0 : (double) tp / (tp + fn);
        }

        double f1() {
            return f1(tp, fp, fn);
        }

        static double f1(int tp, int fp, int fn) {
            return tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
        }
    }

    final Map<Observation, Counts> counts = new EnumMap<>(Observation.class);
    int reports;
    int skipped;

    LabellerEvaluation() {
        for (Observation o : Observation.values()) {
            counts.put(o, new Counts());
        }
    }

    void add(ReportLabels labels, Set<Observation> reference) {
        reports++;
        Set<Observation> predicted = labels.with(COUNTED);
        for (Observation o : Observation.values()) {
            Counts c = counts.get(o);
            boolean p = predicted.contains(o);
            boolean r = reference.contains(o);
            if (p && r) {
                c.tp++;
            } else if (p) {
                c.fp++;
            } else if (r) {
                c.fn++;
            }
            if (r && labels.status(o) == Status.ABSENT) {
                c.absentButTagged++;
            }
            if (p && labels.mentionsOf(o).stream().anyMatch(m -> m.status() == Status.ABSENT)) {
                c.positiveWithNegatedMention++;
                if (!r) {
                    c.positiveWithNegatedMentionFp++;
                }
            }
        }
    }

    double microF1() {
        int tp = 0;
        int fp = 0;
        int fn = 0;
        for (Counts c : counts.values()) {
            tp += c.tp;
            fp += c.fp;
            fn += c.fn;
        }
        return Counts.f1(tp, fp, fn);
    }

    double microPrecision() {
        int tp = counts.values().stream().mapToInt(c -> c.tp).sum();
        int fp = counts.values().stream().mapToInt(c -> c.fp).sum();
        return tp + fp == 0 ? 0 : (double) tp / (tp + fp);
    }

    double microRecall() {
        int tp = counts.values().stream().mapToInt(c -> c.tp).sum();
        int fn = counts.values().stream().mapToInt(c -> c.fn).sum();
        return tp + fn == 0 ? 0 : (double) tp / (tp + fn);
    }

    /** Mean F1 over the observations with support (at least one reference positive). */
    double macroF1() {
        return counts.values().stream().filter(c -> c.support() > 0).mapToDouble(Counts::f1).average().orElse(0);
    }

    Map<String, Object> toMap() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("reports", reports);
        out.put("skipped_not_indexed", skipped);
        out.put("positive_statuses", COUNTED.stream().map(Enum::name).sorted().toList());
        out.put("micro_precision", round(microPrecision()));
        out.put("micro_recall", round(microRecall()));
        out.put("micro_f1", round(microF1()));
        out.put("macro_f1", round(macroF1()));
        Map<String, Object> per = new LinkedHashMap<>();
        Map<String, Object> neg = new LinkedHashMap<>();
        counts.forEach((o, c) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("precision", round(c.precision()));
            m.put("recall", round(c.recall()));
            m.put("f1", round(c.f1()));
            m.put("tp", c.tp);
            m.put("fp", c.fp);
            m.put("fn", c.fn);
            m.put("support", c.support());
            per.put(o.label(), m);
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("absent_but_tagged", c.absentButTagged);
            n.put("positive_with_negated_mention", c.positiveWithNegatedMention);
            n.put("positive_with_negated_mention_untagged", c.positiveWithNegatedMentionFp);
            neg.put(o.label(), n);
        });
        out.put("per_observation", per);
        out.put("negation_confusion", neg);
        return out;
    }

    private static double round(double d) {
        return Math.round(d * 10000) / 10000.0;
    }
}
