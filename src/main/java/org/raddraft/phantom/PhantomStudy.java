package org.raddraft.phantom;

import org.raddraft.dicom.PngWriter;

/**
 * A generated study: its parameters, both views as display-ready images (0..1, MONOCHROME2 sense,
 * row-major, {@code size x size}), the reference report and the ground truth.
 */
public record PhantomStudy(StudySpec spec, int size, float[] frontal, float[] lateral, Report report,
                           GroundTruth truth) {

    /** Generates study {@code index} of {@code seed} at {@code size} pixels per side. */
    public static PhantomStudy generate(long seed, int index, int size) {
        return render(StudySampler.sample(seed, index), size);
    }

    /** Renders a (possibly edited) spec; tests use this to draw a study with and without a finding. */
    public static PhantomStudy render(StudySpec spec, int size) {
        ChestRenderer r = new ChestRenderer(spec, size);
        return new PhantomStudy(spec, size, r.frontal(), r.lateral(), ReportGrammar.write(spec), GroundTruth.of(spec));
    }

    /** 8-bit display image as written to the PNG. */
    public static byte[] toGray8(float[] img) {
        byte[] b = new byte[img.length];
        for (int i = 0; i < img.length; i++) b[i] = (byte) Math.round(img[i] * 255f);
        return b;
    }

    public byte[] frontalPng() {
        return PngWriter.encode(toGray8(frontal), size, size);
    }

    public byte[] lateralPng() {
        return PngWriter.encode(toGray8(lateral), size, size);
    }
}
