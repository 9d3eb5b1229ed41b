package org.raddraft.inference;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.raddraft.report.Observation;
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
}
