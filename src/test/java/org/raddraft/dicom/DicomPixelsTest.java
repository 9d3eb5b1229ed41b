package org.raddraft.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.Dcmtk;
import org.raddraft.testing.HostileDicom;

class DicomPixelsTest {

    @Test
    void eightBitPixelsInAnOwElementDecodeInOrder(@TempDir Path dir) throws Exception {
        // img2dcm writes 8-bit pixel data as OW: two pixels per little-endian word
        Path f = Dcmtk.image(dir, "eight", 64, 3, "BodyPartExamined=CHEST");
        PixelFrame frame = DicomPixels.decode(f);
        assertEquals(64, frame.rows());
        assertEquals(64, frame.columns());
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                assertEquals((x * 7 + y * 3 + 3 * 13) & 0xff, frame.values()[y * 64 + x], "pixel " + x + "," + y);
            }
        }
    }

    // --- images that declare more than they hold (issue 21, finding 5) ----------------------------

    private static Path file(Path dir, String name, byte[] dataSet, HostileDicom.Uids uids) throws Exception {
        Path f = dir.resolve(name);
        Files.write(f, HostileDicom.part10(dataSet, uids.sop()));
        return f;
    }

    @Test
    void dimensionsBeyondIntAreRefusedBeforeAnythingIsAllocated(@TempDir Path dir) throws Exception {
        // 65535 x 65535 overflows int: today NegativeArraySizeException, or GBs allocated at 46340 x 46340
        for (int side : new int[] {65535, 46340}) {
            HostileDicom.Uids uids = HostileDicom.Uids.fresh(side);
            Path f = file(dir, side + ".dcm", HostileDicom.hugeImage(uids, side, side, 1024), uids);
            DicomLimitException e = assertThrows(DicomLimitException.class, () -> DicomPixels.decode(f));
            assertEquals("image of " + side + " x " + side + " values exceeds image.max-pixels (50000000)",
                    e.getMessage());
        }
    }

    @Test
    void theMaximumIsConfigurable(@TempDir Path dir) throws Exception {
        HostileDicom.Uids uids = HostileDicom.Uids.fresh(1);
        Path f = file(dir, "plain.dcm", HostileDicom.plain(uids), uids);
        assertEquals(16, DicomPixels.decode(f).rows());
        try {
            DicomPixels.limitPixels(255);
            DicomLimitException e = assertThrows(DicomLimitException.class, () -> DicomPixels.decode(f));
            assertEquals("image of 16 x 16 values exceeds image.max-pixels (255)", e.getMessage());
        } finally {
            DicomPixels.limitPixels(DicomPixels.DEFAULT_MAX_PIXELS);
        }
        assertThrows(IllegalArgumentException.class, () -> DicomPixels.limitPixels(0));
    }

    @Test
    void pixelDataShorterThanDeclaredIsRefusedWithBothSizes(@TempDir Path dir) throws Exception {
        HostileDicom.Uids uids = HostileDicom.Uids.fresh(2);
        Path f = file(dir, "short.dcm", HostileDicom.shortPixelData(uids), uids);
        DicomLimitException e = assertThrows(DicomLimitException.class, () -> DicomPixels.decode(f));
        assertEquals("Pixel Data holds 64 bytes, Rows x Columns x Samples x Bits Allocated need 524288", e.getMessage());
    }

    @Test
    void aLosslessJpegFrameLargerThanRowsAndColumnsIsRefusedBeforeDecoding() throws Exception {
        // SOI, SOF3 declaring 65535 lines x 65535 columns of 16 bits, one component, then EOI
        byte[] jpeg = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xC3, 0, 11, 16, (byte) 0xFF, (byte) 0xFF,
            (byte) 0xFF, (byte) 0xFF, 1, 1, 0x11, 0, (byte) 0xFF, (byte) 0xC4, 0, 20, 0, 1, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xDA, 0, 8, 1, 1, 0, 1, 0, 0};
        DicomLimitException e = assertThrows(DicomLimitException.class, () -> JpegLosslessDecoder.decode(jpeg, 16, 16));
        assertEquals("the lossless JPEG frame is 65535 x 65535, Columns x Rows is 16 x 16", e.getMessage());
    }

    @Test
    void encapsulatedPixelDataWithoutAFrameIsRefusedInRadDraftsWords(@TempDir Path dir) throws Exception {
        // found by DicomParserFuzzTest (issue 24): encapsulated Pixel Data in a file whose transfer syntax is not
        // encapsulated leaves PixelMed with no frames, and ownDecoders failed with a NullPointerException instead of a reason
        HostileDicom.Uids uids = HostileDicom.Uids.fresh(1);
        byte[] plain = HostileDicom.plain(uids);
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        b.write(plain, 0, plain.length - 520); // the plain image's Pixel Data is its last element: 8 + 512 bytes
        b.writeBytes(new byte[] {(byte) 0xE0, 0x7F, 0x10, 0x00, -1, -1, -1, -1}); // (7FE0,0010), undefined length
        b.writeBytes(new byte[] {(byte) 0xFE, -1, 0x00, (byte) 0xE0, 0, 0, 0, 0}); // empty offset table item
        b.writeBytes(new byte[] {(byte) 0xFE, -1, 0x00, (byte) 0xE0, 0x72, 0x01, 0, 0}); // one fragment of 370 bytes
        b.writeBytes(new byte[370]);
        b.writeBytes(new byte[] {(byte) 0xFE, -1, (byte) 0xDD, (byte) 0xE0, 0, 0, 0, 0}); // sequence delimiter
        Path f = file(dir, "no-frame.dcm", b.toByteArray(), uids);
        DicomFormatException e = assertThrows(DicomFormatException.class, () -> DicomPixels.decode(f));
        assertEquals("encapsulated Pixel Data (7FE0,0010) holds no frame", e.getMessage());
    }
}
