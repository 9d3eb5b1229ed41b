package org.raddraft.dicom;

/**
 * How to render one image for display.
 *
 * @param preset  the window when {@code center}/{@code width} are not given
 * @param center  explicit Window Center in modality units (after Rescale Slope/Intercept), or null
 * @param width   explicit Window Width (&gt;= 1), or null; given together with {@code center}
 * @param maxSize longest side of the result in pixels (box-filtered down, never up); 0 = full resolution
 * @param format  PNG (lossless) or JPEG
 */
public record RenderOptions(WindowPreset preset, Double center, Double width, int maxSize, Format format) {

    /** Output encodings. */
    public enum Format {
        PNG("image/png"), JPEG("image/jpeg");

        public final String mediaType;

        Format(String mediaType) {
            this.mediaType = mediaType;
        }
    }

    public RenderOptions {
        if (preset == null || format == null) {
            throw new IllegalArgumentException("preset and format are required");
        }
        if ((center == null) != (width == null)) {
            throw new IllegalArgumentException("give window center and width together");
        }
        if (width != null && !(width >= 1)) {
            throw new IllegalArgumentException("window width must be >= 1, got " + width);
        }
        if (center != null && !Double.isFinite(center)) {
            throw new IllegalArgumentException("window center must be a number");
        }
        if (maxSize < 0) {
            throw new IllegalArgumentException("max size must be >= 0 (0 = full resolution), got " + maxSize);
        }
    }

    /** The default window as PNG, longest side at most {@code maxSize}. */
    public static RenderOptions preset(WindowPreset preset, int maxSize) {
        return new RenderOptions(preset, null, null, maxSize, Format.PNG);
    }
}
