package org.raddraft.dicom;

import org.raddraft.testing.Dcmtk;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real public radiographs from the shared reference folder (system property
 * {@code raddraft.sharedData}, default {@code ../shared/data}; read, never copied): each is sent by
 * storescu in its own transfer syntax, received, and decodes to non-constant pixels of its size.
 */
class SharedRadiographTest {

    static final Path DICOM_DIR = Path.of(System.getProperty("raddraft.sharedData", "../shared/data"), "dicom");
    /** storescu option proposing each file's own transfer syntax (plus uncompressed). */
    static final Map<String, String> PROPOSE = Map.of(
            "1.2.840.10008.1.2", "-xi",
            "1.2.840.10008.1.2.1", "-xe",
            "1.2.840.10008.1.2.4.50", "-xy",
            "1.2.840.10008.1.2.4.91", "-xw",
            "1.2.840.10008.1.2.4.90", "-xv");

    @TempDir
    static Path dir;
    static ScpFixture scp;

    @AfterAll
    static void stop() throws Exception {
        if (scp != null) {
            scp.close();
        }
    }

    private static synchronized ScpFixture scp() throws Exception {
        if (scp == null) {
            scp = ScpFixture.start(dir);
        }
        return scp;
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "nih-dx-chest-implicit-le.dcm",
            "siim-cr-chest-pa-jpeg-baseline.dcm",
            "siim-cr-chest-pa-jpeg-baseline-monochrome1.dcm",
            "wg04-rg1-cr-chest-pa-j2k-lossy-monochrome1.dcm",
            "wg04-rg3-cr-extremity-j2k-lossy.dcm"})
    void receivesAndDecodes(String name) throws Exception {
        Path file = DICOM_DIR.resolve(name);
        Assumptions.assumeTrue(Files.isReadable(file), "shared reference radiograph " + file.toAbsolutePath()
                + " is absent (set -Draddraft.sharedData=<dir holding dicom/>); skipping");
        var meta = DicomAttributes.parse(file, com.pixelmed.dicom.TagFromName.PixelData);
        String ts = com.pixelmed.dicom.Attribute.getSingleStringValueOrNull(meta,
                com.pixelmed.dicom.TagFromName.TransferSyntaxUID);
        DicomAttributes original = DicomAttributes.read(file);

        ScpFixture scp = scp();
        Dcmtk.Result r = Dcmtk.storescu(scp.port(), "PACS", ScpFixture.AE, List.of("-R", PROPOSE.get(ts)), file);
        assertTrue(r.ok() && r.output().contains("Received Store Response (Success)"), r.toString());
        // the MONOCHROME1 sample is an edited copy sharing its SOP Instance UID: take the latest receipt
        ReceivedInstance instance = scp.instances.stream()
                .filter(i -> i.attributes().sopInstanceUid().equals(original.sopInstanceUid()))
                .reduce((first, second) -> second)
                .orElseThrow(() -> new AssertionError("not received: " + r));
        assertEquals(ts, instance.transferSyntaxUid(), "received in its own transfer syntax");
        assertEquals(original, instance.attributes());

        PixelFrame frame = DicomPixels.decode(scp.received.resolve(original.sopInstanceUid() + ".dcm"));
        assertEquals(original.rows(), frame.rows());
        assertEquals(original.columns(), frame.columns());
        assertEquals(frame.rows() * frame.columns(), frame.values().length);
        assertEquals("MONOCHROME1".equals(original.photometricInterpretation()), frame.monochrome1());
        int[] range = frame.range();
        assertTrue(range[1] - range[0] > 32, name + " looks constant: " + range[0] + ".." + range[1]);
        assertTrue(range[1] < (1 << frame.bitsStored()), name + " value above Bits Stored: " + range[1]);
    }
}
