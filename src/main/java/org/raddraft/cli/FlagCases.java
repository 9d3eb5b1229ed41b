package org.raddraft.cli;

import org.raddraft.inference.DraftLabels;
import org.raddraft.inference.DraftOutcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.raddraft.flags.FlagCalibrator;
import org.raddraft.report.Observation;

/**
 * Drafts with known truth as the flags see them: for each study its {@link org.raddraft.flags.DraftSignals}
 * and the observations the draft got wrong (the labeller's present/absent against the generator's
 * ground truth, as label-F1 counts them). Shared by {@code raddraft calibrate} and {@code raddraft eval}.
 */
final class FlagCases {

    private FlagCases() {
    }

    /** The observations {@code predicted} gets wrong against {@code truth}. */
    static Set<String> wrong(Map<Observation, Boolean> truth, Map<Observation, Boolean> predicted) {
        Set<String> w = new TreeSet<>();
        for (Observation o : Observation.values()) {
            if (!truth.get(o).equals(predicted.get(o))) {
                w.add(o.label());
            }
        }
        return w;
    }

    /** Calibration cases of drafted studies: those whose drafting failed are left out. */
    static List<FlagCalibrator.Case> cases(List<EvalCommand.StudyTruth> set, List<DraftOutcome> outcomes) {
        org.raddraft.report.ReportLabeller labeller = org.raddraft.report.ReportLabeller.withDefaultLexicon();
        List<FlagCalibrator.Case> out = new ArrayList<>();
        for (int i = 0; i < set.size(); i++) {
            DraftOutcome o = outcomes.get(i);
            if (!o.ok() || o.draft().signals() == null) {
                continue;
            }
            Map<Observation, Boolean> pred = DraftLabels.positives(labeller.label(o.draft().findings(), o.draft().impression()));
            out.add(new FlagCalibrator.Case(o.draft().signals(), wrong(set.get(i).positive(), pred)));
        }
        return out;
    }
}
