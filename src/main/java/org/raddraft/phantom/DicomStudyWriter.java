package org.raddraft.phantom;

import org.raddraft.dicom.DicomImageWriter;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * Encodes a phantom study as two DICOM instances (frontal series 1, lateral series 2) in
 * {@code dir/<study-id>/<n>-<view>.dcm}. UIDs are 2.25 UUID-derived numbers hashed from
 * (seed, index, role), so the same study always gets the same UIDs.
 */
public final class DicomStudyWriter {

    private DicomStudyWriter() {
    }

    /** Writes both views and returns the files, frontal first. */
    public static List<Path> write(PhantomStudy study, Path dicomDir) throws IOException {
        StudySpec s = study.spec();
        DicomProfile p = s.dicom();
        Path dir = Files.createDirectories(dicomDir.resolve(s.studyId()));
        List<Path> files = new ArrayList<>();
        String[][] views = {{"1", s.frontalView(), "L\\F", "CHEST " + s.frontalView()}, {"2", "LL", "P\\F", "CHEST LAT"}};
        for (String[] v : views) {
            int n = Integer.parseInt(v[0]);
            float[] img = n == 1 ? study.frontal() : study.lateral();
            Path f = dir.resolve(n + "-" + v[1] + ".dcm");
            DicomImageWriter.write(f, header(s, n, v[1], v[2], v[3]), image(img, study.size(), p), p.transferSyntaxUid());
            files.add(f);
        }
        return files;
    }

    /** Stored pixel values and VOI/modality LUT attributes for a display-ready image. */
    static DicomImageWriter.Image image(float[] display, int size, DicomProfile p) {
        int max = (1 << p.bitsStored()) - 1;
        double offset = Math.round(0.04 * max), range = Math.round(0.88 * max);
        boolean mono1 = p.photometric().equals("MONOCHROME1");
        short[] px = new short[display.length];
        for (int i = 0; i < px.length; i++) {
            int v = (int) Math.round(offset + display[i] * range);
            px[i] = (short) (mono1 ? max - v : v);
        }
        double center = p.rescaleIntercept() + (mono1 ? max - offset - range / 2 : offset + range / 2);
        return new DicomImageWriter.Image(size, size, p.bitsStored(), p.photometric(), px,
                ChestRenderer.MM_PER_UNIT / size, center, range, p.rescaleIntercept(), 1.0);
    }

    static DicomImageWriter.Header header(StudySpec s, int n, String view, String orientation, String seriesDesc) {
        DicomProfile p = s.dicom();
        int birthYear = Integer.parseInt(p.studyDate().substring(0, 4)) - p.patientAgeYears();
        String studyId = s.studyId().length() <= 16 ? s.studyId() : String.format("PH%06d", s.index());
        String accession = String.format("A%d%06d", s.seed(), s.index());
        if (accession.length() > 16) accession = accession.substring(accession.length() - 16);
        return new DicomImageWriter.Header(p.modality(), uid(s, "study"), uid(s, "series-" + n), uid(s, "sop-" + n),
                String.format("PHANTOM^%04d", s.index()), String.format("PH-%d-%06d", s.seed(), s.index()),
                birthYear + p.studyDate().substring(4), p.patientSex(), String.format("%03dY", p.patientAgeYears()),
                p.studyDate(), p.studyTime(), accession, studyId, "XR CHEST 2 VIEWS", seriesDesc, n, 1, view,
                orientation, "Synthetic chest phantom " + s.studyId() + " (RadDraft). Not a patient; not for clinical use.");
    }

    /** {@code 2.25.<decimal of 128 bits of SHA-256("raddraft-phantom/seed/index/role")>}. */
    static String uid(StudySpec s, String role) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(
                    ("raddraft-phantom/" + s.seed() + "/" + s.index() + "/" + role).getBytes(StandardCharsets.UTF_8));
            byte[] b = java.util.Arrays.copyOf(h, 16);
            b[6] = (byte) ((b[6] & 0x0F) | 0x80); // UUID version 8 (custom), RFC 9562
            b[8] = (byte) ((b[8] & 0x3F) | 0x80); // RFC 4122 variant
            return "2.25." + new BigInteger(1, b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
