package org.raddraft.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Server-side rendering for the review page: the committed phantoms render to the grey levels of
 * their display PNGs (JPEG lossless, RLE, MONOCHROME1 and 2), MONOCHROME1 comes out inverted, a
 * window without one in the file ignores outliers, presets and explicit windows move the grey levels
 * the way a reader expects, and the size limit box-filters.
 */
class ImageRendererTest {

    static final Path PHANTOMS = Path.of(System.getProperty("user.dir"), "testdata/phantoms");

    @Test
    void phantomsRenderToTheGeneratorsDisplayPngs() throws Exception {
        // 000000: DX JPEG lossless MONOCHROME1; 000001: DX JPEG lossless MONOCHROME2; 000002: CR RLE MONOCHROME1
        for (String study : new String[] {"ph-23-000000/1-AP", "ph-23-000001/1-PA", "ph-23-000002/1-PA",
                "ph-23-000002/2-LL"}) {
            Path dcm = PHANTOMS.resolve("dicom/" + study + ".dcm");
            String id = study.substring(0, study.indexOf('/'));
            String view = study.endsWith("LL") ? "lateral" : "frontal";
            BufferedImage expected = ImageIO.read(PHANTOMS.resolve("images/" + id + "_" + view + ".png").toFile());
            RenderedImage r = ImageRenderer.render(dcm, RenderOptions.preset(WindowPreset.DEFAULT, 0));
            assertEquals("file", r.windowSource(), study + " carries its own VOI window");
            BufferedImage got = decode(r);
            assertEquals(expected.getWidth(), got.getWidth(), study);
            int off = 0;
            for (int y = 0; y < got.getHeight(); y++) {
                for (int x = 0; x < got.getWidth(); x++) {
                    int d = Math.abs(grey(got, x, y) - grey(expected, x, y));
                    assertTrue(d <= 1, study + " pixel " + x + "," + y + " differs by " + d);
                    off += d;
                }
            }
            // rounding ties of 12-bit stored values: ~1-2 % of pixels one level off (see DicomPreprocessingTest)
            assertTrue(off < got.getWidth() * got.getHeight() / 20, study + ": " + off + " pixels off by one");
        }
    }

    @Test
    void monochrome1IsShownInverted() {
        int[] ramp = ramp(64, 48, 0, 4095);
        PixelFrame mono2 = new PixelFrame(48, 64, 12, false, ramp, 1, 0, null, null);
        PixelFrame mono1 = new PixelFrame(48, 64, 12, true, ramp, 1, 0, null, null);
        BufferedImage a = decode(ImageRenderer.render(mono2, RenderOptions.preset(WindowPreset.DEFAULT, 0)));
        BufferedImage b = decode(ImageRenderer.render(mono1, RenderOptions.preset(WindowPreset.DEFAULT, 0)));
        assertEquals(0, grey(a, 0, 0), "lowest value black in MONOCHROME2");
        assertEquals(255, grey(b, 0, 0), "lowest value white in MONOCHROME1");
        for (int y = 0; y < 48; y++) {
            for (int x = 0; x < 64; x++) {
                assertTrue(Math.abs(grey(a, x, y) + grey(b, x, y) - 255) <= 1, "pixel " + x + "," + y);
            }
        }
    }

    @Test
    void monochrome1FileWithItsWindowIsInvertedAfterTheVoi(@TempDir Path dir) throws Exception {
        short[] px = new short[32 * 32];
        for (int i = 0; i < px.length; i++) {
            px[i] = (short) (1000 + (i % 32) * 10); // 1000..1310 along each row
        }
        Path f = dir.resolve("m1.dcm");
        DicomImageWriter.write(f, header(), new DicomImageWriter.Image(32, 32, 12, "MONOCHROME1", px, 0.2,
                1155, 310, 0, 1), DicomImageWriter.EXPLICIT_VR_LE);
        RenderedImage r = ImageRenderer.render(f, RenderOptions.preset(WindowPreset.DEFAULT, 0));
        assertEquals(1155, r.center(), 1e-9);
        assertEquals(310, r.windowWidth(), 1e-9);
        BufferedImage img = decode(r);
        assertEquals(255, grey(img, 0, 5), "window bottom (1000) is white in MONOCHROME1");
        assertEquals(0, grey(img, 31, 5), "window top (1310) is black in MONOCHROME1");
    }

    @Test
    void withoutAFileWindowOutliersDoNotFlattenTheImage() {
        int[] v = ramp(100, 100, 1000, 2000);
        for (int i = 0; i < 20; i++) {
            v[i * 97] = 65535; // 0.2 % hot pixels, e.g. a burnt-in marker
        }
        PixelFrame f = new PixelFrame(100, 100, 16, false, v, 1, 0, null, null);
        RenderedImage r = ImageRenderer.render(f, RenderOptions.preset(WindowPreset.DEFAULT, 0));
        assertEquals("percentiles", r.windowSource());
        assertTrue(r.center() + r.windowWidth() / 2 < 2100, "99.5th percentile near the ramp top, got "
                + (r.center() + r.windowWidth() / 2));
        int mid = grey(decode(r), 50, 50);
        assertTrue(mid > 100 && mid < 155, "the middle of the ramp stays mid-grey, got " + mid);
    }

    @Test
    void presetsShiftTheGreyLevelsAsTheirNamesSay() throws Exception {
        Path dcm = PHANTOMS.resolve("dicom/ph-23-000004/1-AP.dcm");
        double lung = mean(ImageRenderer.render(dcm, RenderOptions.preset(WindowPreset.LUNG, 0)));
        double soft = mean(ImageRenderer.render(dcm, RenderOptions.preset(WindowPreset.SOFT, 0)));
        double bone = mean(ImageRenderer.render(dcm, RenderOptions.preset(WindowPreset.BONE, 0)));
        assertTrue(lung > soft && soft > bone, "lung " + lung + " > soft " + soft + " > bone " + bone);
        // a MONOCHROME1 file gives the same order: the percentiles are of brightness, not stored value
        Path m1 = PHANTOMS.resolve("dicom/ph-23-000002/1-PA.dcm");
        assertTrue(mean(ImageRenderer.render(m1, RenderOptions.preset(WindowPreset.LUNG, 0)))
                > mean(ImageRenderer.render(m1, RenderOptions.preset(WindowPreset.BONE, 0))));
    }

    @Test
    void explicitWindowClipsBelowAndAbove() {
        PixelFrame f = new PixelFrame(1, 4, 12, false, new int[] {100, 200, 300, 400}, 2, -100, 9999.0, 1.0);
        RenderedImage r = ImageRenderer.render(f, new RenderOptions(WindowPreset.DEFAULT, 400.0, 400.0, 0,
                RenderOptions.Format.PNG));
        assertEquals("explicit", r.windowSource());
        BufferedImage img = decode(r);
        // modality values 100, 300, 500, 700 through the window [200, 600]
        assertEquals(0, grey(img, 0, 0));
        assertEquals(64, grey(img, 1, 0));
        assertEquals(191, grey(img, 2, 0));
        assertEquals(255, grey(img, 3, 0));
    }

    @Test
    void maxSizeBoxFiltersTheLongestSideAndNeverEnlarges() throws Exception {
        Path dcm = PHANTOMS.resolve("dicom/ph-23-000001/1-PA.dcm"); // 320 x 320
        BufferedImage full = decode(ImageRenderer.render(dcm, RenderOptions.preset(WindowPreset.DEFAULT, 0)));
        RenderedImage half = ImageRenderer.render(dcm, RenderOptions.preset(WindowPreset.DEFAULT, 160));
        assertEquals(160, half.width());
        assertEquals(320, half.sourceWidth());
        BufferedImage h = decode(half);
        for (int y = 0; y < 160; y += 7) {
            for (int x = 0; x < 160; x += 7) {
                double m = (grey(full, 2 * x, 2 * y) + grey(full, 2 * x + 1, 2 * y) + grey(full, 2 * x, 2 * y + 1)
                        + grey(full, 2 * x + 1, 2 * y + 1)) / 4.0;
                assertTrue(Math.abs(grey(h, x, y) - m) <= 0.51, "2x2 block mean at " + x + "," + y);
            }
        }
        assertEquals(320, ImageRenderer.render(dcm, RenderOptions.preset(WindowPreset.DEFAULT, 4096)).width());
        PixelFrame wide = new PixelFrame(30, 90, 8, false, ramp(90, 30, 0, 255), 1, 0, null, null);
        RenderedImage w = ImageRenderer.render(wide, RenderOptions.preset(WindowPreset.DEFAULT, 45));
        assertEquals(45, w.width());
        assertEquals(15, w.height());
    }

    @Test
    void jpegOnRequest() throws Exception {
        RenderedImage r = ImageRenderer.render(PHANTOMS.resolve("dicom/ph-23-000003/1-PA.dcm"),
                new RenderOptions(WindowPreset.SOFT, null, null, 200, RenderOptions.Format.JPEG));
        assertEquals("image/jpeg", r.mediaType());
        assertEquals(0xFF, r.bytes()[0] & 0xFF);
        assertEquals(200, decode(r).getWidth());
    }

    @Test
    void badInputIsRefusedWithWhatToFix(@TempDir Path dir) throws Exception {
        Path junk = Files.write(dir.resolve("junk.dcm"), new byte[] {1, 2, 3});
        assertThrows(DicomFormatException.class,
                () -> ImageRenderer.render(junk, RenderOptions.preset(WindowPreset.DEFAULT, 0)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WindowPreset.of("brain"));
        assertTrue(e.getMessage().contains("default, lung, soft or bone"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new RenderOptions(WindowPreset.DEFAULT, 10.0, null, 0, RenderOptions.Format.PNG));
        assertThrows(IllegalArgumentException.class,
                () -> new RenderOptions(WindowPreset.DEFAULT, 10.0, 0.0, 0, RenderOptions.Format.PNG));
    }

    static int[] ramp(int w, int h, int lo, int hi) {
        int[] v = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                v[y * w + x] = lo + (int) ((long) (hi - lo) * (y * w + x) / (w * h - 1));
            }
        }
        return v;
    }

    static BufferedImage decode(RenderedImage r) {
        try {
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(r.bytes()));
            assertEquals(r.width(), img.getWidth());
            assertEquals(r.height(), img.getHeight());
            return img;
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    static int grey(BufferedImage img, int x, int y) {
        return img.getRaster().getSample(x, y, 0);
    }

    static double mean(RenderedImage r) {
        BufferedImage img = decode(r);
        long sum = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                sum += grey(img, x, y);
            }
        }
        return (double) sum / (img.getWidth() * img.getHeight());
    }

    static DicomImageWriter.Header header() {
        return new DicomImageWriter.Header("CR", "1.2.3.4", "1.2.3.4.1", "1.2.3.4.1.1", "Test^Render", "R1",
                "19700101", "O", "055Y", "20240101", "120000", "A1", "1", "XR CHEST", "PA", 1, 1, "PA", "A\\F",
                "render test");
    }
}
