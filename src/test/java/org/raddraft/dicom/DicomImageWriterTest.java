package org.raddraft.dicom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DicomImageWriterTest {

    static Stream<Arguments> cases() {
        List<Arguments> l = new ArrayList<>();
        for (String ts : DicomImageWriter.TRANSFER_SYNTAXES) {
            for (int bits : new int[]{12, 14, 15, 16}) {
                l.add(Arguments.of(ts, bits, bits % 2 == 0 ? "MONOCHROME2" : "MONOCHROME1", bits == 12 ? "CR" : "DX"));
            }
        }
        return l.stream();
    }

    @ParameterizedTest(name = "{0} {1} bits {2} {3}")
    @MethodSource("cases")
    void writesAFileThatDecodesBackToTheSamePixels(String ts, int bits, String photometric, String modality,
                                                  @TempDir Path tmp) throws Exception {
        short[] px = pixels(67, 53, bits, bits * 31L);
        Path f = tmp.resolve("x.dcm");
        DicomImageWriter.write(f, header(modality), image(67, 53, bits, photometric, px), ts);
        assertArrayEquals(px, DicomImageWriter.decodeStoredPixels(f));
        assertEquals(ts, DicomImageWriter.attribute(f, "TransferSyntaxUID"));
        assertEquals(photometric, DicomImageWriter.attribute(f, "PhotometricInterpretation"));
        assertEquals(Integer.toString(bits), DicomImageWriter.attribute(f, "BitsStored"));
        assertEquals("PA", DicomImageWriter.attribute(f, "ViewPosition"));
        org.raddraft.testing.Dcmtk.assertCleanPart10(f);
        // DCMTK decodes our compressed streams to the same values
        if (ts.equals(DicomImageWriter.RLE_LOSSLESS) || ts.equals(DicomImageWriter.JPEG_LOSSLESS_SV1)) {
            Path plain = tmp.resolve("plain.dcm");
            org.raddraft.testing.Dcmtk.ok(ts.equals(DicomImageWriter.RLE_LOSSLESS) ? "dcmdrle" : "dcmdjpeg", f, plain);
            assertArrayEquals(px, DicomImageWriter.decodeStoredPixels(plain));
        }
    }

    @Test
    void edgeValuesSurviveJpegLossless(@TempDir Path tmp) throws Exception {
        for (int bits : new int[]{12, 16}) {
            int max = (1 << bits) - 1;
            short[] px = new short[32 * 16];
            for (int i = 0; i < px.length; i++) px[i] = (short) (i % 3 == 0 ? max : i % 3 == 1 ? 0 : max / 2);
            Path f = tmp.resolve("e" + bits + ".dcm");
            DicomImageWriter.write(f, header("DX"), image(32, 16, bits, "MONOCHROME2", px), DicomImageWriter.JPEG_LOSSLESS_SV1);
            assertArrayEquals(px, DicomImageWriter.decodeStoredPixels(f));
        }
    }

    @Test
    void rejectsUnsupportedTransferSyntax(@TempDir Path tmp) {
        assertThrows(IllegalArgumentException.class, () -> DicomImageWriter.write(tmp.resolve("x.dcm"), header("CR"),
                image(4, 4, 12, "MONOCHROME2", new short[16]), "1.2.840.10008.1.2.4.50"));
    }

    static short[] pixels(int w, int h, int bits, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int max = (1 << bits) - 1;
        short[] px = new short[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int v = (int) ((double) x / w * max * 0.7 + r.nextInt(Math.max(1, max / 50))); // smooth + noise
                if (y == 0 && x < 3) v = x == 0 ? 0 : max; // extremes
                if (y > h / 2 && x < 10) v = 1000 % max; // a flat run for RLE
                px[y * w + x] = (short) Math.min(max, v);
            }
        }
        return px;
    }

    static DicomImageWriter.Image image(int w, int h, int bits, String pi, short[] px) {
        int max = (1 << bits) - 1;
        return new DicomImageWriter.Image(h, w, bits, pi, px, 0.5, max / 2.0, max, bits == 12 ? -1024 : 0, 1);
    }

    static DicomImageWriter.Header header(String modality) {
        return new DicomImageWriter.Header(modality, "2.25.1", "2.25.2", "2.25.3", "PHANTOM^0001", "PH-1", "19700101",
                "F", "054Y", "20240101", "101010", "A1", "S1", "XR CHEST 2 VIEWS", "CHEST PA", 1, 1, "PA", "L\\F",
                "synthetic");
    }
}
