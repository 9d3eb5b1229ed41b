package org.raddraft.inference;

import org.raddraft.dicom.DicomFormatException;
import org.raddraft.dicom.DicomPixels;
import org.raddraft.dicom.PixelFrame;
import org.raddraft.dicom.VoiWindow;
import org.raddraft.dicom.WindowPreset;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * DICOM pixels to the model's {@code pixel_values}, the same way the training code feeds the model
 * (training/data.py reads the phantom generator's 8-bit PNGs); steps 1–4 are {@link VoiWindow} with
 * {@link WindowPreset#DEFAULT}, the same grey levels the review page shows:
 *
 * <ol>
 *   <li>modality LUT: {@code m = stored * RescaleSlope + RescaleIntercept};</li>
 *   <li>VOI window: the file's first Window Center/Width with DICOM's LINEAR_EXACT function
 *       {@code (m - (c - w/2)) / w} clipped to [0, 1]; without a window, the 0.5 and 99.5 percentiles
 *       of {@code m} as black and white;</li>
 *   <li>MONOCHROME1: {@code 1 - y} (bone bright afterwards, like MONOCHROME2);</li>
 *   <li>8-bit grey: {@code round(y * 255)} (what the generator writes to the PNG);</li>
 *   <li>pad to square (centred, {@code pad_value}), box resize to S x S (exact k x k block mean for
 *       integer factors, Pillow's BOX filter otherwise);</li>
 *   <li>{@code x / 255}, then {@code (x - mean) / std}, in float32 and in the Python order.</li>
 * </ol>
 *
 * For the phantom generator's files the window reproduces the PNG exactly up to rare ±1 grey
 * levels (stored values carry ~12+ bits per display step of 1/255).
 */
public final class Preprocessor {

    private final PreprocessorConfig config;
    private final float divisor;

    public Preprocessor(PreprocessorConfig config) {
        this.config = config;
        double inv = 1.0 / config.rescaleFactor();
        // Python divides by float32(255); x * (1/255f) would round differently in the last bit
        this.divisor = Math.abs(inv - Math.rint(inv)) < 1e-4 ? (float) Math.rint(inv) : Float.NaN;
    }

    public int size() {
        return config.size();
    }

    /** One view of one file, normalised for channel {@code channel}: {@code size * size} floats. */
    public float[] view(Path part10, int channel) throws DicomFormatException {
        PixelFrame f = DicomPixels.decode(part10);
        return normalise(boxResize(toGray8(f), f.columns(), f.rows()), channel);
    }

    /**
     * One grey view repeated in every channel ({@code channels * size * size} floats), each channel
     * normalised with its own mean/std: what an RGB image processor does to a grey radiograph.
     */
    public float[] replicated(Path part10, int channels) throws DicomFormatException {
        PixelFrame f = DicomPixels.decode(part10);
        float[] grey = boxResize(toGray8(f), f.columns(), f.rows());
        float[] out = new float[channels * grey.length];
        for (int c = 0; c < channels; c++) {
            System.arraycopy(normalise(grey.clone(), c), 0, out, c * grey.length, grey.length);
        }
        return out;
    }

    /** Steps 1–4: an 8-bit grey image, row-major, MONOCHROME2 sense (the file's window, else percentiles). */
    static int[] toGray8(PixelFrame f) {
        return VoiWindow.of(f, WindowPreset.DEFAULT).gray8(f);
    }

    /**
     * Step 5: pad to square (when configured) and resize an 8-bit image to {@code size x size}, values
     * 0..255: box (area average), or Pillow's 8-bit bilinear when {@code resample} is 2.
     */
    public float[] boxResize(int[] grey, int width, int height) {
        if (config.resample() == PreprocessorConfig.BILINEAR) {
            int[] sq = config.padSquare() ? padSquare(grey, width, height) : grey;
            int n = Math.max(width, height);
            return config.padSquare() ? pillowBilinear8(sq, n, n, config.size()) : pillowBilinear8(sq, width, height, config.size());
        }
        int n = Math.max(width, height);
        int[] sq;
        if (width == height || !config.padSquare()) {
            sq = grey;
        } else {
            sq = new int[n * n];
            Arrays.fill(sq, config.padValue());
            int oy = (n - height) / 2;
            int ox = (n - width) / 2;
            for (int y = 0; y < height; y++) {
                System.arraycopy(grey, y * width, sq, (oy + y) * n + ox, width);
            }
        }
        int s = config.size();
        if (!config.padSquare() && width != height) {
            return pillowBox(sq, width, height, s);
        }
        if (n % s == 0) {
            int k = n / s;
            float[] out = new float[s * s];
            float kk = (float) (k * k);
            for (int oy = 0; oy < s; oy++) {
                for (int ox = 0; ox < s; ox++) {
                    long sum = 0;
                    for (int y = oy * k; y < oy * k + k; y++) {
                        int row = y * n;
                        for (int x = ox * k; x < ox * k + k; x++) {
                            sum += sq[row + x];
                        }
                    }
                    out[oy * s + ox] = (float) sum / kk;
                }
            }
            return out;
        }
        return pillowBox(sq, n, n, s);
    }

    private int[] padSquare(int[] grey, int width, int height) {
        if (width == height) {
            return grey;
        }
        int n = Math.max(width, height);
        int[] sq = new int[n * n];
        Arrays.fill(sq, config.padValue());
        int oy = (n - height) / 2;
        int ox = (n - width) / 2;
        for (int y = 0; y < height; y++) {
            System.arraycopy(grey, y * width, sq, (oy + y) * n + ox, width);
        }
        return sq;
    }

    private static final int PRECISION_BITS = 32 - 8 - 2;

    /**
     * Pillow's {@code Image.resize(..., BILINEAR)} of an 8-bit ("L") image, as Hugging Face image
     * processors call it: antialiased triangle filter (support scaled by the reduction factor),
     * horizontal pass then vertical, each rounded to 8 bits with Pillow's 22-bit fixed-point weights
     * (libImaging/Resample.c); a pass whose size does not change is skipped.
     */
    static float[] pillowBilinear8(int[] src, int w, int h, int s) {
        int[] tmp = src;
        if (w != s) {
            tmp = new int[h * s];
            Coeffs cx = Coeffs.of(w, s, true);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < s; x++) {
                    long ss = 1L << (PRECISION_BITS - 1);
                    for (int i = 0; i < cx.len[x]; i++) {
                        ss += src[y * w + cx.min[x] + i] * fixed(cx.k[x][i]);
                    }
                    tmp[y * s + x] = clip8(ss);
                }
            }
        }
        float[] out = new float[s * s];
        if (h == s) {
            for (int i = 0; i < out.length; i++) {
                out[i] = tmp[i];
            }
            return out;
        }
        Coeffs cy = Coeffs.of(h, s, true);
        for (int y = 0; y < s; y++) {
            for (int x = 0; x < s; x++) {
                long ss = 1L << (PRECISION_BITS - 1);
                for (int i = 0; i < cy.len[y]; i++) {
                    ss += tmp[(cy.min[y] + i) * s + x] * fixed(cy.k[y][i]);
                }
                out[y * s + x] = clip8(ss);
            }
        }
        return out;
    }

    private static long fixed(double k) {
        return k < 0 ? (long) (-0.5 + k * (1 << PRECISION_BITS)) : (long) (0.5 + k * (1 << PRECISION_BITS));
    }

    private static int clip8(long ss) {
        long v = ss >> PRECISION_BITS;
        return (int) Math.max(0, Math.min(255, v));
    }

    /**
     * Pillow's separable resample with the BOX filter (what {@code Image.resize(..., Image.BOX)} does
     * for mode "F"): horizontal pass, then vertical, normalised box weights over input pixel centres.
     */
    static float[] pillowBox(int[] src, int w, int h, int s) {
        float[] tmp = new float[h * s];
        Coeffs cx = Coeffs.of(w, s, false);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < s; x++) {
                double acc = 0;
                for (int i = 0; i < cx.len[x]; i++) {
                    acc += src[y * w + cx.min[x] + i] * cx.k[x][i];
                }
                tmp[y * s + x] = (float) acc;
            }
        }
        float[] out = new float[s * s];
        Coeffs cy = Coeffs.of(h, s, false);
        for (int y = 0; y < s; y++) {
            for (int x = 0; x < s; x++) {
                double acc = 0;
                for (int i = 0; i < cy.len[y]; i++) {
                    acc += tmp[(cy.min[y] + i) * s + x] * cy.k[y][i];
                }
                out[y * s + x] = (float) acc;
            }
        }
        return out;
    }

    private record Coeffs(int[] min, int[] len, double[][] k) {
        /** Pillow's precompute_coeffs for the BOX filter (support 0.5) or BILINEAR (triangle, support 1). */
        static Coeffs of(int in, int out, boolean bilinear) {
            double scale = (double) in / out;
            double filterscale = Math.max(scale, 1.0);
            double support = (bilinear ? 1.0 : 0.5) * filterscale;
            int[] min = new int[out];
            int[] len = new int[out];
            double[][] k = new double[out][];
            for (int xx = 0; xx < out; xx++) {
                double center = (xx + 0.5) * scale;
                int xmin = Math.max(0, (int) (center - support + 0.5));
                int xmax = Math.min(in, (int) (center + support + 0.5)) - xmin;
                double[] kk = new double[Math.max(0, xmax)];
                double ww = 0;
                for (int x = 0; x < xmax; x++) {
                    double t = (x + xmin - center + 0.5) / filterscale;
                    double wgt = bilinear ? Math.max(0.0, 1.0 - Math.abs(t)) : t > -0.5 && t <= 0.5 ? 1.0 : 0.0;
                    kk[x] = wgt;
                    ww += wgt;
                }
                for (int x = 0; x < xmax; x++) {
                    kk[x] = ww == 0 ? 0 : kk[x] / ww;
                }
                min[xx] = xmin;
                len[xx] = xmax;
                k[xx] = kk;
            }
            return new Coeffs(min, len, k);
        }
    }

    /** Step 6, in place: rescale then normalise with the channel's mean and std (float32, Python order). */
    public float[] normalise(float[] x, int channel) {
        float mean = config.mean()[channel];
        float std = config.std()[channel];
        for (int i = 0; i < x.length; i++) {
            float v = x[i];
            if (config.rescale()) {
                v = Float.isNaN(divisor) ? v * config.rescaleFactor() : v / divisor;
            }
            if (config.normalize()) {
                v = (v - mean) / std;
            }
            x[i] = v;
        }
        return x;
    }
}
