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

    /** Steps 1–4: an 8-bit grey image, row-major, MONOCHROME2 sense (the file's window, else percentiles). */
    static int[] toGray8(PixelFrame f) {
        return VoiWindow.of(f, WindowPreset.DEFAULT).gray8(f);
    }

    /** Step 5: pad to square and box-resize an 8-bit image to {@code size x size}, values 0..255. */
    public float[] boxResize(int[] grey, int width, int height) {
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

    /**
     * Pillow's separable resample with the BOX filter (what {@code Image.resize(..., Image.BOX)} does
     * for mode "F"): horizontal pass, then vertical, normalised box weights over input pixel centres.
     */
    static float[] pillowBox(int[] src, int w, int h, int s) {
        float[] tmp = new float[h * s];
        Coeffs cx = Coeffs.of(w, s);
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
        Coeffs cy = Coeffs.of(h, s);
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
        static Coeffs of(int in, int out) {
            double scale = (double) in / out;
            double filterscale = Math.max(scale, 1.0);
            double support = 0.5 * filterscale;
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
                    double wgt = t > -0.5 && t <= 0.5 ? 1.0 : 0.0;
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
