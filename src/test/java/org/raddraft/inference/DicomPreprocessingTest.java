package org.raddraft.inference;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.raddraft.dicom.DicomPixels;
import org.raddraft.dicom.PixelFrame;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DICOM to {@code pixel_values}: every real radiograph in shared/data/dicom preprocesses (J2K, JPEG,
 * MONOCHROME1), the MONOCHROME1 copy matches its MONOCHROME2 original, the phantom DICOM files give
 * the 8-bit images the training PNGs hold, and rendered tensors have the expected orientation.
 * Runs without a model (a fixed 256 px contract) so it also runs before the model lands.
 */
public class DicomPreprocessingTest {

    static final int SIZE = 256;
    static final float MEAN = 0.28f;
    static final float STD = 0.11f;

    static Preprocessor preprocessor() {
        return new Preprocessor(new PreprocessorConfig(SIZE, true, 0, true, 1 / 255f, true,
                new float[] {MEAN, MEAN}, new float[] {STD, STD}, 8));
    }

    public static Path phantomTestdata() {
        String p = System.getProperty("raddraft.phantomTestdata");
        Path dir = p != null ? Path.of(p) : Path.of(System.getProperty("user.dir")).resolve("testdata/phantoms");
        org.junit.jupiter.api.Assertions.assertTrue(Files.isRegularFile(dir.resolve("phantoms.jsonl")),
                "no phantom test data at " + dir + " (testdata/ is committed; or set -Draddraft.phantomTestdata=DIR)");
        return dir;
    }

    @Test
    void everySharedRadiographPreprocessesIntoTheContractRange() throws Exception {
        Path dir = TestModels.sharedDicom();
        Preprocessor p = preprocessor();
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(f -> f.toString().endsWith(".dcm")).sorted().toList();
        }
        assertTrue(files.size() >= 1, "no .dcm in " + dir);
        float lo = (0 - MEAN) / STD - 1e-4f;
        float hi = (1 - MEAN) / STD + 1e-4f;
        for (Path f : files) {
            float[] x = p.view(f, 0);
            assertEquals(SIZE * SIZE, x.length, f.toString());
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (float v : x) {
                assertTrue(Float.isFinite(v), f + ": non-finite value");
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            assertTrue(min >= lo && max <= hi, f + ": values " + min + ".." + max + " outside " + lo + ".." + hi);
            assertTrue(max - min > 0.5f * (hi - lo), f + ": flat image " + min + ".." + max);
        }
    }

    /**
     * The SIIM MONOCHROME1 file is the MONOCHROME2 original with only Photometric Interpretation
     * edited (identical stored values), so a reader that honours MONOCHROME1 must show it as the
     * negative of the original: after preprocessing, intensity(mono1) = 1 - intensity(mono2).
     */
    @Test
    void monochrome1IsInvertedRelativeToTheSameValuesAsMonochrome2() throws Exception {
        Path dir = TestModels.sharedDicom();
        Path mono2 = dir.resolve("siim-cr-chest-pa-jpeg-baseline.dcm");
        Path mono1 = dir.resolve("siim-cr-chest-pa-jpeg-baseline-monochrome1.dcm");
        Assumptions.assumeTrue(Files.exists(mono1) && Files.exists(mono2), "shared sample pair " + mono2 + " / "
                + mono1.getFileName() + " absent (see ../shared/data/README.md): skipped");
        assertEquals(java.util.Arrays.hashCode(DicomPixels.decode(mono2).values()),
                java.util.Arrays.hashCode(DicomPixels.decode(mono1).values()), "stored values differ");
        Preprocessor p = preprocessor();
        float[] a = p.view(mono2, 0);
        float[] b = p.view(mono1, 0);
        double mad = 0;
        for (int i = 0; i < a.length; i++) {
            double ia = a[i] * STD + MEAN;
            double ib = b[i] * STD + MEAN;
            mad += Math.abs((1 - ia) - ib);
        }
        mad /= a.length;
        assertTrue(mad < 0.005, "mean |(1 - mono2) - mono1| = " + mad + " of the intensity range");
        assertTrue(correlation(a, b) < -0.99, "mono1 is not the negative of mono2");
    }

    @Test
    void windowedMonochrome1ChestShowsLungsDarkerThanMediastinum() throws Exception {
        Path f = TestModels.sharedDicom().resolve("wg04-rg1-cr-chest-pa-j2k-lossy-monochrome1.dcm");
        Assumptions.assumeTrue(Files.exists(f), "shared sample " + f + " absent (see ../shared/data/README.md): skipped");
        float[] x = preprocessor().view(f, 0);
        assertLungsDarkerThanMediastinum(x, f.toString());
    }

    @Test
    void phantomDicomReproducesTheTrainingPng() throws Exception {
        Path data = phantomTestdata();
        try (Stream<Path> studies = Files.list(data.resolve("dicom"))) {
            for (Path study : (Iterable<Path>) studies.sorted()::iterator) {
                try (Stream<Path> files = Files.list(study)) {
                    for (Path dcm : (Iterable<Path>) files.sorted()::iterator) {
                        String view = dcm.getFileName().toString().startsWith("1-") ? "frontal" : "lateral";
                        Path png = data.resolve("images").resolve(study.getFileName() + "_" + view + ".png");
                        PixelFrame frame = DicomPixels.decode(dcm);
                        int[] fromDicom = Preprocessor.toGray8(frame);
                        BufferedImage img = ImageIO.read(png.toFile());
                        int[] fromPng = img.getRaster().getPixels(0, 0, img.getWidth(), img.getHeight(), (int[]) null);
                        assertEquals(fromPng.length, fromDicom.length, dcm.toString());
                        int off = 0;
                        int maxDiff = 0;
                        for (int i = 0; i < fromPng.length; i++) {
                            int d = Math.abs(fromPng[i] - fromDicom[i]);
                            maxDiff = Math.max(maxDiff, d);
                            off += d == 0 ? 0 : 1;
                        }
                        // the generator stores round(offset + d * range) (range >= 3604 for 12 bits) and writes
                        // round(d * 255) to the PNG: the window recovers d to +-0.5/range, so values within
                        // ~0.035 of a rounding tie may land one grey level off (about 1-2 % of pixels)
                        assertTrue(maxDiff <= 1, dcm + ": max grey-level difference " + maxDiff);
                        assertTrue(off < fromPng.length / 20, dcm + ": " + off + " pixels differ by 1");
                    }
                }
            }
        }
    }

    @Test
    void renderedPhantomTensorHasHeartOnImageRightAndDarkLungs() throws Exception {
        Path data = phantomTestdata();
        Path dcm;
        try (Stream<Path> s = Files.walk(data.resolve("dicom"))) {
            dcm = s.filter(f -> f.getFileName().toString().startsWith("1-")).sorted().findFirst().orElseThrow();
        }
        float[] x = preprocessor().view(dcm, 0);
        Path png = render(x, "phantom-frontal-preprocessed.png");
        assertTrue(Files.size(png) > 0);
        // heart band: the heart shadow extends to the image's right (patient's left)
        double right = mean(x, 0.55, 0.72, 0.55, 0.72);
        double left = mean(x, 0.55, 0.72, 0.28, 0.45);
        assertTrue(right > left, "heart band: image right " + right + " <= image left " + left);
        assertLungsDarkerThanMediastinum(x, dcm.toString());
        // intensity range: air dark, bone / soft tissue bright
        float[] sorted = x.clone();
        java.util.Arrays.sort(sorted);
        double p2 = sorted[(int) (0.02 * sorted.length)] * STD + MEAN;
        double p98 = sorted[(int) (0.98 * sorted.length)] * STD + MEAN;
        assertTrue(p2 < 0.2 && p98 > 0.6, "2nd/98th percentile intensities " + p2 + " / " + p98);
    }

    @Test
    void renderedRealChestHasDarkLungsAndFullRange() throws Exception {
        Path f = TestModels.sharedDicom().resolve("siim-cr-chest-pa-jpeg-baseline.dcm");
        Assumptions.assumeTrue(Files.exists(f), "shared sample " + f + " absent (see ../shared/data/README.md): skipped");
        float[] x = preprocessor().view(f, 0);
        render(x, "siim-chest-preprocessed.png");
        assertLungsDarkerThanMediastinum(x, f.toString());
        float[] sorted = x.clone();
        java.util.Arrays.sort(sorted);
        double p1 = sorted[(int) (0.01 * sorted.length)] * STD + MEAN;
        double p99 = sorted[(int) (0.99 * sorted.length)] * STD + MEAN;
        assertTrue(p1 < 0.1 && p99 > 0.9, "percentile window: 1st/99th " + p1 + " / " + p99);
    }

    @Test
    void nonSquareImagesArePaddedCentredBeforeResize() {
        Preprocessor p = preprocessor();
        int w = 512;
        int h = 256;
        int[] grey = new int[w * h];
        java.util.Arrays.fill(grey, 200);
        float[] r = p.boxResize(grey, w, h);
        // 512x512 after padding, rows 128..383 hold the image; at 256 px that is rows 64..191
        assertEquals(0f, r[10 * SIZE + 100], 1e-6);
        assertEquals(200f, r[128 * SIZE + 100], 1e-6);
        assertEquals(0f, r[240 * SIZE + 100], 1e-6);
    }

    @Test
    void nonIntegerFactorUsesAreaAverage() {
        int n = 300;
        int[] grey = new int[n * n];
        for (int i = 0; i < grey.length; i++) {
            grey[i] = (i % n) < n / 2 ? 0 : 255;
        }
        float[] r = preprocessor().boxResize(grey, n, n);
        assertEquals(0f, r[5 * SIZE + 10], 1e-4);
        assertEquals(255f, r[5 * SIZE + 250], 1e-4);
    }

    static void assertLungsDarkerThanMediastinum(float[] x, String what) {
        double lungs = (mean(x, 0.3, 0.5, 0.2, 0.35) + mean(x, 0.3, 0.5, 0.65, 0.8)) / 2;
        double mediastinum = mean(x, 0.3, 0.5, 0.46, 0.54);
        assertTrue(lungs < mediastinum, what + ": lungs " + lungs + " not darker than mediastinum " + mediastinum);
    }

    static double mean(float[] x, double y0, double y1, double x0, double x1) {
        double s = 0;
        int n = 0;
        for (int y = (int) (y0 * SIZE); y < (int) (y1 * SIZE); y++) {
            for (int c = (int) (x0 * SIZE); c < (int) (x1 * SIZE); c++) {
                s += x[y * SIZE + c];
                n++;
            }
        }
        return s / n;
    }

    static double correlation(float[] a, float[] b) {
        double ma = 0;
        double mb = 0;
        for (int i = 0; i < a.length; i++) {
            ma += a[i];
            mb += b[i];
        }
        ma /= a.length;
        mb /= b.length;
        double sab = 0;
        double saa = 0;
        double sbb = 0;
        for (int i = 0; i < a.length; i++) {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.sqrt(saa * sbb);
    }

    /** Writes a normalised view back to 8-bit grey (target/inference-render/NAME) for a human to look at. */
    static Path render(float[] x, String name) throws Exception {
        BufferedImage img = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_BYTE_GRAY);
        int[] px = new int[x.length];
        for (int i = 0; i < x.length; i++) {
            px[i] = Math.max(0, Math.min(255, Math.round((x[i] * STD + MEAN) * 255)));
        }
        img.getRaster().setPixels(0, 0, SIZE, SIZE, px);
        Path dir = Files.createDirectories(Path.of("target", "inference-render"));
        Path out = dir.resolve(name);
        ImageIO.write(img, "png", out.toFile());
        return out;
    }
}
