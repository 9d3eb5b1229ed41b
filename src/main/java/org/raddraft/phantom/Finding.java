package org.raddraft.phantom;

import org.raddraft.report.Observation;
/**
 * One parameterised finding. Geometry is in normalised canvas coordinates of the frontal view
 * (x to the image right = patient left, y downwards, both 0..1) before the study's rotation/shift.
 *
 * @param type      what is drawn
 * @param side      patient laterality
 * @param severity  severity word as written in the report (mild/moderate/severe, small/moderate/large,
 *                  nondisplaced/displaced), {@code null} for devices
 * @param location  anatomical location phrase, e.g. "right upper lobe", "costophrenic angle"
 * @param magnitude type-specific size: CTR for cardiomegaly, fluid height for effusion, radius for
 *                  nodule/opacity, rim width for pneumothorax, amplitude for edema, thickness for
 *                  atelectasis, widening for the mediastinum, step in rib heights for
 *                  a displaced fracture
 * @param x         type-specific horizontal position (centre offset from the midline for lesions)
 * @param y         type-specific vertical position
 * @param depth     antero-posterior position for the lateral view, 0 (anterior) .. 1 (posterior)
 * @param variant   type-specific discrete choice: pneumonia status (1, -1, 0) for opacities,
 *                  rib number for fractures, device sub-type, tip position in tenths of cm
 */
public record Finding(FindingType type, Side side, String severity, String location,
                      double magnitude, double x, double y, double depth, int variant) {

    public Observation observation() {
        return type.observation();
    }

    /** Same finding on the other side (used for bilateral atelectasis / effusion pairs). */
    Finding onSide(Side s) {
        return new Finding(type, s, severity, location, magnitude, x, y, depth, variant);
    }
}
