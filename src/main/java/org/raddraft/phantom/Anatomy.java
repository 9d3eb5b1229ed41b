package org.raddraft.phantom;

/**
 * Per-study body habitus, sampled once and shared by both views. Normalised canvas units
 * (the frontal canvas is 1 x 1; the midline is x = 0.5).
 *
 * @param bodyHalf        half-width of the body outline at chest level
 * @param thoraxHalf      half-width of the inner rib cage at the lung bases (thoracic width / 2)
 * @param lungTop         y of the lung apices
 * @param domeRight       y of the right hemidiaphragm dome (usually higher)
 * @param domeLeft        y of the left hemidiaphragm dome
 * @param ctr             cardiothoracic ratio of the normal heart
 * @param mediastinumHalf half-width of the upper mediastinum
 * @param softTissue      soft-tissue density multiplier (habitus)
 * @param female          draws breast shadows
 * @param ribPhase        vertical offset of the rib cage
 * @param ribSpacing      vertical spacing of posterior ribs
 * @param latDepth        antero-posterior depth scale of the lateral view
 */
public record Anatomy(double bodyHalf, double thoraxHalf, double lungTop, double domeRight, double domeLeft,
                      double ctr, double mediastinumHalf, double softTissue, boolean female,
                      double ribPhase, double ribSpacing, double latDepth) {

    /** Mean height of the domes: the lung base used by zone arithmetic. */
    double base() {
        return 0.5 * (domeRight + domeLeft);
    }

    double hilumY() {
        return lungTop + 0.33 * (base() - lungTop);
    }
}
