package org.raddraft.cli;

import org.raddraft.report.Observation;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Maps the IU collection's MeSH-style {@code mesh_major} tags ("Pleural Effusion/right",
 * "Opacity/lung/base/left") to CheXpert observations. A tag is a heading followed by qualifiers
 * separated by '/'. Tags with no rule (Calcified Granuloma, Cicatrix, Spine, ...) map to nothing.
 * The table is documented in docs/labeller.md; keep the two in step.
 */
final class MeshTagMapping {

    /**
     * @param heading    the tag's heading, compared case-insensitively
     * @param requireAny when non-empty, at least one qualifier must be one of these
     * @param excludeAny when non-empty, no qualifier may be one of these
     * @param observation what the tag means
     */
    record Rule(String heading, Set<String> requireAny, Set<String> excludeAny, Observation observation) {
    }

    /** Qualifiers that put an opacity or nodule outside the lung. */
    private static final Set<String> OUTSIDE_LUNG = Set.of("ribs", "mediastinum", "thorax", "breast", "abdomen",
            "soft tissue", "spine", "thoracic vertebrae", "clavicle", "shoulder", "bone and bones", "neck");

    static final List<Rule> RULES = List.of(
            rule("normal", Observation.NO_FINDING),
            rule("Cardiomegaly", Observation.CARDIOMEGALY),
            new Rule("Cardiac Shadow", Set.of("enlarged"), Set.of(), Observation.CARDIOMEGALY),
            new Rule("Heart", Set.of("enlarged"), Set.of(), Observation.CARDIOMEGALY),
            new Rule("Mediastinum", Set.of("enlarged", "prominent", "widened", "wide"), Set.of("lymph nodes"),
                    Observation.ENLARGED_CARDIOMEDIASTINUM),
            new Rule("Opacity", Set.of(), OUTSIDE_LUNG, Observation.LUNG_OPACITY),
            rule("Infiltrate", Observation.LUNG_OPACITY),
            rule("Airspace Disease", Observation.LUNG_OPACITY),
            new Rule("Nodule", Set.of(), OUTSIDE_LUNG, Observation.LUNG_LESION),
            new Rule("Mass", Set.of(), OUTSIDE_LUNG, Observation.LUNG_LESION),
            rule("Lung Neoplasms", Observation.LUNG_LESION),
            rule("Pulmonary Edema", Observation.EDEMA),
            rule("Edema", Observation.EDEMA),
            rule("Pulmonary Congestion", Observation.EDEMA),
            rule("Consolidation", Observation.CONSOLIDATION),
            rule("Pneumonia", Observation.PNEUMONIA),
            rule("Pulmonary Atelectasis", Observation.ATELECTASIS),
            rule("Atelectasis", Observation.ATELECTASIS),
            rule("Pneumothorax", Observation.PNEUMOTHORAX),
            rule("Hydropneumothorax", Observation.PNEUMOTHORAX),
            rule("Hemopneumothorax", Observation.PNEUMOTHORAX),
            rule("Pleural Effusion", Observation.PLEURAL_EFFUSION),
            rule("Hydropneumothorax", Observation.PLEURAL_EFFUSION),
            rule("Hemopneumothorax", Observation.PLEURAL_EFFUSION),
            new Rule("Thickening", Set.of("pleura"), Set.of(), Observation.PLEURAL_OTHER),
            new Rule("Cicatrix", Set.of("pleura"), Set.of(), Observation.PLEURAL_OTHER),
            rule("Fractures, Bone", Observation.FRACTURE),
            rule("Catheters, Indwelling", Observation.SUPPORT_DEVICES),
            rule("Medical Device", Observation.SUPPORT_DEVICES),
            rule("Implanted Medical Device", Observation.SUPPORT_DEVICES),
            rule("Tube, Inserted", Observation.SUPPORT_DEVICES),
            rule("Stents", Observation.SUPPORT_DEVICES));

    /** Tags that carry no ground truth: reports with one are left out of the evaluation. */
    static final Set<String> NOT_INDEXED = Set.of("no indexing");

    private MeshTagMapping() {
    }

    private static Rule rule(String heading, Observation o) {
        return new Rule(heading, Set.of(), Set.of(), o);
    }

    static Set<Observation> observations(String tag) {
        String[] parts = tag.strip().split("\\s*/\\s*");
        String heading = parts[0];
        Set<String> qualifiers = new java.util.HashSet<>();
        for (int i = 1; i < parts.length; i++) {
            qualifiers.add(parts[i].toLowerCase(Locale.ROOT));
        }
        Set<Observation> out = EnumSet.noneOf(Observation.class);
        for (Rule r : RULES) {
            if (!r.heading().equalsIgnoreCase(heading)) {
                continue;
            }
            if (!r.requireAny().isEmpty() && r.requireAny().stream().noneMatch(qualifiers::contains)) {
                continue;
            }
            if (r.excludeAny().stream().anyMatch(qualifiers::contains)) {
                continue;
            }
            out.add(r.observation());
        }
        return out;
    }

    static Set<Observation> observations(List<String> tags) {
        Set<Observation> out = EnumSet.noneOf(Observation.class);
        tags.forEach(t -> out.addAll(observations(t)));
        return out;
    }

    static boolean indexed(List<String> tags) {
        return !tags.isEmpty() && tags.stream().noneMatch(t -> NOT_INDEXED.contains(t.strip().toLowerCase(Locale.ROOT)));
    }
}
