package org.raddraft.dicom;

/**
 * A VOI window in modality units and its application to stored values, the one way RadDraft turns
 * pixels into grey levels (for the model's input and for the review page alike):
 *
 * <ol>
 *   <li>modality LUT: {@code m = stored * RescaleSlope + RescaleIntercept};</li>
 *   <li>VOI: DICOM's LINEAR_EXACT function {@code y = (m - low) / width} clipped to [0, 1];</li>
 *   <li>MONOCHROME1: {@code 1 - y}, so that dense structures are bright as in MONOCHROME2;</li>
 *   <li>8-bit grey: {@code round(y * 255)}.</li>
 * </ol>
 *
 * @param low    the modality value shown black (white for MONOCHROME1 before inversion): center - width/2
 * @param width  Window Width, &gt; 0
 * @param source "file" (Window Center/Width of the file), "percentiles" or "explicit"
 */
public record VoiWindow(double low, double width, String source) {

    /** The window a preset gives for this frame (see {@link WindowPreset}). */
    public static VoiWindow of(PixelFrame f, WindowPreset preset) {
        Double c = f.windowCenter();
        Double w = f.windowWidth();
        if (preset == WindowPreset.DEFAULT && c != null && w != null && w >= 1) {
            return new VoiWindow(c - w / 2, w, "file");
        }
        double[] p = displayPercentiles(f, preset.lowPercentile, preset.highPercentile);
        return new VoiWindow(p[0], Math.max(p[1] - p[0], 1e-6), "percentiles");
    }

    /** An explicit Window Center / Width, as a DICOM viewer's window/level. */
    public static VoiWindow explicit(double center, double width) {
        return new VoiWindow(center - width / 2, width, "explicit");
    }

    public double center() {
        return low + width / 2;
    }

    /** Steps 1–4 for every pixel: 8-bit grey levels, row-major. */
    public int[] gray8(PixelFrame f) {
        int[] range = f.range();
        int[] lut = lut(f, range);
        int min = range[0];
        int[] v = f.values();
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = lut[v[i] - min];
        }
        return out;
    }

    /** Steps 1–4 as a table indexed by {@code stored - min stored value}. */
    int[] lut(PixelFrame f, int[] range) {
        int[] lut = new int[range[1] - range[0] + 1];
        double slope = f.rescaleSlope();
        double intercept = f.rescaleIntercept();
        boolean invert = f.monochrome1();
        for (int k = 0; k < lut.length; k++) {
            double m = (range[0] + k) * slope + intercept;
            double y = (m - low) / width;
            y = y < 0 ? 0 : (y > 1 ? 1 : y);
            if (invert) {
                y = 1 - y;
            }
            lut[k] = (int) Math.round(y * 255.0);
        }
        return lut;
    }

    /**
     * The modality values at two percentiles (0..100) of display brightness, as {@code {low, high}}
     * with {@code low <= high}; percentiles by linear interpolation between order statistics (numpy's
     * default), from a histogram of the stored values (linear time, bounded by Bits Stored).
     */
    static double[] displayPercentiles(PixelFrame f, double pLow, double pHigh) {
        int[] range = f.range();
        long[] cumulative = new long[range[1] - range[0] + 1];
        for (int v : f.values()) {
            cumulative[v - range[0]]++;
        }
        for (int k = 1; k < cumulative.length; k++) {
            cumulative[k] += cumulative[k - 1];
        }
        // brightness rises with the stored value unless exactly one of slope < 0 and MONOCHROME1 holds
        boolean rising = (f.rescaleSlope() > 0) != f.monochrome1();
        double a = modality(f, storedPercentile(cumulative, range[0], rising ? pLow : 100 - pLow));
        double b = modality(f, storedPercentile(cumulative, range[0], rising ? pHigh : 100 - pHigh));
        return new double[] {Math.min(a, b), Math.max(a, b)};
    }

    private static double modality(PixelFrame f, double stored) {
        return stored * f.rescaleSlope() + f.rescaleIntercept();
    }

    private static double storedPercentile(long[] cumulative, int min, double p) {
        long n = cumulative[cumulative.length - 1];
        double pos = p / 100.0 * (n - 1);
        long i = (long) Math.floor(pos);
        long j = Math.min(i + 1, n - 1);
        int vi = orderStatistic(cumulative, min, i);
        int vj = orderStatistic(cumulative, min, j);
        return vi + (pos - i) * (vj - vi);
    }

    /** The k-th smallest stored value (0-based). */
    private static int orderStatistic(long[] cumulative, int min, long k) {
        int lo = 0;
        int hi = cumulative.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cumulative[mid] > k) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return min + lo;
    }
}
