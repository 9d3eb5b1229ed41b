package org.raddraft.phantom;

import static org.raddraft.phantom.ChestGeometry.CX;

/**
 * Where a finding is drawn on the frontal view: a box in normalised image coordinates
 * ({x0, y0, x1, y1}, 0..1, after the view's rotation/magnification/shift). Written to
 * phantoms.jsonl as {@code frontal_box} (for lesion-region ablation) and used by the tests.
 */
public final class FindingRegion {

    private FindingRegion() {
    }

    public static double[] frontal(StudySpec s, Finding f) {
        return toImage(canvas(s, f), s.frontal());
    }

    /** Box on the unrotated canvas. */
    static double[] canvas(StudySpec s, Finding f) {
        ChestGeometry g = ChestGeometry.of(s);
        Anatomy a = s.anatomy();
        int sign = f.side().sign();
        double mw = a.mediastinumHalf(), tw = a.thoraxHalf();
        switch (f.type()) {
            case CARDIOMEGALY:
                return new double[]{CX - g.heartHalfWidth(-1) - 0.01, g.heartTop(), CX + g.heartHalfWidth(1) + 0.01,
                        a.domeLeft() + 0.02};
            case WIDENED_MEDIASTINUM:
                return new double[]{CX - mw - f.magnitude() - 0.02, a.lungTop() - 0.02, CX + mw + f.magnitude() + 0.05,
                        g.heartTop() + 0.04};
            case PLEURAL_EFFUSION: {
                double top = Math.min(g.costophrenicY(-1), g.costophrenicY(1)) - f.magnitude() - 0.02;
                double bottom = Math.max(a.domeLeft(), a.domeRight()) + 0.1;
                return hemithorax(f.side(), mw, tw, top, bottom);
            }
            case PNEUMOTHORAX: {
                double bottom = "small".equals(f.severity()) ? a.lungTop() + 0.30 : g.dome(sign);
                return hemithorax(f.side(), mw, tw + 0.01, a.lungTop() - 0.02, bottom);
            }
            case CONSOLIDATION, OPACITY: {
                double cx = CX + sign * f.x(), rx = f.magnitude() * 1.15 * 1.3, ry = f.magnitude() * 0.9 * 1.3;
                return new double[]{cx - rx, f.y() - ry, cx + rx, f.y() + ry};
            }
            case NODULE, MASS: {
                double cx = CX + sign * f.x(), r = f.magnitude() * 1.25 + 0.004;
                return new double[]{cx - r, f.y() - r, cx + r, f.y() + r};
            }
            case EDEMA: {
                double rx = 0.09 + f.magnitude() * 0.22, ry = 0.10 + f.magnitude() * 0.2;
                double hx = g.hilumDx() + 0.03;
                return new double[]{CX - hx - 1.6 * rx, a.hilumY() + 0.02 - 1.6 * ry, CX + hx + 1.6 * rx,
                        a.hilumY() + 0.02 + 1.6 * ry};
            }
            case ATELECTASIS: {
                double len = 0.10 + f.magnitude() * 3, ext = len * 0.55 + f.magnitude();
                double y = Math.min(g.dome(-1), g.dome(1)) - f.y();
                double y2 = Math.max(g.dome(-1), g.dome(1)) - f.y();
                if (f.side() == Side.BILATERAL) {
                    return new double[]{CX - f.x() - ext, y - ext, CX + f.x() + ext, y2 + ext};
                }
                double cx = CX + sign * f.x(), cy = g.dome(sign) - f.y();
                return new double[]{cx - ext, cy - ext, cx + ext, cy + ext};
            }
            case PLEURAL_THICKENING:
                return hemithorax(f.side(), 0.05, tw + 0.01, a.lungTop() - 0.02, a.lungTop() + 0.2);
            case RIB_FRACTURE: {
                double w = tw + 0.012, u = f.x();
                double dx = 0.03 + u * (w - 0.03);
                double y0 = a.lungTop() - 0.03 + a.ribPhase() + (f.variant() - 1) * a.ribSpacing();
                double yc = y0 - 0.10 * u + 0.21 * u * u;
                double cx = CX + sign * dx;
                if ("displaced".equals(f.severity())) {
                    // the whole lateral fragment is displaced, down to the rib's lateral end
                    double yEnd = y0 + 0.11 + f.magnitude() * 2 * 0.0107 + 0.02;
                    double xEnd = CX + sign * (w + 0.01);
                    return new double[]{Math.min(cx - 0.05, xEnd), yc - 0.035, Math.max(cx + 0.05, xEnd),
                            Math.max(yc + 0.05, yEnd)};
                }
                return new double[]{cx - 0.05, yc - 0.035, cx + 0.05, yc + 0.05};
            }
            case ET_TUBE:
                return new double[]{CX - 0.02, 0, CX + 0.025, a.hilumY() - 0.07};
            case CENTRAL_LINE:
                return bounds(new ChestRenderer(s, 16).centralLineFrontal(f), 0.01);
            case PACEMAKER: {
                double gx = CX + sign * (0.25 + f.x()), gy = a.lungTop() + 0.1 + f.y();
                double[] b = {Math.min(gx, CX - 0.07) - 0.05, gy - 0.04, Math.max(gx, CX + g.heartHalfWidth(1)) + 0.05,
                        g.dome(1) + 0.01};
                return b;
            }
            default:
                throw new IllegalArgumentException(f.type().name());
        }
    }

    private static double[] hemithorax(Side side, double inner, double outer, double top, double bottom) {
        return switch (side) {
            case RIGHT -> new double[]{CX - outer, top, CX - inner, bottom};
            case LEFT -> new double[]{CX + inner, top, CX + outer, bottom};
            default -> new double[]{CX - outer, top, CX + outer, bottom};
        };
    }

    private static double[] bounds(double[][] p, double pad) {
        double[] b = {1e9, 1e9, -1e9, -1e9};
        for (double[] q : p) {
            b[0] = Math.min(b[0], q[0]);
            b[1] = Math.min(b[1], q[1]);
            b[2] = Math.max(b[2], q[0]);
            b[3] = Math.max(b[3], q[1]);
        }
        return new double[]{b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad};
    }

    /** Canvas box -> image box through the acquisition's rotation, magnification and shift. */
    static double[] toImage(double[] b, Acquisition q) {
        double th = Math.toRadians(q.rotationDeg()), c = StrictMath.cos(th) * q.scale(), s = StrictMath.sin(th) * q.scale();
        double[] r = {1e9, 1e9, -1e9, -1e9};
        double[][] corners = {{b[0], b[1]}, {b[2], b[1]}, {b[0], b[3]}, {b[2], b[3]}};
        for (double[] p : corners) {
            double x = p[0] - 0.5, y = p[1] - 0.5;
            double ix = c * x - s * y + 0.5 + q.shiftX(), iy = s * x + c * y + 0.5 + q.shiftY();
            r[0] = Math.min(r[0], ix);
            r[1] = Math.min(r[1], iy);
            r[2] = Math.max(r[2], ix);
            r[3] = Math.max(r[3], iy);
        }
        // the canvas edge is extended outwards (edge-clamped sampling), so a box touching it does too
        if (b[0] <= 0.001) r[0] = 0;
        if (b[1] <= 0.001) r[1] = 0;
        if (b[2] >= 0.999) r[2] = 1;
        if (b[3] >= 0.999) r[3] = 1;
        for (int i = 0; i < 4; i++) r[i] = Math.max(0, Math.min(1, Math.round(r[i] * 1000) / 1000.0));
        return r;
    }
}
