package org.raddraft.report;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The labels of one report: one {@link Label} per observation, the mentions they came from, and the
 * non-CheXpert findings that were affirmed (they keep No Finding from being PRESENT).
 */
public record ReportLabels(Map<Observation, Label> labels, List<Mention> mentions, List<String> otherFindings) {

    public ReportLabels {
        EnumMap<Observation, Label> all = new EnumMap<>(Observation.class);
        for (Observation o : Observation.values()) {
            all.put(o, labels.getOrDefault(o, Label.notMentioned(o)));
        }
        labels = Collections.unmodifiableMap(all);
        mentions = List.copyOf(mentions);
        otherFindings = List.copyOf(otherFindings);
    }

    public Label label(Observation o) {
        return labels.get(o);
    }

    public Status status(Observation o) {
        return labels.get(o).status();
    }

    /** Observations whose status is in {@code counted} (e.g. PRESENT and UNCERTAIN). */
    public Set<Observation> with(Set<Status> counted) {
        return labels.values().stream().filter(l -> counted.contains(l.status())).map(Label::observation)
                .collect(Collectors.toCollection(() -> java.util.EnumSet.noneOf(Observation.class)));
    }

    /** The children CheXpert places under Lung Opacity. */
    public static final Set<Observation> LUNG_OPACITY_CHILDREN = java.util.Collections.unmodifiableSet(
            java.util.EnumSet.of(Observation.EDEMA, Observation.CONSOLIDATION, Observation.PNEUMONIA,
                    Observation.LUNG_LESION, Observation.ATELECTASIS));

    /**
     * These labels with Lung Opacity raised to the strongest status among {@code children} (PRESENT
     * over UNCERTAIN), as in CheXpert's hierarchy. The labeller itself never does this; callers
     * choose the children (e.g. the phantom ground truth uses Consolidation, Edema and Atelectasis).
     */
    public ReportLabels withLungOpacityImpliedBy(Set<Observation> children) {
        Map<Observation, Label> out = new EnumMap<>(labels);
        for (Observation c : children) {
            Label child = out.get(c);
            Status ps = out.get(Observation.LUNG_OPACITY).status();
            if (child.status() == Status.PRESENT && ps != Status.PRESENT
                    || child.status() == Status.UNCERTAIN && !ps.positive()) {
                out.put(Observation.LUNG_OPACITY, new Label(Observation.LUNG_OPACITY, child.status(),
                        child.laterality(), child.severity()));
            }
        }
        return new ReportLabels(out, mentions, otherFindings);
    }

    public List<Mention> mentionsOf(Observation o) {
        return mentions.stream().filter(m -> m.observation() == o).toList();
    }
}
