package org.raddraft.phantom;

import org.raddraft.report.Observation;
/** The parameterised changes the generator can draw, and the observation each one establishes. */
public enum FindingType {
    CARDIOMEGALY(Observation.CARDIOMEGALY),
    WIDENED_MEDIASTINUM(Observation.ENLARGED_CARDIOMEDIASTINUM),
    PLEURAL_EFFUSION(Observation.PLEURAL_EFFUSION),
    CONSOLIDATION(Observation.CONSOLIDATION),
    OPACITY(Observation.LUNG_OPACITY),
    NODULE(Observation.LUNG_LESION),
    MASS(Observation.LUNG_LESION),
    PNEUMOTHORAX(Observation.PNEUMOTHORAX),
    EDEMA(Observation.EDEMA),
    ATELECTASIS(Observation.ATELECTASIS),
    PLEURAL_THICKENING(Observation.PLEURAL_OTHER),
    RIB_FRACTURE(Observation.FRACTURE),
    ET_TUBE(Observation.SUPPORT_DEVICES),
    CENTRAL_LINE(Observation.SUPPORT_DEVICES),
    PACEMAKER(Observation.SUPPORT_DEVICES);

    private final Observation observation;

    FindingType(Observation observation) {
        this.observation = observation;
    }

    public Observation observation() {
        return observation;
    }

    public boolean isDevice() {
        return observation == Observation.SUPPORT_DEVICES;
    }
}
