package org.raddraft.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.Dcmtk;

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
}
