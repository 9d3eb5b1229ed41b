package org.raddraft.phantom;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Draws a {@link StudySpec} from (seed, index). Each study gets its own random stream derived
 * from both numbers, so study i of seed S is identical whatever the number of studies asked for.
 * The finding mix documented in docs/phantoms.md is the table {@link #PATHOLOGY_WEIGHTS} plus the
 * probabilities in {@link #sample}.
 */
public final class StudySampler {

    /** Probability that a study has no pathology (devices may still be present). */
    static final double P_NO_PATHOLOGY = 0.36;
    /** Probability of 1, 2 or 3 pathologies in an abnormal study. */
    static final double[] P_PATHOLOGY_COUNT = {0.60, 0.30, 0.10};
    static final double P_AP = 0.22;

    /** Relative weight of each pathology when drawing an abnormal study. */
    static final Map<FindingType, Double> PATHOLOGY_WEIGHTS = new EnumMap<>(FindingType.class);

    static {
        PATHOLOGY_WEIGHTS.put(FindingType.CARDIOMEGALY, 15.0);
        PATHOLOGY_WEIGHTS.put(FindingType.PLEURAL_EFFUSION, 17.0);
        PATHOLOGY_WEIGHTS.put(FindingType.CONSOLIDATION, 10.0);
        PATHOLOGY_WEIGHTS.put(FindingType.OPACITY, 6.0);
        PATHOLOGY_WEIGHTS.put(FindingType.NODULE, 10.0);
        PATHOLOGY_WEIGHTS.put(FindingType.PNEUMOTHORAX, 11.0);
        PATHOLOGY_WEIGHTS.put(FindingType.EDEMA, 8.0);
        PATHOLOGY_WEIGHTS.put(FindingType.ATELECTASIS, 10.0);
        PATHOLOGY_WEIGHTS.put(FindingType.RIB_FRACTURE, 16.0);
        PATHOLOGY_WEIGHTS.put(FindingType.WIDENED_MEDIASTINUM, 3.0);
        PATHOLOGY_WEIGHTS.put(FindingType.PLEURAL_THICKENING, 4.0);
    }

    static final String[] LOBES = {"right upper lobe", "right middle lobe", "right lower lobe",
            "left upper lobe", "lingula of the left upper lobe", "left lower lobe"};
    static final double[] LOBE_WEIGHTS = {0.17, 0.12, 0.22, 0.15, 0.10, 0.24};

    private StudySampler() {
    }

    /** Deterministic per-study stream: a SplitMix64 hash of (seed, index). */
    static SplittableRandom streamFor(long seed, int index) {
        long z = seed * 0x9E3779B97F4A7C15L + (index + 1L) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return new SplittableRandom(z ^ (z >>> 31));
    }

    public static StudySpec sample(long seed, int index) {
        SplittableRandom root = streamFor(seed, index);
        // independent child streams: adding a finding never changes the anatomy or the exposure
        SplittableRandom rAnat = root.split();
        SplittableRandom rAcq = root.split();
        SplittableRandom rFind = root.split();
        SplittableRandom rDicom = root.split();
        long reportSeed = root.nextLong();

        Anatomy anat = anatomy(rAnat);
        String view = rAcq.nextDouble() < P_AP ? "AP" : "PA";
        Acquisition frontal = acquisition(rAcq, 4.0);
        Acquisition lateral = acquisition(rAcq, 3.0);
        List<Finding> findings = findings(rFind, anat, view);
        DicomProfile dicom = dicomProfile(rDicom, index);
        return new StudySpec(seed, index, StudySpec.studyId(seed, index), view, anat, frontal, lateral,
                findings, difficulty(findings), dicom, reportSeed);
    }

    static Anatomy anatomy(SplittableRandom r) {
        double bodyHalf = u(r, 0.40, 0.46);
        double thoraxHalf = Math.min(u(r, 0.33, 0.38), bodyHalf - 0.045);
        double lungTop = u(r, 0.10, 0.145);
        double domeRight = u(r, 0.62, 0.69);
        double domeLeft = domeRight + u(r, 0.01, 0.035);
        return new Anatomy(bodyHalf, thoraxHalf, lungTop, domeRight, domeLeft, u(r, 0.40, 0.47),
                u(r, 0.068, 0.085), u(r, 0.9, 1.2), r.nextDouble() < 0.45, u(r, -0.012, 0.012),
                u(r, 0.049, 0.056), u(r, 0.93, 1.05));
    }

    static Acquisition acquisition(SplittableRandom r, double maxRot) {
        return new Acquisition(u(r, -maxRot, maxRot), u(r, 0.92, 1.04), u(r, -0.025, 0.025),
                u(r, -0.02, 0.02), u(r, 0.0, 0.08), u(r, 1.36, 1.56), u(r, 0.85, 1.15),
                u(r, 0.008, 0.02), r.nextInt(1 << 20), r.nextInt(1 << 20));
    }

    static List<Finding> findings(SplittableRandom r, Anatomy a, String view) {
        List<Finding> out = new ArrayList<>();
        ChestGeometry g = new ChestGeometry(a, a.ctr(), 0);
        if (r.nextDouble() >= P_NO_PATHOLOGY) {
            double p = r.nextDouble();
            int k = p < P_PATHOLOGY_COUNT[0] ? 1 : p < P_PATHOLOGY_COUNT[0] + P_PATHOLOGY_COUNT[1] ? 2 : 3;
            Map<FindingType, Double> w = new EnumMap<>(PATHOLOGY_WEIGHTS);
            for (int i = 0; i < k; i++) {
                FindingType t = pick(r, w);
                w.remove(t);
                if (t == FindingType.CONSOLIDATION) w.remove(FindingType.OPACITY);
                if (t == FindingType.OPACITY) w.remove(FindingType.CONSOLIDATION);
                out.add(pathology(r, t, a, g, out));
            }
            if (has(out, FindingType.EDEMA) && !has(out, FindingType.CARDIOMEGALY) && r.nextDouble() < 0.35) {
                out.add(pathology(r, FindingType.CARDIOMEGALY, a, g, out));
            }
        }
        boolean ap = "AP".equals(view);
        if (r.nextDouble() < (ap ? 0.35 : 0.03)) {
            out.add(new Finding(FindingType.ET_TUBE, Side.NONE, null, "trachea", 0, 0, 0, 0, ri(r, 3, 6)));
        }
        if (r.nextDouble() < (ap ? 0.45 : 0.07)) {
            int v = r.nextDouble() < 0.6 ? 0 : r.nextDouble() < 0.7 ? 1 : 2; // right IJ, left SC, right SC
            boolean cavoatrial = r.nextDouble() < 0.4;
            out.add(new Finding(FindingType.CENTRAL_LINE, v == 1 ? Side.LEFT : Side.RIGHT, null,
                    cavoatrial ? "cavoatrial junction" : "superior vena cava", 0, 0, 0, 0, v));
        }
        if (r.nextDouble() < (ap ? 0.10 : 0.05)) {
            Side s = r.nextDouble() < 0.85 ? Side.LEFT : Side.RIGHT;
            out.add(new Finding(FindingType.PACEMAKER, s, null, "chest wall", 0, u(r, -0.02, 0.02),
                    u(r, -0.02, 0.02), 0, r.nextDouble() < 0.6 ? 2 : 1));
        }
        return out;
    }

    static Finding pathology(SplittableRandom r, FindingType t, Anatomy a, ChestGeometry g, List<Finding> so) {
        switch (t) {
            case CARDIOMEGALY -> {
                int s = sev(r, 0.50, 0.35);
                double ctr = s == 0 ? u(r, 0.53, 0.56) : s == 1 ? u(r, 0.58, 0.62) : u(r, 0.64, 0.70);
                return new Finding(t, Side.NONE, word(s, "mild", "moderate", "severe"), "heart", ctr, 0, 0, 0, 0);
            }
            case WIDENED_MEDIASTINUM -> {
                int s = sev(r, 0.55, 0.45);
                return new Finding(t, Side.NONE, word(s, "mild", "moderate", "moderate"), "upper mediastinum",
                        s == 0 ? u(r, 0.022, 0.03) : u(r, 0.04, 0.05), 0, 0, 0, 0);
            }
            case PLEURAL_EFFUSION -> {
                int s = sev(r, 0.45, 0.35);
                Side side = r.nextDouble() < 0.12 ? Side.BILATERAL : r.nextBoolean() ? Side.RIGHT : Side.LEFT;
                Finding ptx = first(so, FindingType.PNEUMOTHORAX);
                if (ptx != null) side = ptx.side() == Side.RIGHT ? Side.LEFT : Side.RIGHT;
                double h = s == 0 ? u(r, 0.05, 0.065) : s == 1 ? u(r, 0.15, 0.20) : u(r, 0.28, 0.36);
                return new Finding(t, side, word(s, "small", "moderate", "large"),
                        word(s, "costophrenic angle", "lung base", "hemithorax"), h, 0, 0, 0, 0);
            }
            case PNEUMOTHORAX -> {
                int s = sev(r, 0.45, 0.35);
                Side side = r.nextBoolean() ? Side.RIGHT : Side.LEFT;
                Finding eff = first(so, FindingType.PLEURAL_EFFUSION);
                if (eff != null && eff.side() != Side.BILATERAL) side = eff.side() == Side.RIGHT ? Side.LEFT : Side.RIGHT;
                else if (eff != null) return pathology(r, FindingType.ATELECTASIS, a, g, so);
                double apical = s == 0 ? u(r, 0.024, 0.032) : s == 1 ? u(r, 0.05, 0.07) : u(r, 0.11, 0.15);
                double lateral = s == 0 ? 0.004 : s == 1 ? apical * 0.55 : apical * 0.75;
                return new Finding(t, side, word(s, "small", "moderate", "large"),
                        s == 0 ? "apex" : "apicolateral", apical, lateral, 0, 0, 0);
            }
            case CONSOLIDATION, OPACITY -> {
                int lobe = pickIndex(r, LOBE_WEIGHTS);
                int s = sev(r, 0.35, 0.40);
                double rad = s == 0 ? u(r, 0.045, 0.055) : s == 1 ? u(r, 0.07, 0.085) : u(r, 0.10, 0.12);
                double[] pos = lobePosition(r, lobe, g, rad * 0.5);
                // pneumonia is stated with every dense consolidation (as likely or as possible) and never
                // with a faint patchy opacity, so that the label follows what the image shows
                int pneumonia = t == FindingType.CONSOLIDATION ? (r.nextDouble() < 0.6 ? 1 : -1) : 0;
                return new Finding(t, lobe < 3 ? Side.RIGHT : Side.LEFT, word(s, "small", "moderate", "large"),
                        LOBES[lobe], rad, pos[0], pos[1], pos[2], pneumonia);
            }
            case NODULE -> {
                int s = sev(r, 0.42, 0.33);
                double diam = s == 0 ? u(r, 0.022, 0.028) : s == 1 ? u(r, 0.035, 0.06) : u(r, 0.075, 0.12);
                int lobe = pickIndex(r, LOBE_WEIGHTS);
                double[] pos = lobePosition(r, lobe, g, diam / 2 + 0.012);
                int mm = (int) Math.round(diam * ChestRenderer.MM_PER_UNIT);
                return new Finding(s == 2 ? FindingType.MASS : FindingType.NODULE, lobe < 3 ? Side.RIGHT : Side.LEFT,
                        word(s, "small", "moderate", "large"), LOBES[lobe], diam / 2, pos[0], pos[1], pos[2], mm);
            }
            case EDEMA -> {
                int s = sev(r, 0.40, 0.40);
                return new Finding(t, Side.BILATERAL, word(s, "mild", "moderate", "severe"), "perihilar",
                        s == 0 ? u(r, 0.20, 0.24) : s == 1 ? u(r, 0.34, 0.40) : u(r, 0.50, 0.58), 0, 0, 0, 0);
            }
            case ATELECTASIS -> {
                int s = sev(r, 0.50, 0.35);
                double p = r.nextDouble();
                Side side = p < 0.4 ? Side.RIGHT : p < 0.8 ? Side.LEFT : Side.BILATERAL;
                double th = s == 0 ? u(r, 0.010, 0.012) : s == 1 ? u(r, 0.016, 0.019) : u(r, 0.024, 0.028);
                return new Finding(t, side, word(s, "mild", "moderate", "severe"), "lung base", th,
                        u(r, 0.17, 0.23), u(r, 0.05, 0.08), u(r, 0.55, 0.75), ri(r, -10, 14));
            }
            case RIB_FRACTURE -> {
                boolean displaced = r.nextBoolean();
                int rib = ri(r, 4, 9);
                Side side = r.nextBoolean() ? Side.RIGHT : Side.LEFT;
                return new Finding(t, side, displaced ? "displaced" : "nondisplaced",
                        ordinal(rib) + " posterior rib", displaced ? u(r, 0.6, 0.9) : 0,
                        u(r, 0.45, 0.75), 0, 0, rib);
            }
            case PLEURAL_THICKENING -> {
                int s = sev(r, 0.5, 0.5);
                return new Finding(t, r.nextBoolean() ? Side.RIGHT : Side.LEFT, word(s, "mild", "moderate", "moderate"),
                        "apex", s == 0 ? u(r, 0.013, 0.016) : u(r, 0.019, 0.023), 0, 0, 0, 0);
            }
            default -> throw new IllegalArgumentException("not a pathology: " + t);
        }
    }

    /** A point inside the lobe's zone of the frontal lung, {dx from midline, y, lateral depth}. */
    static double[] lobePosition(SplittableRandom r, int lobe, ChestGeometry g, double margin) {
        Anatomy a = g.a;
        int sign = lobe < 3 ? -1 : +1;
        int zone = lobe % 3; // 0 upper, 1 middle/lingula, 2 lower
        for (int attempt = 0; attempt < 200; attempt++) {
            double dx, y, depth;
            if (zone == 0) {
                y = u(r, a.lungTop() + 0.06, a.hilumY() - 0.01);
                dx = u(r, a.mediastinumHalf() + 0.05, a.thoraxHalf() * 0.85);
                depth = u(r, 0.3, 0.7);
            } else if (zone == 1) {
                y = u(r, a.hilumY() + 0.07, a.base() - 0.09);
                dx = g.heartHalfWidth(sign) + u(r, 0.0, 0.07);
                depth = u(r, 0.12, 0.32);
            } else {
                y = u(r, a.base() - 0.14, a.base() - 0.05);
                dx = u(r, 0.16, a.thoraxHalf() * 0.85);
                depth = u(r, 0.6, 0.85);
            }
            if (g.lungInside(sign, dx, y) > margin) return new double[]{dx, y, depth};
        }
        return new double[]{0.2, a.hilumY() + 0.05, 0.5};
    }

    static String difficulty(List<Finding> findings) {
        boolean subtle = false, moderate = false;
        for (Finding f : findings) {
            if (f.type().isDevice()) continue;
            switch (f.severity()) {
                case "small", "mild", "nondisplaced" -> subtle = true;
                case "moderate" -> moderate = true;
                default -> { }
            }
        }
        return subtle ? "subtle" : moderate ? "moderate" : "obvious";
    }

    static DicomProfile dicomProfile(SplittableRandom r, int index) {
        double p = r.nextDouble();
        String ts = p < 0.40 ? "1.2.840.10008.1.2.1" : p < 0.60 ? "1.2.840.10008.1.2"
                : p < 0.80 ? "1.2.840.10008.1.2.5" : "1.2.840.10008.1.2.4.70";
        int[] bits = {12, 12, 14, 15, 16, 16};
        int age = 18 + (int) Math.round(Math.sqrt(r.nextDouble()) * 77);
        int day = r.nextInt(28) + 1, month = r.nextInt(12) + 1;
        String date = String.format("2024%02d%02d", month, day);
        String time = String.format("%02d%02d%02d", 7 + r.nextInt(12), r.nextInt(60), r.nextInt(60));
        return new DicomProfile(r.nextBoolean() ? "CR" : "DX", ts, r.nextDouble() < 0.3 ? "MONOCHROME1" : "MONOCHROME2",
                bits[r.nextInt(bits.length)], r.nextDouble() < 0.3 ? -1024 : 0, r.nextBoolean() ? "M" : "F",
                age, date, time);
    }

    // ---------------------------------------------------------------- helpers

    private static boolean has(List<Finding> l, FindingType t) {
        return first(l, t) != null;
    }

    private static Finding first(List<Finding> l, FindingType t) {
        return l.stream().filter(f -> f.type() == t).findFirst().orElse(null);
    }

    static String ordinal(int n) {
        return switch (n) {
            case 1 -> "1st";
            case 2 -> "2nd";
            case 3 -> "3rd";
            default -> n + "th";
        };
    }

    private static int sev(SplittableRandom r, double p0, double p1) {
        double p = r.nextDouble();
        return p < p0 ? 0 : p < p0 + p1 ? 1 : 2;
    }

    private static String word(int s, String a, String b, String c) {
        return s == 0 ? a : s == 1 ? b : c;
    }

    static double u(SplittableRandom r, double lo, double hi) {
        return lo + (hi - lo) * r.nextDouble();
    }

    static int ri(SplittableRandom r, int lo, int hiInclusive) {
        return lo + r.nextInt(hiInclusive - lo + 1);
    }

    private static FindingType pick(SplittableRandom r, Map<FindingType, Double> w) {
        double total = w.values().stream().mapToDouble(Double::doubleValue).sum();
        double p = r.nextDouble() * total;
        FindingType last = null;
        for (Map.Entry<FindingType, Double> e : w.entrySet()) {
            last = e.getKey();
            p -= e.getValue();
            if (p < 0) return last;
        }
        return last;
    }

    private static int pickIndex(SplittableRandom r, double[] w) {
        double p = r.nextDouble();
        for (int i = 0; i < w.length; i++) {
            p -= w[i];
            if (p < 0) return i;
        }
        return w.length - 1;
    }
}
