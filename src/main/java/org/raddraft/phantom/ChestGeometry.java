package org.raddraft.phantom;

/**
 * Shape functions of the frontal and lateral chest for one study, in normalised canvas units.
 * Used by the sampler (to place lesions inside the lungs) and by the renderer.
 */
final class ChestGeometry {
    static final double CX = 0.5;

    final Anatomy a;
    final double ctr;
    final double widening;

    ChestGeometry(Anatomy a, double ctr, double mediastinalWidening) {
        this.a = a;
        this.ctr = ctr;
        this.widening = mediastinalWidening;
    }

    static ChestGeometry of(StudySpec s) {
        double ctr = s.anatomy().ctr();
        double widen = 0;
        for (Finding f : s.findings()) {
            if (f.type() == FindingType.CARDIOMEGALY) ctr = f.magnitude();
            if (f.type() == FindingType.WIDENED_MEDIASTINUM) widen = f.magnitude();
        }
        if ("AP".equals(s.frontalView())) ctr += 0.02; // AP magnification of the heart
        return new ChestGeometry(s.anatomy(), ctr, widen);
    }

    // ---------------------------------------------------------------- frontal

    double dome(int sign) {
        return sign < 0 ? a.domeRight() : a.domeLeft();
    }

    /** Top of the heart silhouette. */
    double heartTop() {
        return heartCenterY() - heartHalfHeight();
    }

    double heartCenterY() {
        return a.domeLeft() - 0.045;
    }

    double heartHalfHeight() {
        return 0.135;
    }

    /** Heart half-width towards the patient's right (image left) and left (image right). */
    double heartHalfWidth(int sign) {
        double w = ctr * 2 * a.thoraxHalf();
        return sign < 0 ? 0.37 * w : 0.63 * w;
    }

    /** Medial lung boundary: distance of the mediastinal edge from the midline. */
    double mediastinumHalf(double y, int sign) {
        double m = a.mediastinumHalf();
        if (y < heartTop() + 0.03) {
            double t = smooth(clamp((heartTop() + 0.03 - y) / 0.06));
            m += widening * t;
        }
        if (sign > 0) { // aortic knob
            double yk = a.lungTop() + 0.15;
            double d = (y - yk) / 0.035;
            m += (0.025 + widening * 0.3) * StrictMath.exp(-d * d);
        }
        return m;
    }

    /** Lateral lung boundary (inner chest wall) at height y. */
    double outer(double y) {
        double t = clamp((y - a.lungTop()) / (a.base() - a.lungTop()));
        return a.thoraxHalf() * (0.84 + 0.16 * Math.sqrt(t));
    }

    /** Upper lung boundary at distance dx from the midline (rounded apex). */
    double top(double dx) {
        double d = dx - 0.15;
        return a.lungTop() + (d > 0 ? 5.0 : 3.0) * d * d;
    }

    /** Diaphragm at distance dx from the midline: dome peak, steep costophrenic sulcus laterally. */
    double diaphragm(int sign, double dx) {
        double peak = dome(sign);
        if (dx > 0.14) {
            double u = (dx - 0.14) / (a.thoraxHalf() - 0.14);
            return peak + 0.085 * u * u;
        }
        double u = (0.14 - dx) / 0.14;
        return peak + 0.05 * u * u;
    }

    /** y of the costophrenic angle on one side. */
    double costophrenicY(int sign) {
        return diaphragm(sign, outer(dome(sign) + 0.08));
    }

    /**
     * Signed distance (approximate, normalised units) of a point from the lung boundary:
     * positive inside the lung of the given side, negative outside.
     */
    double lungInside(int sign, double dx, double y) {
        double d1 = dx - mediastinumHalf(y, sign);
        double d2 = outer(y) - dx;
        double d3 = y - top(dx);
        double d4 = diaphragm(sign, dx) - y;
        return Math.min(Math.min(d1, d2), Math.min(d3, d4));
    }

    /**
     * Heart silhouette coverage 0..1 at (x, y): the right border (right atrium) gently convex, the
     * left border (left ventricle) bulging lowest, both merging with the mediastinum at the top.
     */
    double heart(double x, double y) {
        double t = (y - heartTop()) / (2 * heartHalfHeight());
        if (t <= 0 || t >= 1) return 0;
        double dx = x - CX;
        double mw = a.mediastinumHalf() * 0.9;
        double ext;
        if (dx < 0) {
            ext = mw + (heartHalfWidth(-1) - mw) * Math.sqrt(StrictMath.sin(Math.PI * t));
        } else {
            double s = StrictMath.sin(Math.PI * StrictMath.pow(t, 1.3));
            ext = mw + (heartHalfWidth(1) - mw) * Math.sqrt(s) * (0.6 + 0.4 * s);
        }
        return 1 - smoothstep(ext - 0.006, ext + 0.006, Math.abs(dx));
    }

    double hilumDx() {
        return a.mediastinumHalf() + 0.045;
    }

    // ---------------------------------------------------------------- lateral

    /** Lateral view: y of the apex. */
    double latTop() {
        return a.lungTop() - 0.01;
    }

    /** Lateral view: anterior lung boundary (x of the retrosternal line). */
    double latAnterior(double y) {
        double s = 0.5 - 0.3 * a.latDepth();
        double t = (y - latTop()) / 0.22;
        return t < 1 ? s + 0.14 * (1 - t) * (1 - t) : s - 0.01 * (t - 1);
    }

    /** Lateral view: posterior lung boundary. */
    double latPosterior(double y) {
        double p = 0.5 + 0.32 * a.latDepth();
        double t = (y - latTop()) / 0.22;
        return t < 1 ? p - 0.12 * (1 - t) * (1 - t) : p + 0.01 * (t - 1);
    }

    /** Lateral view: hemidiaphragm, anterior high, posterior sulcus deep. */
    double latDiaphragm(int sign, double x) {
        double xa = latAnterior(0.6);
        double xp = latPosterior(0.6);
        double u = clamp((x - xa) / (xp - xa));
        double yAnt = dome(sign) - 0.015;
        double yPost = dome(sign) + 0.115;
        return yAnt + (yPost - yAnt) * u * u * u - 0.045 * StrictMath.sin(Math.PI * u);
    }

    double latInside(int sign, double x, double y) {
        double d1 = x - latAnterior(y);
        double d2 = latPosterior(y) - x;
        double d3 = y - latTop();
        double d4 = latDiaphragm(sign, x) - y;
        return Math.min(Math.min(d1, d2), Math.min(d3, d4));
    }

    double latHeartX() {
        return latAnterior(0.55) + 0.17 * a.latDepth();
    }

    double latHeartRx() {
        return 0.16 * (ctr / 0.45) * a.latDepth();
    }

    double latHeartRy() {
        return 0.14 * Math.sqrt(ctr / 0.45);
    }

    double latHeartY() {
        return dome(+1) - 0.07;
    }

    private static final double LAT_HEART_COS = StrictMath.cos(Math.toRadians(-32)), LAT_HEART_SIN = StrictMath.sin(Math.toRadians(-32));

    /** Lateral heart: an ellipse tilted with its long axis from upper-posterior to lower-anterior. */
    double latHeart(double x, double y) {
        double dx = x - latHeartX(), dy = y - latHeartY();
        double u = (dx * LAT_HEART_COS - dy * LAT_HEART_SIN) / (latHeartRx() * 1.1);
        double v = (dx * LAT_HEART_SIN + dy * LAT_HEART_COS) / (latHeartRy() * 0.95);
        double e = Math.sqrt(u * u + v * v);
        return 1 - smoothstep(0.9, 1.06, e);
    }

    /** Lateral x of a point at antero-posterior depth 0..1 (anterior..posterior) at height y. */
    double latX(double depth, double y) {
        return latAnterior(y) + depth * (latPosterior(y) - latAnterior(y));
    }

    // ---------------------------------------------------------------- math

    static double clamp(double v) {
        return v < 0 ? 0 : v > 1 ? 1 : v;
    }

    static double smooth(double t) {
        return t * t * (3 - 2 * t);
    }

    static double smoothstep(double e0, double e1, double v) {
        return smooth(clamp((v - e0) / (e1 - e0)));
    }
}
