package org.raddraft.inference;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.LinkedHashMap;
import java.util.List;
import org.raddraft.flags.DraftSignals;
import org.raddraft.report.Label;
import org.raddraft.report.Mention;
import org.raddraft.report.Observation;
import org.raddraft.report.Report;
import org.raddraft.report.ReportLabeller;
import org.raddraft.report.ReportLabels;

/** Which observations a report affirms, counted as the phantom ground truth counts them (label-F1, flags). */
public final class DraftLabels {

    /** Observations the phantom ground truth derives Lung Opacity from (as the generator does). */
    public static final Set<Observation> OPACITY_CHILDREN = EnumSet.of(Observation.CONSOLIDATION, Observation.EDEMA,
            Observation.ATELECTASIS);

    private DraftLabels() {
    }

    /** Per observation: present or uncertain (label-F1 counts both), Lung Opacity implied by its children. */
    public static Map<Observation, Boolean> positives(ReportLabels l) {
        ReportLabels implied = l.withLungOpacityImpliedBy(OPACITY_CHILDREN);
        Map<Observation, Boolean> m = new EnumMap<>(Observation.class);
        for (Observation o : Observation.values()) {
            m.put(o, implied.status(o).positive());
        }
        return m;
    }

    /** Per observation, what a draft says about it (the flags' {@link DraftSignals#stated()}), for every backend. */
    public static Map<String, DraftSignals.Statement> stated(ReportLabeller labeller, String findings, String impression) {
        ReportLabels labels = labeller.label(findings, impression);
        Map<Observation, Boolean> pos = positives(labels);
        List<org.raddraft.report.Sentence> sentences = Report.of(findings, impression).sentences();
        ReportLabels implied = labels.withLungOpacityImpliedBy(OPACITY_CHILDREN);
        Map<String, DraftSignals.Statement> out = new LinkedHashMap<>();
        for (Observation o : Observation.values()) {
            Label l = implied.label(o);
            StringBuilder wording = new StringBuilder();
            for (Mention m : labels.mentionsOf(o)) {
                if (m.sentenceIndex() < sentences.size()) {
                    wording.append(wording.isEmpty() ? "" : " ").append(sentences.get(m.sentenceIndex()).text());
                }
            }
            out.put(o.label(), new DraftSignals.Statement(pos.get(o), l.severity().name(), wording.toString()));
        }
        return out;
    }

    /**
     * The observations one sentence affirms (present or uncertain), by CheXpert name; a sentence that
     * names nothing abnormal reads as "No Finding", which is not a statement of it.
     */
    public static List<String> affirmed(ReportLabeller labeller, String sentence) {
        List<String> obs = new java.util.ArrayList<>();
        if (!sentence.isBlank()) {
            positives(labeller.label(sentence, "")).forEach((o, p) -> {
                if (p && o != Observation.NO_FINDING) {
                    obs.add(o.label());
                }
            });
        }
        return obs;
    }
}
