package org.raddraft.dicom;

import java.util.Locale;

/**
 * Display window presets for projection radiographs. CR/DX values have no calibrated unit (unlike CT
 * Hounsfield units), so the presets other than {@link #DEFAULT} are percentile ranges of the image's
 * own display brightness (0 = darkest pixel, 100 = brightest, after MONOCHROME1 inversion): they
 * adapt to any detector and exposure.
 */
public enum WindowPreset {
    /** The file's VOI window (Window Center/Width), else the 0.5 and 99.5 percentiles. */
    DEFAULT(0.5, 99.5),
    /** The dark end stretched: lung parenchyma, vessels, pneumothorax edges. */
    LUNG(0.5, 70),
    /** The middle to bright range: mediastinum, heart borders, soft tissue, tubes and lines. */
    SOFT(20, 99),
    /** The brightest part only: ribs, clavicles, spine, dense devices. */
    BONE(55, 99.9);

    final double lowPercentile;
    final double highPercentile;

    WindowPreset(double lowPercentile, double highPercentile) {
        this.lowPercentile = lowPercentile;
        this.highPercentile = highPercentile;
    }

    /** The preset named {@code name} (any case). */
    public static WindowPreset of(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown window preset '" + name + "': use default, lung, soft or bone");
        }
    }
}
