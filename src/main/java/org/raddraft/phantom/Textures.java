package org.raddraft.phantom;

import java.util.SplittableRandom;

/**
 * Shared, fixed-seed texture and noise tables. Built once per JVM; studies only choose offsets
 * into them, which keeps rendering fast and deterministic.
 */
final class Textures {
    static final int T = 512;
    static final int TMASK = T - 1;
    /** Ridged band-limited noise 0..1: thin bright branching lines, used for lung markings. */
    static final float[] RIDGE = new float[T * T];
    /** Smooth noise 0..1: patchiness of airspace disease. */
    static final float[] SMOOTH = new float[T * T];
    static final int NOISE_BITS = 20;
    /** Standard normal deviates. */
    static final float[] GAUSS = new float[1 << NOISE_BITS];

    static {
        SplittableRandom r = new SplittableRandom(0x5EEDC0DEL);
        float[] a = valueNoise(r, 16), b = valueNoise(r, 32), c = valueNoise(r, 64);
        float[] d = valueNoise(r, 8), e = valueNoise(r, 32);
        for (int i = 0; i < T * T; i++) {
            double n = 0.55 * a[i] + 0.3 * b[i] + 0.15 * c[i]; // -1..1
            double ridge = 1 - Math.min(1, Math.abs(n) * 3.2);
            RIDGE[i] = (float) (ridge * ridge * ridge);
            SMOOTH[i] = (float) (0.5 + 0.35 * d[i] + 0.25 * e[i]);
        }
        for (int i = 0; i < GAUSS.length; i += 2) {
            double u1 = r.nextDouble(), u2 = r.nextDouble();
            double rad = Math.sqrt(-2 * StrictMath.log(1 - u1));
            GAUSS[i] = (float) (rad * StrictMath.cos(2 * Math.PI * u2));
            GAUSS[i + 1] = (float) (rad * StrictMath.sin(2 * Math.PI * u2));
        }
    }

    private Textures() {
    }

    /** Tileable value noise in -1..1 with the given lattice period (pixels). */
    private static float[] valueNoise(SplittableRandom r, int period) {
        int g = T / period;
        double[] lattice = new double[g * g];
        for (int i = 0; i < lattice.length; i++) lattice[i] = r.nextDouble() * 2 - 1;
        float[] out = new float[T * T];
        for (int y = 0; y < T; y++) {
            int gy = y / period;
            double fy = ChestGeometry.smooth((y % period) / (double) period);
            for (int x = 0; x < T; x++) {
                int gx = x / period;
                double fx = ChestGeometry.smooth((x % period) / (double) period);
                double v00 = lattice[gy * g + gx], v10 = lattice[gy * g + (gx + 1) % g];
                double v01 = lattice[((gy + 1) % g) * g + gx], v11 = lattice[((gy + 1) % g) * g + (gx + 1) % g];
                double top = v00 + (v10 - v00) * fx, bot = v01 + (v11 - v01) * fx;
                out[y * T + x] = (float) (top + (bot - top) * fy);
            }
        }
        return out;
    }

    /** Sample at normalised canvas coordinates, offset by a per-study seed. */
    static float ridge(double x, double y, int seed) {
        return RIDGE[index(x, y, seed)];
    }

    static float smooth(double x, double y, int seed) {
        return SMOOTH[index(x, y, seed)];
    }

    private static int index(double x, double y, int seed) {
        int tx = ((int) (x * T) + (seed & 0x3FF)) & TMASK;
        int ty = ((int) (y * T) + ((seed >>> 10) & 0x3FF)) & TMASK;
        return ty * T + tx;
    }
}
