package org.raddraft.phantom;

import org.raddraft.report.Observation;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * CheXpert-style labels of a study: 1 present, 0 absent, -1 uncertain, plus one detail per drawn
 * finding. Rules (also in docs/phantoms.md):
 * <ul>
 *   <li>each drawn finding sets its own observation to 1;</li>
 *   <li>Lung Opacity is also 1 when Consolidation, Edema or Atelectasis is present (CheXpert parent);</li>
 *   <li>Pneumonia is 1 or -1 only as stated with an airspace opacity (never drawn on its own);</li>
 *   <li>No Finding is 1 when no observation other than Support Devices is 1 or -1.</li>
 * </ul>
 */
public record GroundTruth(Map<String, Integer> labels, List<Detail> details) {

    /**
     * @param status 1 present or -1 uncertain
     */
    public record Detail(String observation, String finding, String laterality, String severity,
                         String location, int status) {
    }

    public int label(Observation o) {
        return labels.get(o.label());
    }

    public static GroundTruth of(StudySpec spec) {
        Map<Observation, Integer> v = new java.util.EnumMap<>(Observation.class);
        for (Observation o : Observation.values()) v.put(o, 0);
        List<Detail> details = new ArrayList<>();
        Set<FindingType> parenchymal = EnumSet.of(FindingType.CONSOLIDATION, FindingType.OPACITY,
                FindingType.EDEMA, FindingType.ATELECTASIS);
        for (Finding f : spec.findings()) {
            v.put(f.observation(), 1);
            if (parenchymal.contains(f.type())) v.put(Observation.LUNG_OPACITY, 1);
            details.add(new Detail(f.observation().label(), findingName(f), f.side().word(), f.severity(),
                    f.location(), 1));
            if ((f.type() == FindingType.CONSOLIDATION || f.type() == FindingType.OPACITY) && f.variant() != 0) {
                if (v.get(Observation.PNEUMONIA) != 1) v.put(Observation.PNEUMONIA, f.variant());
                details.add(new Detail(Observation.PNEUMONIA.label(), "pneumonia", f.side().word(), f.severity(),
                        f.location(), f.variant()));
            }
        }
        boolean pathology = v.entrySet().stream().anyMatch(e -> e.getKey() != Observation.NO_FINDING
                && e.getKey() != Observation.SUPPORT_DEVICES && e.getValue() != 0);
        v.put(Observation.NO_FINDING, pathology ? 0 : 1);
        Map<String, Integer> labels = new LinkedHashMap<>();
        for (Observation o : Observation.values()) labels.put(o.label(), v.get(o));
        return new GroundTruth(java.util.Collections.unmodifiableMap(labels), List.copyOf(details));
    }

    /** Plain name of what was drawn, e.g. "pleural effusion", "central venous catheter". */
    static String findingName(Finding f) {
        return switch (f.type()) {
            case CARDIOMEGALY -> "cardiomegaly";
            case WIDENED_MEDIASTINUM -> "mediastinal widening";
            case PLEURAL_EFFUSION -> "pleural effusion";
            case CONSOLIDATION -> "consolidation";
            case OPACITY -> "opacity";
            case NODULE -> "nodule";
            case MASS -> "mass";
            case PNEUMOTHORAX -> "pneumothorax";
            case EDEMA -> "pulmonary edema";
            case ATELECTASIS -> "atelectasis";
            case PLEURAL_THICKENING -> "pleural thickening";
            case RIB_FRACTURE -> "rib fracture";
            case ET_TUBE -> "endotracheal tube";
            case CENTRAL_LINE -> "central venous catheter";
            case PACEMAKER -> "pacemaker";
        };
    }
}
