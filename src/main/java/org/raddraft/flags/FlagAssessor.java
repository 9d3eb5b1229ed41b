package org.raddraft.flags;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Raises a draft's flags from its {@link DraftSignals} with one model's {@link FlagCalibration}:
 * each flag's severity is the finding's clinical relevance weight times the strength of its signal
 * (0.5 at the threshold, nearing 1 far past it); the risk score is the calibrated logistic
 * combination of all signals; the priority follows from the flags. Thread-safe, no I/O.
 */
public final class FlagAssessor {

    private final FlagCalibration cal;

    public FlagAssessor(FlagCalibration calibration) {
        this.cal = calibration;
    }

    public FlagCalibration calibration() {
        return cal;
    }

    public Assessment assess(DraftSignals s) {
        List<Flag> flags = new ArrayList<>();
        List<FlagCode> unavailable = new ArrayList<>();
        lowConfidence(s, flags);
        if (s.classifier() == null || cal.classifier() == null) {
            unavailable.add(FlagCode.CLASSIFIER_DISAGREES);
        } else {
            disagreements(s, flags);
        }
        critical(s, flags);
        if (s.groundingDrop() == null || cal.grounding() == null) {
            unavailable.add(FlagCode.NOT_IMAGE_GROUNDED);
        } else {
            grounding(s, flags);
        }
        RiskFeatures.Ood ood = RiskFeatures.oodRatio(s, cal);
        if (Double.isNaN(ood.ratio())) {
            unavailable.add(FlagCode.OUT_OF_DISTRIBUTION);
        } else if (ood.ratio() > 1) {
            flags.add(new Flag(FlagCode.OUT_OF_DISTRIBUTION, null, severity(null, strength(ood.ratio() - 1, 1)),
                    round(ood.ratio()), String.format(Locale.ROOT, "The image is unlike the images the model was "
                            + "calibrated on (%s %.1f times the calibrated limit): the draft may be meaningless.",
                    groupName(ood.group()), ood.ratio())));
        }
        flags.sort(Comparator.comparingDouble(Flag::severity).reversed()
                .thenComparing(f -> f.code().ordinal()));
        double risk = RiskFeatures.risk(RiskFeatures.of(s, cal), cal.risk(), ood.ratio());
        int priority = flags.stream().anyMatch(f -> f.code() == FlagCode.CRITICAL_FINDING) ? Assessment.CRITICAL
                : flags.isEmpty() ? Assessment.ROUTINE : Assessment.FLAGGED;
        return new Assessment(flags, round(risk), priority, unavailable);
    }

    private void lowConfidence(DraftSignals s, List<Flag> flags) {
        FlagCalibration.LowConfidence t = cal.lowConfidence();
        if (s.meanLogProb() < t.meanLogProb()) {
            flags.add(new Flag(FlagCode.LOW_CONFIDENCE, null,
                    severity(null, strength(t.meanLogProb() - s.meanLogProb(), t.scale())), round(s.meanLogProb()),
                    String.format(Locale.ROOT, "The model was unsure of its own wording: mean token log-probability "
                            + "%.3f, below the calibrated %.3f.", s.meanLogProb(), t.meanLogProb())));
        }
        // the least confident sentence per finding (or about the whole draft when it names none)
        Map<String, DraftSignals.Sentence> worst = new LinkedHashMap<>();
        for (DraftSignals.Sentence sen : s.sentences()) {
            if (sen.meanLogProb() >= t.sentenceLogProb()) {
                continue;
            }
            List<String> obs = sen.observations().isEmpty() ? java.util.Collections.singletonList(null) : sen.observations();
            for (String o : obs) {
                worst.merge(o == null ? "" : o, sen, (a, b) -> a.meanLogProb() <= b.meanLogProb() ? a : b);
            }
        }
        worst.forEach((o, sen) -> flags.add(new Flag(FlagCode.LOW_CONFIDENCE, o.isEmpty() ? null : o,
                severity(o.isEmpty() ? null : o, strength(t.sentenceLogProb() - sen.meanLogProb(), t.scale())),
                round(sen.meanLogProb()), String.format(Locale.ROOT, "The model was unsure of the sentence \"%s\" "
                        + "(mean token log-probability %.3f, below the calibrated %.3f).", sen.text(),
                        sen.meanLogProb(), t.sentenceLogProb()))));
    }

    private void disagreements(DraftSignals s, List<Flag> flags) {
        FlagCalibration.Classifier c = cal.classifier();
        for (String o : c.cutoffs().keySet()) {
            double e = RiskFeatures.excess(s, cal, o);
            double margin = cal.isCritical(o) ? c.criticalMargin() : c.margin();
            if (Double.isNaN(e) || e <= margin) {
                continue;
            }
            double p = s.classifier().get(o);
            DraftSignals.Statement st = s.stated().get(o);
            boolean saysPresent = st != null && st.positive();
            double cut = c.cutoffs().get(o);
            String detail;
            if (saysPresent == p >= cut) { // same side of the cut-off, but within the (negative) margin of it
                detail = String.format(Locale.ROOT, "The draft %s %s, and the independent image classifier is unsure: "
                        + "probability %.2f, close to its cut-off %.2f: check it on the image.",
                        saysPresent ? "reports" : "does not report", lower(o), p, cut);
            } else if (saysPresent) {
                detail = String.format(Locale.ROOT, "The draft reports %s, but the independent image classifier gives it "
                        + "a probability of only %.2f (its cut-off is %.2f): check that it is there.", lower(o), p, cut);
            } else {
                detail = String.format(Locale.ROOT, "The draft does not report %s, but the independent image classifier "
                        + "gives it a probability of %.2f (its cut-off is %.2f): check that it is absent.", lower(o), p, cut);
            }
            flags.add(new Flag(FlagCode.CLASSIFIER_DISAGREES, o, severity(o, strength(e - margin, c.scale())), round(p),
                    detail));
        }
    }

    private void critical(DraftSignals s, List<Flag> flags) {
        if (cal.critical() == null) {
            return;
        }
        for (FlagCalibration.Critical c : cal.critical()) {
            DraftSignals.Statement st = s.stated().get(c.observation());
            if (st == null || !st.positive() || !severe(st, c) || !worded(st, c)) {
                continue;
            }
            // signal: the classifier's probability when there is one (a critical finding it also sees is surer)
            Double p = s.classifier() == null ? null : s.classifier().get(c.observation());
            double strength = p == null ? 1 : 0.5 + 0.5 * p;
            flags.add(new Flag(FlagCode.CRITICAL_FINDING, c.observation(), severity(c.observation(), strength),
                    p == null ? 1 : round(p), "The draft reports " + lower(c.observation())
                    + (c.terms() == null || c.terms().isEmpty() ? "" : " (" + String.join("/", c.terms()) + ")")
                    + (c.minSeverity() == null ? "" : " at a severity of " + c.minSeverity().toLowerCase(Locale.ROOT)
                    + " or more") + ", a critical finding: read this study first."
                    + (p == null ? "" : String.format(Locale.ROOT, " The classifier gives it %.2f.", p))));
        }
    }

    private static boolean severe(DraftSignals.Statement st, FlagCalibration.Critical c) {
        if (c.minSeverity() == null) {
            return true;
        }
        List<String> order = List.of("UNSTATED", "MILD", "MODERATE", "SEVERE");
        return order.indexOf(st.severity()) >= order.indexOf(c.minSeverity().toUpperCase(Locale.ROOT));
    }

    private static boolean worded(DraftSignals.Statement st, FlagCalibration.Critical c) {
        if (c.terms() == null || c.terms().isEmpty()) {
            return true;
        }
        String w = st.wording() == null ? "" : st.wording().toLowerCase(Locale.ROOT);
        return c.terms().stream().anyMatch(t -> w.matches("(?s).*\\b" + java.util.regex.Pattern.quote(
                t.toLowerCase(Locale.ROOT)) + "\\b.*"));
    }

    private void grounding(DraftSignals s, List<Flag> flags) {
        FlagCalibration.Grounding g = cal.grounding();
        if (s.groundingDrop() < g.reportDrop()) {
            flags.add(new Flag(FlagCode.NOT_IMAGE_GROUNDED, null,
                    severity(null, strength(g.reportDrop() - s.groundingDrop(), g.scale())), round(s.groundingDrop()),
                    String.format(Locale.ROOT, "The draft hardly depends on the image: with the image replaced by "
                            + "noise its words lose only %.3f log-probability per token (calibrated minimum %.3f); "
                            + "it may come from the model's habits rather than from this image.",
                            s.groundingDrop(), g.reportDrop())));
        }
        if (s.findingDrops() != null) {
            s.findingDrops().forEach((o, drop) -> {
                if (drop < g.findingDrop()) {
                    flags.add(new Flag(FlagCode.NOT_IMAGE_GROUNDED, o, severity(o, strength(g.findingDrop() - drop,
                            g.scale())), round(drop), String.format(Locale.ROOT, "The sentences reporting %s hardly "
                            + "depend on the image region where the classifier sees it: occluding that region lowers "
                            + "their log-probability by only %.3f per token (calibrated minimum %.3f).", lower(o),
                            drop, g.findingDrop())));
                }
            });
        }
    }

    private double severity(String observation, double strength) {
        return round(Math.min(1, Math.max(0, cal.relevanceOf(observation) * strength)));
    }

    /** 0.5 at the threshold, rising towards 1 as the signal goes {@code excess} past it, {@code scale} being "far". */
    static double strength(double excess, double scale) {
        return 0.5 + 0.5 * (1 - Math.exp(-Math.max(0, excess) / Math.max(scale, 1e-9)));
    }

    private static String groupName(String g) {
        return g == null ? "features" : g.replace('_', ' ');
    }

    private static String lower(String observation) {
        return observation.toLowerCase(Locale.ROOT);
    }

    static double round(double v) {
        return Math.round(v * 10000) / 10000.0;
    }
}
