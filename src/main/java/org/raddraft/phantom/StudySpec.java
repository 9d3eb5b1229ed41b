package org.raddraft.phantom;

import java.util.List;

/**
 * Everything needed to draw, describe and encode one phantom study. A pure function of
 * (seed, index): see {@link StudySampler}.
 *
 * @param frontalView PA or AP
 * @param difficulty  subtle, moderate or obvious (see docs/phantoms.md)
 * @param reportSeed  drives the phrase grammar's choices
 */
public record StudySpec(long seed, int index, String studyId, String frontalView, Anatomy anatomy,
                        Acquisition frontal, Acquisition lateral, List<Finding> findings,
                        String difficulty, DicomProfile dicom, long reportSeed) {

    public StudySpec {
        findings = List.copyOf(findings);
    }

    /** The same study with a different list of findings (tests render with and without one). */
    public StudySpec withFindings(List<Finding> other) {
        return new StudySpec(seed, index, studyId, frontalView, anatomy, frontal, lateral, other,
                difficulty, dicom, reportSeed);
    }

    /**
     * The same study taken on poorer equipment: quantum noise times {@code noiseFactor} and the displayed
     * attenuation range widened by {@code flattening} (less contrast), both views. The subgroup monitor's
     * test uses it to make one manufacturer's images harder to draft.
     */
    public StudySpec withPoorerAcquisition(double noiseFactor, double flattening) {
        return new StudySpec(seed, index, studyId, frontalView, anatomy, poorer(frontal, noiseFactor, flattening),
                poorer(lateral, noiseFactor, flattening), findings, difficulty, dicom, reportSeed);
    }

    private static Acquisition poorer(Acquisition a, double noiseFactor, double flattening) {
        double mid = (a.lo() + a.hi()) / 2;
        double half = (a.hi() - a.lo()) / 2 * flattening;
        return new Acquisition(a.rotationDeg(), a.scale(), a.shiftX(), a.shiftY(), mid - half, mid + half, a.gamma(),
                a.noise() * noiseFactor, a.textureSeed(), a.noiseSeed());
    }

    boolean has(FindingType t) {
        return findings.stream().anyMatch(f -> f.type() == t);
    }

    List<Finding> all(FindingType t) {
        return findings.stream().filter(f -> f.type() == t).toList();
    }

    /** Study id as written everywhere: {@code ph-<seed>-<index, 6 digits>}. */
    static String studyId(long seed, int index) {
        return String.format("ph-%d-%06d", seed, index);
    }
}
