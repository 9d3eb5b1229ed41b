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

    public List<Mention> mentionsOf(Observation o) {
        return mentions.stream().filter(m -> m.observation() == o).toList();
    }
}
