package org.raddraft.phantom;

import static org.raddraft.phantom.ChestGeometry.CX;
import static org.raddraft.phantom.ChestGeometry.clamp;
import static org.raddraft.phantom.ChestGeometry.smoothstep;

/**
 * Draws the frontal and lateral views of a {@link StudySpec}. Works in an attenuation-like
 * density (0 = air outside the body, about 1 = mediastinum, more for bone and metal) on a square
 * canvas in normalised coordinates, then applies the view's rotation/magnification/shift, noise
 * and display curve. The result is a display-ready image in 0..1, bright bone and dark lung
 * (MONOCHROME2 sense).
 *
 * <p>Only the {@link StudySpec} drives the drawing: the same spec with one finding removed gives an
 * image that differs only where that finding was drawn.
 */
final class ChestRenderer {
    /** Millimetres per normalised canvas unit (the canvas is about 43 cm wide). */
    static final double MM_PER_UNIT = 430;
    private static final double LUNG_AIR = 0.68;

    private final StudySpec spec;
    private final ChestGeometry g;
    private final Anatomy a;
    private final int n;

    ChestRenderer(StudySpec spec, int size) {
        this.spec = spec;
        this.g = ChestGeometry.of(spec);
        this.a = spec.anatomy();
        this.n = size;
    }

    /** Display-ready frontal view, row-major, values 0..1. */
    float[] frontal() {
        float[] d = new float[n * n];
        float[] o = new float[n * n];
        frontalBody(d);
        paintFrontalFindings(o);
        frontalLungs(d, o);
        frontalMediastinum(d);
        frontalBones(d);
        frontalSoftTissueExtras(d);
        paintFrontalDevices(d);
        return finish(d, spec.frontal());
    }

    /** Display-ready lateral view (anterior to the image left), row-major, values 0..1. */
    float[] lateral() {
        float[] d = new float[n * n];
        float[] oRight = new float[n * n];
        float[] oLeft = new float[n * n];
        lateralBody(d);
        paintLateralFindings(oRight, oLeft);
        lateralLungs(d, oRight, oLeft);
        lateralBones(d);
        paintLateralDevices(d);
        return finish(d, spec.lateral());
    }

    // =============================================================== frontal

    private void frontalBody(float[] d) {
        double soft = a.softTissue();
        double neckTop = a.lungTop() - 0.10;
        for (int j = 0; j < n; j++) {
            double y = (j + 0.5) / n;
            double sh = ChestGeometry.smooth(clamp((y - neckTop) / 0.09));
            double bw = 0.085 + (a.bodyHalf() + 0.035 - 0.085) * sh;
            if (y > a.lungTop() + 0.05) bw = a.bodyHalf() + 0.035 * (1 - clamp((y - a.lungTop() - 0.05) / 0.2));
            if (y > a.base()) bw -= 0.03 * (y - a.base());
            int row = j * n;
            double inv = 1.0 / n, ibw = 1.0 / bw;
            for (int i = 0; i < n; i++) {
                double dx = Math.abs((i + 0.5) * inv - CX);
                if (dx >= bw) continue;
                double t = Math.sqrt(1 - (dx * ibw) * (dx * ibw));
                d[row + i] = (float) (soft * 0.95 * Math.sqrt(t));
            }
        }
    }

    private void frontalLungs(float[] d, float[] o) {
        Finding ptx = first(FindingType.PNEUMOTHORAX);
        int ptxSign = ptx == null ? 0 : ptx.side().sign();
        int seed = spec.frontal().textureSeed();
        float[] vessels = new float[n * n];
        for (int sign = -1; sign <= 1; sign += 2) {
            vesselTree(vessels, CX + sign * g.hilumDx(), a.hilumY(), sign, seed + sign);
        }
        double hy = a.hilumY(), hdx = g.hilumDx();
        int j0 = px(a.lungTop() - 0.01), j1 = px(Math.max(a.domeLeft(), a.domeRight()) + 0.11);
        int i0 = px(CX - a.thoraxHalf() - 0.01), i1 = px(CX + a.thoraxHalf() + 0.01);
        double lungAir = LUNG_AIR * a.softTissue();
        double[] topCol = new double[n], diaCol = new double[n];
        for (int i = i0; i <= i1; i++) {
            double x = (i + 0.5) / n, dx = Math.abs(x - CX);
            topCol[i] = g.top(dx);
            diaCol[i] = g.diaphragm(x < CX ? -1 : 1, dx);
        }
        double hTop = g.heartTop() - 0.01, hBot = g.heartCenterY() + g.heartHalfHeight() + 0.01;
        for (int j = j0; j <= j1; j++) {
            double y = (j + 0.5) / n;
            double mwR = g.mediastinumHalf(y, -1), mwL = g.mediastinumHalf(y, 1), out = g.outer(y);
            boolean heartRow = y > hTop && y < hBot;
            for (int i = i0; i <= i1; i++) {
                double x = (i + 0.5) / n;
                int sign = x < CX ? -1 : 1;
                double dx = Math.abs(x - CX);
                double m1 = dx - (sign < 0 ? mwR : mwL);
                double m2 = out - dx;
                double m3 = y - topCol[i];
                double m4 = diaCol[i] - y;
                if (m1 < -0.006 || m2 < -0.01 || m3 < -0.015 || m4 < -0.004) continue;
                double l = smoothstep(-0.002, 0.006, m1) * smoothstep(-0.006, 0.02, m2)
                        * smoothstep(-0.01, 0.025, m3) * smoothstep(-0.0025, 0.0025, m4);
                double inside = Math.min(Math.min(m1, m2), Math.min(m3, m4));
                l *= 0.82 + 0.18 * smoothstep(0.0, 0.08, inside);
                boolean ptxSpace = false;
                double line = 0;
                if (sign == ptxSign) {
                    double base = g.dome(sign);
                    double mw = a.mediastinumHalf();
                    double ky = 1 - ptx.magnitude() / (base - a.lungTop());
                    double kx = 1 - ptx.x() / (a.thoraxHalf() - mw);
                    double qy = base + (y - base) / ky;
                    double qdx = mw + (dx - mw) / kx;
                    double dq = g.lungInside(sign, qdx, qy);
                    if (dq < 0 && inside > -0.002) ptxSpace = true;
                    double lw = 0.0028;
                    if (Math.abs(dq) < lw && inside > 0.006) line = 0.55 * (1 - Math.abs(dq) / lw);
                }
                int k = j * n + i;
                double mark;
                if (ptxSpace) {
                    mark = line;
                    l *= 1.16;
                } else {
                    double ry = (y - hy) * 0.9, rx = dx - hdx;
                    double rh2 = rx * rx + ry * ry;
                    double fade = 1 - clamp(Math.sqrt(rh2) / 0.40);
                    double hil = rh2 < 0.0081 ? 0.30 * StrictMath.exp(-rh2 / (0.03 * 0.03)) : 0;
                    mark = 0.05 + 0.07 * fade * Textures.smooth(x * 3, y * 3, seed) + vessels[k] + hil + line;
                }
                double op = Math.min(1, o[k] + mark);
                l *= (1 - op);
                if (heartRow) l *= 1 - 0.9 * g.heart(x, y);
                d[k] -= (float) (lungAir * l);
            }
        }
    }

    /** Branching pulmonary vessels radiating from a hilum, tapering to the periphery. */
    private void vesselTree(float[] v, double hx, double hy, int sign, int seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed * 0x9E3779B97F4A7C15L + sign);
        double[] angles = {-110, -75, -40, -8, 22, 50, 78}; // degrees from straight lateral; negative = up
        for (int b = 0; b < angles.length; b++) {
            double ang = Math.toRadians(angles[b] + (r.nextDouble() - 0.5) * 16);
            double len = (b >= 4 ? 0.075 : 0.06) + 0.02 * r.nextDouble();
            // origins spread along the hilum so the vessels do not meet in a single point
            double ox = hx + sign * (0.012 + 0.008 * r.nextDouble()), oy = hy + (b - 3) * 0.016;
            branch(v, ox, oy, ang, sign, len, b >= 4 ? 0.0046 : 0.0038, 0, r);
        }
    }

    private void branch(float[] v, double x, double y, double ang, int sign, double len, double hw, int depth,
                        java.util.SplittableRandom r) {
        double ex = x + sign * StrictMath.cos(ang) * len, ey = y + StrictMath.sin(ang) * len;
        double bend = (r.nextDouble() - 0.5) * 0.25 * len;
        double mx = (x + ex) / 2 - StrictMath.sin(ang) * bend * sign, my = (y + ey) / 2 + StrictMath.cos(ang) * bend;
        polyline(v, new double[][]{{x, y}, {mx, my}, {ex, ey}}, hw, 0.09 + 0.03 * (3 - depth), false, true,
                hw * 1.2 + 0.6 / n);
        if (depth >= 3) return;
        for (int b = 0; b < 2; b++) {
            double na = ang + (b == 0 ? -1 : 1) * Math.toRadians(18 + 14 * r.nextDouble());
            branch(v, ex, ey, na, sign, len * (0.72 + 0.1 * r.nextDouble()), hw * 0.7, depth + 1, r);
        }
    }

    private void frontalMediastinum(float[] d) {
        double carina = a.hilumY() - 0.07;
        double tx = CX + 0.004;
        // trachea (air column) and main bronchi
        fillPolyline(d, new double[][]{{tx, a.lungTop() - 0.12}, {tx, carina}}, 0.016, -0.13, false);
        fillPolyline(d, new double[][]{{tx, carina}, {CX - g.hilumDx() + 0.02, a.hilumY() - 0.005}}, 0.009, -0.09, false);
        fillPolyline(d, new double[][]{{tx, carina}, {CX + g.hilumDx() - 0.02, a.hilumY() + 0.01}}, 0.009, -0.09, false);
    }

    private void frontalBones(float[] d) {
        // spine
        double vy = 0.015 + a.ribPhase();
        double h = 0.043;
        while (vy < 1.0) {
            double hw = 0.021 + 0.01 * vy;
            fillBox(d, CX - hw, vy, CX + hw, vy + h - 0.008, 0.045, 0.004);
            disc(d, CX - hw + 0.006, vy + 0.010, 0.0065, 0.035, true);
            disc(d, CX + hw - 0.006, vy + 0.010, 0.0065, 0.035, true);
            fillBox(d, CX - 0.004, vy + 0.012, CX + 0.004, vy + h - 0.012, 0.03, 0.003);
            vy += h;
        }
        // ribs: posterior arcs and their anterior continuations
        Finding fx = first(FindingType.RIB_FRACTURE);
        for (int sign = -1; sign <= 1; sign += 2) {
            java.util.SplittableRandom jr = new java.util.SplittableRandom(spec.frontal().textureSeed() + 31L * sign);
            for (int k = 0; k < 10; k++) {
                double y0 = a.lungTop() - 0.03 + a.ribPhase() + k * a.ribSpacing() + (jr.nextDouble() - 0.5) * 0.006;
                double th = (0.0082 + 0.0025 * k / 9.0) * (0.92 + 0.16 * jr.nextDouble());
                double fracU = -1, step = 0, gap = 0, callus = 0;
                if (fx != null && fx.side().sign() == sign && fx.variant() == k + 1) {
                    fracU = fx.x();
                    step = fx.magnitude() * 2 * th;
                    // displaced: the fragments override (slide past each other), so the two ends lie
                    // side by side over 2.4 % of the image, dense where they overlap; undisplaced:
                    // a 1.4 % break (4 px at the model's 256 px) bridged by a callus, as seen a week
                    // or two on
                    boolean displaced = "displaced".equals(fx.severity());
                    gap = displaced ? 0.024 : 0.014;
                    callus = displaced ? 0 : 1;
                }
                rib(d, sign, y0, th, fracU, step, gap, callus, k);
            }
            // clavicle
            double ys = a.lungTop() + 0.065, yl = a.lungTop() - 0.01;
            for (int i = px(CX + sign * 0.025), e = px(CX + sign * 0.31); i != e; i += sign) {
                double dx = Math.abs((i + 0.5) / n - CX);
                double u = (dx - 0.025) / 0.285;
                double yc = ys + (yl - ys) * u + 0.013 * StrictMath.sin(2 * Math.PI * u);
                column(d, i, yc, 0.0115, 0.20 * smoothstep(0.0, 0.08, u) * (1 - smoothstep(0.92, 1.0, u)));
            }
            // humeral head
            disc(d, CX + sign * (a.bodyHalf() + 0.005), a.lungTop() + 0.01, 0.068, 0.12, true);
        }
    }

    /** One rib: posterior arc from the spine outwards, then the fainter anterior arc inwards. */
    private void rib(float[] d, int sign, double y0, double th, double fracU, double step, double gap, double callus,
                     int k) {
        double dx0 = 0.03;
        double w = a.thoraxHalf() + 0.012;
        double yLat = y0 + 0.11;
        double below = g.dome(sign) + 0.02;
        for (int i = px(CX + sign * dx0), e = px(CX + sign * w); i != e; i += sign) {
            double dx = Math.abs((i + 0.5) / n - CX);
            double u = (dx - dx0) / (w - dx0);
            double yc = y0 - 0.10 * u + 0.21 * u * u;
            double amp = 0.10 * smoothstep(0.0, 0.05, dx - dx0);
            double ribTh = th;
            if (fracU >= 0) {
                double du = Math.abs(u - fracU) * (w - dx0);
                if (callus > 0) {
                    if (du < gap / 2) {
                        amp *= 2.8;
                        ribTh *= 3.0;
                    } else if (du < gap / 2 + 0.03) {
                        // a fusiform knot, denser than where two ribs cross (which it must not be taken for)
                        double c = 1 - (du - gap / 2) / 0.03;
                        amp *= 1 + 2.8 * c;
                        ribTh *= 1 + 1.8 * c;
                    }
                } else if (du < gap / 2) {
                    // overriding ends: both fragments, each sclerotic at its end
                    column(d, i, yc + step, ribTh, amp * 2.2);
                    amp *= 2.2;
                } else if (u > fracU) {
                    yc += step; // the lateral fragment is displaced along its whole length
                }
            }
            column(d, i, yc, ribTh, amp);
            // anterior arc: descends medially from the lateral end, fades at the costal cartilage
            double v = (w - dx) / (w - 0.11);
            if (v <= 1 && k < 7) {
                double ya = yLat + 0.17 * StrictMath.pow(v, 1.15);
                double fade = (1 - smoothstep(0.7, 1.0, v)) * (1 - smoothstep(below - 0.04, below, ya));
                column(d, i, ya, th * 0.85, 0.065 * fade);
            }
        }
    }

    private void frontalSoftTissueExtras(float[] d) {
        if (a.female()) {
            for (int sign = -1; sign <= 1; sign += 2) {
                double cx = CX + sign * 0.23, cy = a.base() - 0.05;
                ellipseAdd(d, cx, cy, 0.15, 0.10, 0.07, 0.025);
            }
        }
        // gastric air under the left hemidiaphragm
        ellipseAdd(d, CX + 0.15, a.domeLeft() + 0.055, 0.05, 0.028, -0.16, 0.008);
    }

    private void paintFrontalFindings(float[] o) {
        int seed = spec.frontal().textureSeed() + 77;
        for (Finding f : spec.findings()) {
            switch (f.type()) {
                case PLEURAL_EFFUSION -> {
                    for (int sign : signs(f.side())) effusionFrontal(o, sign, f.magnitude());
                }
                case CONSOLIDATION, OPACITY -> {
                    double amp = f.type() == FindingType.CONSOLIDATION ? 0.85 : 0.6;
                    patch(o, CX + f.side().sign() * f.x(), f.y(), f.magnitude() * 1.15, f.magnitude() * 0.9, amp, seed);
                }
                case NODULE, MASS -> nodule(o, CX + f.side().sign() * f.x(), f.y(), f.magnitude(),
                        f.type() == FindingType.MASS);
                case EDEMA -> {
                    for (int sign = -1; sign <= 1; sign += 2) {
                        edema(o, CX + sign * (g.hilumDx() + 0.03), a.hilumY() + 0.02, f.magnitude(), seed);
                        if (f.magnitude() > 0.3) kerley(o, sign);
                    }
                }
                case ATELECTASIS -> {
                    for (int sign : signs(f.side())) {
                        band(o, CX + sign * f.x(), g.dome(sign) - f.y(), 0.10 + f.magnitude() * 3,
                                f.magnitude(), sign * f.variant(), 0.85);
                    }
                }
                case PLEURAL_THICKENING -> apicalCap(o, f.side().sign(), f.magnitude());
                default -> { }
            }
        }
    }

    private void effusionFrontal(float[] o, int sign, double h) {
        double cp = g.costophrenicY(sign);
        double mw = a.mediastinumHalf();
        int j0 = px(cp - h - 0.02), j1 = px(Math.max(a.domeLeft(), a.domeRight()) + 0.1);
        for (int j = Math.max(0, j0); j <= Math.min(n - 1, j1); j++) {
            double y = (j + 0.5) / n;
            for (int i = px(CX + sign * mw); i != px(CX + sign * (a.thoraxHalf() + 0.01)); i += sign) {
                double dx = Math.abs((i + 0.5) / n - CX);
                double u = clamp((dx - mw) / (g.outer(y) - mw));
                double yf = cp - h + (0.45 * h + 0.03) * (1 - u) * Math.sqrt(1 - u); // meniscus: higher laterally
                double v = 0.95 * smoothstep(yf - 0.003, yf + 0.03, y);
                o[j * n + i] = (float) Math.max(o[j * n + i], v);
            }
        }
    }

    private void patch(float[] o, double cx, double cy, double rx, double ry, double amp, int seed) {
        int i0 = px(cx - rx * 1.3), i1 = px(cx + rx * 1.3), j0 = px(cy - ry * 1.3), j1 = px(cy + ry * 1.3);
        for (int j = Math.max(0, j0); j <= Math.min(n - 1, j1); j++) {
            double y = (j + 0.5) / n;
            for (int i = Math.max(0, i0); i <= Math.min(n - 1, i1); i++) {
                double x = (i + 0.5) / n;
                double r = StrictMath.hypot((x - cx) / rx, (y - cy) / ry);
                double t = Textures.smooth(x, y, seed);
                double v = amp * (1 - smoothstep(0.3, 1.0, r + 0.35 * (t - 0.5)));
                v *= 0.86 + 0.2 * t - 0.14 * Textures.ridge(x * 1.3, y * 1.3, seed + 5); // air bronchograms
                if (v > 0) o[j * n + i] = (float) Math.min(1, o[j * n + i] + v);
            }
        }
    }

    private void nodule(float[] o, double cx, double cy, double r, boolean lobulated) {
        int i0 = px(cx - r * 1.3), i1 = px(cx + r * 1.3), j0 = px(cy - r * 1.3), j1 = px(cy + r * 1.3);
        double edge = Math.max(0.0025, r * 0.12);
        for (int j = Math.max(0, j0); j <= Math.min(n - 1, j1); j++) {
            double y = (j + 0.5) / n;
            for (int i = Math.max(0, i0); i <= Math.min(n - 1, i1); i++) {
                double x = (i + 0.5) / n;
                double dist = StrictMath.hypot(x - cx, y - cy);
                if (lobulated) dist /= 1 + 0.09 * StrictMath.sin(5 * StrictMath.atan2(y - cy, x - cx) + 1.3);
                double v = Math.min(0.95, 0.68 + 6 * r) * (1 - smoothstep(r - edge, r + edge * 0.5, dist));
                if (v > 0) o[j * n + i] = (float) Math.min(1, o[j * n + i] + v);
            }
        }
    }

    private void edema(float[] o, double cx, double cy, double amp, int seed) {
        double rx = 0.09 + amp * 0.22, ry = 0.10 + amp * 0.2;
        int i0 = px(cx - rx * 2), i1 = px(cx + rx * 2), j0 = px(cy - ry * 2), j1 = px(cy + ry * 2);
        for (int j = Math.max(0, j0); j <= Math.min(n - 1, j1); j++) {
            double y = (j + 0.5) / n;
            for (int i = Math.max(0, i0); i <= Math.min(n - 1, i1); i++) {
                double x = (i + 0.5) / n;
                double q = ((x - cx) / rx) * ((x - cx) / rx) + ((y - cy) / ry) * ((y - cy) / ry);
                double v = amp * StrictMath.exp(-q) * (0.75 + 0.5 * Textures.smooth(x, y, seed + 9));
                if (v > 0.004) o[j * n + i] = (float) Math.min(1, o[j * n + i] + v);
            }
        }
    }

    private void kerley(float[] o, int sign) {
        for (int k = 0; k < 5; k++) {
            double y = a.base() - 0.03 - k * 0.018;
            double xo = CX + sign * (g.outer(y) - 0.004);
            double[][] pts = {{xo, y}, {xo - sign * 0.028, y + 0.002}};
            fillPolyline(o, pts, 0.0018, 0.45, false);
        }
    }

    private void band(float[] o, double cx, double cy, double len, double th, double angleDeg, double amp) {
        double c = StrictMath.cos(Math.toRadians(angleDeg)), s = StrictMath.sin(Math.toRadians(angleDeg));
        double ext = len * 0.6 + th;
        int i0 = px(cx - ext), i1 = px(cx + ext), j0 = px(cy - ext), j1 = px(cy + ext);
        for (int j = Math.max(0, j0); j <= Math.min(n - 1, j1); j++) {
            double y = (j + 0.5) / n - cy;
            for (int i = Math.max(0, i0); i <= Math.min(n - 1, i1); i++) {
                double x = (i + 0.5) / n - cx;
                double along = x * c + y * s, across = -x * s + y * c;
                double half = th / 2 * (1 - 0.5 * (2 * along / len) * (2 * along / len));
                double v = amp * (1 - smoothstep(half, half + 0.004, Math.abs(across)))
                        * (1 - smoothstep(len * 0.4, len * 0.5, Math.abs(along)));
                if (v > 0) o[(j) * n + i] = (float) Math.min(1, o[j * n + i] + v);
            }
        }
    }

    private void apicalCap(float[] o, int sign, double th) {
        for (int j = px(a.lungTop() - 0.01); j <= px(a.lungTop() + 0.2); j++) {
            double y = (j + 0.5) / n;
            for (int i = px(CX + sign * 0.05); i != px(CX + sign * (a.thoraxHalf() + 0.01)); i += sign) {
                double dx = Math.abs((i + 0.5) / n - CX);
                double dt = y - g.top(dx);
                double w = th * (1 - 0.5 * clamp(Math.abs(dx - 0.17) / 0.15));
                double v = 0.8 * smoothstep(-0.003, 0.002, dt) * (1 - smoothstep(w, w + 0.005, dt));
                if (v > 0) o[j * n + i] = (float) Math.max(o[j * n + i], v);
            }
        }
    }

    private void paintFrontalDevices(float[] d) {
        double carina = a.hilumY() - 0.07;
        for (Finding f : spec.findings()) {
            switch (f.type()) {
                case ET_TUBE -> {
                    double tip = carina - f.variant() * 10 / MM_PER_UNIT;
                    double[][] p = {{CX + 0.006, -0.01}, {CX + 0.005, 0.08}, {CX + 0.004, tip}};
                    fillPolyline(d, p, 0.010, 0.10, false);
                    fillPolyline(d, p, 0.0022, 0.55, false);
                }
                case CENTRAL_LINE -> fillPolyline(d, centralLineFrontal(f), 0.0024, 0.5, false);
                case PACEMAKER -> {
                    int s = f.side().sign();
                    double gx = CX + s * (0.25 + f.x()), gy = a.lungTop() + 0.1 + f.y();
                    fillBox(d, gx - 0.042, gy - 0.028, gx + 0.042, gy + 0.028, 1.1, 0.006);
                    double[][] ra = {{gx - s * 0.03, gy}, {CX + s * 0.08, gy + 0.02}, {CX - 0.01, g.heartTop() - 0.02},
                            {CX - 0.055, g.heartCenterY() - 0.06}};
                    double[][] rv = {{gx - s * 0.03, gy + 0.01}, {CX + s * 0.07, gy + 0.035}, {CX - 0.02, g.heartTop()},
                            {CX + 0.02, g.heartCenterY()}, {CX + g.heartHalfWidth(1) * 0.6, g.dome(1) - 0.02}};
                    fillPolyline(d, rv, 0.0028, 0.55, false); // right ventricular lead, always
                    if (f.variant() == 2) fillPolyline(d, ra, 0.0028, 0.55, false); // right atrial lead
                }
                default -> { }
            }
        }
    }

    double[][] centralLineFrontal(Finding f) {
        double tipY = f.location().startsWith("cavo") ? g.heartTop() + 0.035 : a.hilumY() - 0.03;
        double svcX = CX - a.mediastinumHalf() + 0.02;
        return switch (f.variant()) {
            case 1 -> new double[][]{{CX + 0.34, a.lungTop() + 0.02}, {CX + 0.14, a.lungTop() + 0.07},
                    {CX + 0.02, a.lungTop() + 0.12}, {svcX, a.lungTop() + 0.17}, {svcX, tipY}};
            case 2 -> new double[][]{{CX - 0.34, a.lungTop() + 0.02}, {CX - 0.14, a.lungTop() + 0.07},
                    {svcX - 0.01, a.lungTop() + 0.13}, {svcX, tipY}};
            default -> new double[][]{{CX - 0.10, -0.01}, {CX - 0.07, a.lungTop()}, {svcX - 0.005, a.lungTop() + 0.12},
                    {svcX, tipY}};
        };
    }

    // =============================================================== lateral

    private void lateralBody(float[] d) {
        double soft = a.softTissue() * 1.12;
        for (int j = 0; j < n; j++) {
            double y = (j + 0.5) / n;
            double ya = Math.max(y, a.lungTop() + 0.02);
            double front = g.latAnterior(ya) - 0.06, back = g.latPosterior(ya) + 0.08;
            double neck = 1 - ChestGeometry.smooth(clamp((y - (a.lungTop() - 0.1)) / 0.12));
            front += neck * 0.12;
            back -= neck * 0.06;
            if (y > a.base()) front -= 0.04 * (y - a.base()); // abdomen
            double mid = 0.5 * (front + back), hw = 0.5 * (back - front);
            int row = j * n;
            double inv = 1.0 / n, ihw = 1.0 / hw;
            for (int i = 0; i < n; i++) {
                double u = ((i + 0.5) * inv - mid) * ihw;
                if (u <= -1 || u >= 1) continue;
                d[row + i] = (float) (soft * 0.97 * Math.sqrt(Math.sqrt(1 - u * u)));
            }
        }
    }

    private void lateralLungs(float[] d, float[] oRight, float[] oLeft) {
        Finding ptx = first(FindingType.PNEUMOTHORAX);
        boolean ptxVisible = ptx != null && !"small".equals(ptx.severity());
        int seed = spec.lateral().textureSeed();
        double hx = g.latX(0.55, a.hilumY()), hy = a.hilumY();
        float[] vessels = new float[n * n];
        vesselTree(vessels, hx, hy, -1, seed + 5);
        vesselTree(vessels, hx, hy, 1, seed + 6);
        double lungAir = LUNG_AIR * a.softTissue();
        int j0 = px(g.latTop() - 0.01), j1 = px(Math.max(a.domeLeft(), a.domeRight()) + 0.13);
        int i0 = px(g.latAnterior(0.6) - 0.03), i1 = px(g.latPosterior(0.6) + 0.03);
        double[][] dia = new double[2][n];
        for (int i = i0; i <= i1; i++) {
            dia[0][i] = g.latDiaphragm(-1, (i + 0.5) / n);
            dia[1][i] = g.latDiaphragm(1, (i + 0.5) / n);
        }
        for (int j = j0; j <= j1; j++) {
            double y = (j + 0.5) / n;
            double ant = g.latAnterior(y), post = g.latPosterior(y);
            for (int i = Math.max(0, i0); i <= Math.min(n - 1, i1); i++) {
                double x = (i + 0.5) / n;
                double m1 = x - ant, m2 = post - x, m3 = y - g.latTop();
                if (m1 < -0.01 || m2 < -0.01 || m3 < -0.01) continue;
                double common = smoothstep(-0.004, 0.012, m1) * smoothstep(-0.006, 0.02, m2)
                        * smoothstep(-0.008, 0.03, m3);
                int k = j * n + i;
                double ry = y - hy, rx = x - hx;
                double rh2 = rx * rx + ry * ry;
                double baseMark = 0.05 + 0.06 * (1 - clamp(Math.sqrt(rh2) / 0.36)) * Textures.smooth(x * 3, y * 3, seed)
                        + vessels[k] * 0.6 + (rh2 < 0.011 ? 0.32 * StrictMath.exp(-rh2 / (0.035 * 0.035)) : 0);
                double total = 0;
                for (int sign = -1; sign <= 1; sign += 2) {
                    double m4 = dia[sign < 0 ? 0 : 1][i] - y;
                    double l = common * smoothstep(-0.0025, 0.0025, m4);
                    if (l <= 0) continue;
                    boolean ptxSpace = false;
                    double line = 0;
                    if (ptxVisible && ptx.side().sign() == sign) {
                        double base = g.dome(sign);
                        double ky = 1 - 0.8 * ptx.magnitude() / (base - a.lungTop());
                        double qy = base + (y - base) / ky;
                        double dq = g.latInside(sign, x, qy);
                        double inside = Math.min(Math.min(m1, m2), Math.min(m3, m4));
                        if (dq < 0 && inside > -0.002) ptxSpace = true;
                        if (Math.abs(dq) < 0.0028 && inside > 0.006) line = 0.5 * (1 - Math.abs(dq) / 0.0028);
                    }
                    double mark;
                    if (ptxSpace) {
                        mark = line;
                        l *= 1.14;
                    } else {
                        mark = baseMark + line;
                    }
                    float[] o = sign < 0 ? oRight : oLeft;
                    l *= 1 - Math.min(1, o[k] + mark);
                    total += 0.5 * l;
                }
                total *= 1 - 0.88 * g.latHeart(x, y);
                d[k] -= (float) (lungAir * 1.05 * total);
            }
        }
        // trachea
        double carina = a.hilumY() - 0.07;
        fillPolyline(d, new double[][]{{g.latX(0.42, 0.1), a.lungTop() - 0.12}, {g.latX(0.5, carina), carina}},
                0.016, -0.11, false);
    }

    private void paintLateralFindings(float[] oRight, float[] oLeft) {
        int seed = spec.lateral().textureSeed() + 77;
        for (Finding f : spec.findings()) {
            switch (f.type()) {
                case PLEURAL_EFFUSION -> {
                    for (int sign : signs(f.side())) effusionLateral(sign < 0 ? oRight : oLeft, sign, f.magnitude());
                }
                case CONSOLIDATION, OPACITY -> {
                    double amp = f.type() == FindingType.CONSOLIDATION ? 0.9 : 0.65;
                    patch(sideMap(f, oRight, oLeft), g.latX(f.depth(), f.y()), f.y(), f.magnitude() * 1.1,
                            f.magnitude() * 0.95, amp, seed);
                }
                case NODULE, MASS -> nodule(sideMap(f, oRight, oLeft), g.latX(f.depth(), f.y()), f.y(),
                        f.magnitude(), f.type() == FindingType.MASS);
                case EDEMA -> {
                    edema(oRight, g.latX(0.5, a.hilumY()), a.hilumY() + 0.03, f.magnitude(), seed);
                    edema(oLeft, g.latX(0.5, a.hilumY()), a.hilumY() + 0.03, f.magnitude(), seed + 3);
                }
                case ATELECTASIS -> {
                    for (int sign : signs(f.side())) {
                        double y = g.dome(sign) - f.y() + 0.01;
                        band(sign < 0 ? oRight : oLeft, g.latX(f.depth(), y), y, 0.12 + f.magnitude() * 3,
                                f.magnitude(), -18 + f.variant() * 0.5, 0.85);
                    }
                }
                default -> { }
            }
        }
    }

    private void effusionLateral(float[] o, int sign, double h) {
        double xa = g.latAnterior(0.6), xp = g.latPosterior(0.6);
        double yPost = g.latDiaphragm(sign, xp);
        int j0 = px(yPost - h * 1.1 - 0.03), j1 = px(yPost + 0.02);
        for (int j = Math.max(0, j0); j <= Math.min(n - 1, j1); j++) {
            double y = (j + 0.5) / n;
            for (int i = px(xa); i <= px(xp + 0.01); i++) {
                double x = (i + 0.5) / n;
                double u = clamp((xp - x) / (xp - xa));
                double yf = yPost - h * 1.1 + (0.9 * h + 0.04) * StrictMath.pow(u, 0.8);
                double v = 0.95 * smoothstep(yf - 0.003, yf + 0.03, y);
                o[j * n + i] = (float) Math.max(o[j * n + i], v);
            }
        }
    }

    private void lateralBones(float[] d) {
        // vertebral bodies and posterior elements
        double vy = 0.015 + a.ribPhase();
        double h = 0.043;
        while (vy < 1.0) {
            double yb = Math.max(vy, a.lungTop());
            double front = g.latPosterior(yb + 0.2) - 0.175 * a.latDepth() + 0.02 * (vy - 0.5);
            double w = (0.075 + 0.03 * vy) * a.latDepth();
            fillBox(d, front, vy, front + w, vy + h - 0.009, 0.085, 0.005);
            fillBox(d, front + w + 0.01, vy + 0.006, front + w + 0.05, vy + h - 0.016, 0.05, 0.006);
            vy += h;
        }
        // sternum
        double sx = g.latAnterior(0.4) - 0.018;
        fillPolyline(d, new double[][]{{sx - 0.012, a.lungTop() + 0.08}, {sx, a.base() - 0.1}}, 0.009, 0.12, true);
        // posterior ribs, both sides superimposed
        for (int k = 0; k < 10; k++) {
            double y0 = a.lungTop() - 0.01 + a.ribPhase() + k * a.ribSpacing();
            double xp = g.latPosterior(y0 + 0.1) + 0.02;
            for (int s = 0; s < 2; s++) {
                double off = s * 0.012;
                double[][] p = {{xp, y0 + off}, {xp - 0.12, y0 + off + 0.05}, {xp - 0.3, y0 + off + 0.16}};
                fillPolyline(d, p, 0.008, 0.035, true);
            }
        }
    }

    private void paintLateralDevices(float[] d) {
        double carina = a.hilumY() - 0.07;
        for (Finding f : spec.findings()) {
            switch (f.type()) {
                case ET_TUBE -> {
                    double tip = carina - f.variant() * 10 / MM_PER_UNIT;
                    double[][] p = {{g.latX(0.3, 0.0) - 0.02, -0.01}, {g.latX(0.42, 0.1), a.lungTop() - 0.06},
                            {g.latX(0.49, tip), tip}};
                    fillPolyline(d, p, 0.010, 0.08, false);
                    fillPolyline(d, p, 0.0022, 0.5, false);
                }
                case CENTRAL_LINE -> {
                    double tipY = f.location().startsWith("cavo") ? g.heartTop() + 0.035 : a.hilumY() - 0.03;
                    double[][] p = {{g.latX(0.3, 0.1), -0.01}, {g.latX(0.35, a.lungTop()), a.lungTop() + 0.02},
                            {g.latX(0.4, 0.3), a.lungTop() + 0.15}, {g.latX(0.4, tipY), tipY}};
                    fillPolyline(d, p, 0.0024, 0.45, false);
                }
                case PACEMAKER -> {
                    double gx = g.latAnterior(0.25) - 0.04, gy = a.lungTop() + 0.1 + f.y();
                    fillBox(d, gx - 0.02, gy - 0.03, gx + 0.02, gy + 0.03, 1.0, 0.006);
                    double[][] p = {{gx, gy}, {g.latX(0.3, gy), gy + 0.05}, {g.latX(0.35, 0.4), g.heartTop()},
                            {g.latHeartX() - 0.05, g.latHeartY() + 0.06}};
                    fillPolyline(d, p, 0.0028, 0.5, false);
                }
                default -> { }
            }
        }
    }

    // =============================================================== finishing

    /** Rotation/magnification/shift (bilinear, edge-clamped), quantum noise, display curve. */
    private float[] finish(float[] d, Acquisition q) {
        float[] out = new float[n * n];
        double th = Math.toRadians(q.rotationDeg());
        double c = StrictMath.cos(th) / q.scale(), s = StrictMath.sin(th) / q.scale();
        double lo = q.lo(), span = q.hi() - q.lo();
        float[] lut = gammaLut(q.gamma());
        int noiseIdx = q.noiseSeed();
        int mask = (1 << Textures.NOISE_BITS) - 1;
        // noise in display units at the reference 512 px; coarser images average more quanta
        double sigma = q.noise() * Math.sqrt(n / 512.0);
        for (int j = 0; j < n; j++) {
            double py = (j + 0.5) / n - 0.5 - q.shiftY();
            double px0 = 0.5 / n - 0.5 - q.shiftX();
            double sx = (c * px0 + s * py + 0.5) * n - 0.5;
            double sy = (-s * px0 + c * py + 0.5) * n - 0.5;
            for (int i = 0; i < n; i++, sx += c, sy -= s) {
                double v = bilinear(d, sx, sy);
                v += sigma * Textures.GAUSS[(noiseIdx + j * n + i) & mask];
                double t = (v - lo) / span;
                int k = (int) (clamp(t) * 4095 + 0.5);
                out[j * n + i] = lut[k];
            }
        }
        return out;
    }

    /** Gamma followed by a soft shoulder: contrast kept in the lungs, bright regions compressed. */
    private static float[] gammaLut(double gamma) {
        float[] lut = new float[4096];
        double k = 0.8, norm = 1 - StrictMath.exp(-k);
        for (int i = 0; i < 4096; i++) {
            double t = StrictMath.pow(i / 4095.0, gamma);
            lut[i] = (float) ((1 - StrictMath.exp(-k * t)) / norm);
        }
        return lut;
    }

    private double bilinear(float[] d, double x, double y) {
        if (x < 0) x = 0;
        if (y < 0) y = 0;
        if (x > n - 1) x = n - 1;
        if (y > n - 1) y = n - 1;
        int x0 = (int) x, y0 = (int) y;
        int x1 = Math.min(x0 + 1, n - 1), y1 = Math.min(y0 + 1, n - 1);
        double fx = x - x0, fy = y - y0;
        double top = d[y0 * n + x0] + (d[y0 * n + x1] - d[y0 * n + x0]) * fx;
        double bot = d[y1 * n + x0] + (d[y1 * n + x1] - d[y1 * n + x0]) * fx;
        return top + (bot - top) * fy;
    }

    // =============================================================== primitives

    private int px(double v) {
        int p = (int) Math.floor(v * n);
        return p < 0 ? 0 : p >= n ? n - 1 : p;
    }

    /** Adds a bone-like band centred at yc in one column: bright cortex, softer medulla. */
    private void column(float[] d, int i, double yc, double halfTh, double amp) {
        if (amp <= 0) return;
        int j0 = px(yc - halfTh - 1.0 / n), j1 = px(yc + halfTh + 1.0 / n);
        for (int j = j0; j <= j1; j++) {
            double y = (j + 0.5) / n;
            double t = Math.abs(y - yc) / halfTh;
            if (t >= 1.15) continue;
            double p = (0.6 + 0.4 * t * t) * (1 - smoothstep(0.85, 1.15, t));
            d[j * n + i] += (float) (amp * p);
        }
    }

    private void fillBox(float[] d, double x0, double y0, double x1, double y1, double amp, double edge) {
        for (int j = px(y0 - edge); j <= px(y1 + edge); j++) {
            double y = (j + 0.5) / n;
            double vy = smoothstep(y0 - edge, y0 + edge, y) * (1 - smoothstep(y1 - edge, y1 + edge, y));
            for (int i = px(x0 - edge); i <= px(x1 + edge); i++) {
                double x = (i + 0.5) / n;
                double vx = smoothstep(x0 - edge, x0 + edge, x) * (1 - smoothstep(x1 - edge, x1 + edge, x));
                d[j * n + i] += (float) (amp * vx * vy);
            }
        }
    }

    private void disc(float[] d, double cx, double cy, double r, double amp, boolean rim) {
        for (int j = px(cy - r - 0.005); j <= px(cy + r + 0.005); j++) {
            double y = (j + 0.5) / n;
            for (int i = px(cx - r - 0.005); i <= px(cx + r + 0.005); i++) {
                double x = (i + 0.5) / n;
                double t = StrictMath.hypot(x - cx, y - cy) / r;
                if (t > 1.1) continue;
                double p = (rim ? 0.55 + 0.45 * t * t : 1) * (1 - smoothstep(0.9, 1.1, t));
                d[j * n + i] += (float) (amp * p);
            }
        }
    }

    private void ellipseAdd(float[] d, double cx, double cy, double rx, double ry, double amp, double edge) {
        for (int j = px(cy - ry - edge); j <= px(cy + ry + edge); j++) {
            double y = (j + 0.5) / n;
            for (int i = px(cx - rx - edge); i <= px(cx + rx + edge); i++) {
                double x = (i + 0.5) / n;
                double r = StrictMath.hypot((x - cx) / rx, (y - cy) / ry);
                double v = 1 - smoothstep(1 - edge / ry, 1 + edge / ry, r);
                if (v > 0) d[j * n + i] += (float) (amp * v);
            }
        }
    }

    /** Adds amp along a polyline of the given half-width (tube profile: brighter walls). */
    void fillPolyline(float[] d, double[][] p, double hw, double amp, boolean tube) {
        polyline(d, p, hw, amp, tube, false, Math.max(hw * 0.5, 0.7 / n));
    }

    private void polyline(float[] d, double[][] p, double hw, double amp, boolean tube, boolean max, double edge) {
        if (max && p.length > 2) { // max-blending is idempotent: segment by segment keeps the boxes small
            for (int k = 0; k + 1 < p.length; k++) polyline(d, new double[][]{p[k], p[k + 1]}, hw, amp, tube, true, edge);
            return;
        }
        double minX = 1e9, maxX = -1e9, minY = 1e9, maxY = -1e9;
        for (double[] q : p) {
            minX = Math.min(minX, q[0]);
            maxX = Math.max(maxX, q[0]);
            minY = Math.min(minY, q[1]);
            maxY = Math.max(maxY, q[1]);
        }
        double reach = hw + edge, reach2 = reach * reach, inv = 1.0 / n;
        for (int j = px(minY - reach); j <= px(maxY + reach); j++) {
            double y = (j + 0.5) * inv;
            for (int i = px(minX - reach); i <= px(maxX + reach); i++) {
                double x = (i + 0.5) * inv;
                double best = reach2;
                for (int k = 0; k + 1 < p.length; k++) {
                    best = Math.min(best, segDist2(x, y, p[k][0], p[k][1], p[k + 1][0], p[k + 1][1]));
                }
                if (best >= reach2) continue;
                double dist = Math.sqrt(best);
                double t = dist / hw;
                double v = amp * (tube ? 0.6 + 0.4 * Math.min(1, t * t) : 1) * (1 - smoothstep(hw - edge * 0.5, hw + edge, dist));
                int k = j * n + i;
                if (max) {
                    if (v > d[k]) d[k] = (float) v;
                } else {
                    d[k] += (float) v;
                }
            }
        }
    }

    private static double segDist2(double x, double y, double x0, double y0, double x1, double y1) {
        double vx = x1 - x0, vy = y1 - y0;
        double l2 = vx * vx + vy * vy;
        double t = l2 == 0 ? 0 : clamp(((x - x0) * vx + (y - y0) * vy) / l2);
        double ex = x0 + t * vx - x, ey = y0 + t * vy - y;
        return ex * ex + ey * ey;
    }

    private Finding first(FindingType t) {
        for (Finding f : spec.findings()) if (f.type() == t) return f;
        return null;
    }

    private static int[] signs(Side s) {
        return s == Side.BILATERAL ? new int[]{-1, 1} : new int[]{s.sign()};
    }

    private static float[] sideMap(Finding f, float[] right, float[] left) {
        return f.side() == Side.LEFT ? left : right;
    }
}
