package org.raddraft.phantom;

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

    /** The CheXpert column name, e.g. {@code "Pleural Effusion"}. */
    public String label() {
        return label;
    }
}
