package org.raddraft.report;

import java.util.Locale;
import java.util.Optional;

/** The 14 CheXpert observations, in CheXpert's column order. */
public enum Observation {
    NO_FINDING("No Finding"),
    ENLARGED_CARDIOMEDIASTINUM("Enlarged Cardiomediastinum"),
    CARDIOMEGALY("Cardiomegaly"),
    LUNG_OPACITY("Lung Opacity"),
    LUNG_LESION("Lung Lesion"),
    EDEMA("Edema"),
    CONSOLIDATION("Consolidation"),
    PNEUMONIA("Pneumonia"),
    ATELECTASIS("Atelectasis"),
    PNEUMOTHORAX("Pneumothorax"),
    PLEURAL_EFFUSION("Pleural Effusion"),
    PLEURAL_OTHER("Pleural Other"),
    FRACTURE("Fracture"),
    SUPPORT_DEVICES("Support Devices");

    private final String label;

    Observation(String label) {
        this.label = label;
    }

    /** CheXpert's name, e.g. "Pleural Effusion". */
    public String label() {
        return label;
    }

    /** By CheXpert name ("Pleural Effusion") or enum name ("PLEURAL_EFFUSION"), case-insensitive. */
    public static Optional<Observation> byLabel(String name) {
        String n = name.trim();
        for (Observation o : values()) {
            if (o.label.equalsIgnoreCase(n) || o.name().equals(n.toUpperCase(Locale.ROOT).replace(' ', '_'))) {
                return Optional.of(o);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return label;
    }
}
