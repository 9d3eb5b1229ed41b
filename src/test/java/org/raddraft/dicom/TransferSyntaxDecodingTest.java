package org.raddraft.dicom;

import org.raddraft.testing.Dcmtk;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every accepted transfer syntax really decodes (exactly, for the lossless ones), both from a file
 * and after a real storescu transfer in that syntax; the refused ones really do not decode here.
 */
class TransferSyntaxDecodingTest {

    /** DCMTK's names, for storescu's association configuration file. */
    static final Map<AcceptedTransferSyntax, String> DCMTK_NAMES = Map.of(
            AcceptedTransferSyntax.EXPLICIT_VR_LITTLE_ENDIAN, "LittleEndianExplicit",
            AcceptedTransferSyntax.IMPLICIT_VR_LITTLE_ENDIAN, "LittleEndianImplicit",
            AcceptedTransferSyntax.JPEG_LOSSLESS_SV1, "JPEGLossless:Non-hierarchical-1stOrderPrediction",
            AcceptedTransferSyntax.JPEG_LOSSLESS, "JPEGLossless:Non-hierarchical:Process14",
            AcceptedTransferSyntax.JPEG_2000_LOSSLESS, "JPEG2000LosslessOnly",
            AcceptedTransferSyntax.RLE_LOSSLESS, "RLELossless",
            AcceptedTransferSyntax.JPEG_2000, "JPEG2000",
            AcceptedTransferSyntax.JPEG_BASELINE, "JPEGBaseline");

    @TempDir
    static Path dir;
    static final Map<AcceptedTransferSyntax, TestImages.Spec> SPECS = new EnumMap<>(AcceptedTransferSyntax.class);
    static final Map<AcceptedTransferSyntax, Path> FILES = new EnumMap<>(AcceptedTransferSyntax.class);
    static ScpFixture scp;
    static Dcmtk.Result transfer;

    @BeforeAll
    static void makeOneFilePerSyntaxAndSendThemAll() throws Exception {
        for (AcceptedTransferSyntax ts : AcceptedTransferSyntax.values()) {
            TestImages.Spec spec = TestImages.Spec.chest(ts == AcceptedTransferSyntax.JPEG_BASELINE ? 8 : 12);
            SPECS.put(ts, spec);
            Path source = TestImages.write(dir.resolve(ts + "-source.dcm"), spec);
            Path file = dir.resolve(ts + ".dcm");
            switch (ts) {
                case EXPLICIT_VR_LITTLE_ENDIAN -> Files.move(source, file);
                case IMPLICIT_VR_LITTLE_ENDIAN -> Dcmtk.ok("dcmconv", "+ti", source, file);
                case JPEG_LOSSLESS_SV1 -> Dcmtk.ok("dcmcjpeg", "+e1", source, file);
                case JPEG_LOSSLESS -> Dcmtk.ok("dcmcjpeg", "+el", source, file);
                case JPEG_BASELINE -> Dcmtk.ok("dcmcjpeg", "+eb", "+un", source, file);
                case RLE_LOSSLESS -> Dcmtk.ok("dcmcrle", source, file);
                case JPEG_2000_LOSSLESS -> TestImages.writeJpeg2000(file, spec, true);
                case JPEG_2000 -> TestImages.writeJpeg2000(file, spec, false);
                default -> throw new IllegalStateException("no generator for " + ts);
            }
            FILES.put(ts, file);
        }
        scp = ScpFixture.start(dir.resolve("scp"));
        String contexts = DCMTK_NAMES.entrySet().stream()
                .map(e -> "[" + e.getKey() + "]\nTransferSyntax1 = " + e.getValue()).collect(Collectors.joining("\n"));
        StringBuilder pcs = new StringBuilder();
        int n = 1;
        for (AcceptedTransferSyntax ts : AcceptedTransferSyntax.values()) {
            pcs.append("PresentationContext").append(n++).append(" = ComputedRadiographyImageStorage\\").append(ts)
                    .append('\n');
        }
        Path config = Files.writeString(dir.resolve("storescu.cfg"), "[[TransferSyntaxes]]\n" + contexts
                + "\n[[PresentationContexts]]\n[Contexts]\n" + pcs + "[[Profiles]]\n[Each]\nPresentationContexts = Contexts\n");
        transfer = Dcmtk.storescu(scp.port(), "PACS", ScpFixture.AE, List.of("-xf", config.toString(), "Each"),
                FILES.values().toArray(Path[]::new));
    }

    @AfterAll
    static void stop() throws Exception {
        if (scp != null) {
            scp.close();
        }
    }

    @ParameterizedTest
    @EnumSource(AcceptedTransferSyntax.class)
    void decodesFile(AcceptedTransferSyntax ts) throws Exception {
        assertEquals(ts.uid(), com.pixelmed.dicom.Attribute.getSingleStringValueOrNull(
                DicomAttributes.parse(FILES.get(ts), com.pixelmed.dicom.TagFromName.PixelData),
                com.pixelmed.dicom.TagFromName.TransferSyntaxUID), "generator made the intended syntax");
        assertMatchesSource(ts, DicomPixels.decode(FILES.get(ts)));
    }

    @ParameterizedTest
    @EnumSource(AcceptedTransferSyntax.class)
    void receivesInThatSyntaxAndDecodes(AcceptedTransferSyntax ts) throws Exception {
        assertTrue(transfer.ok(), transfer.toString());
        String sop = SPECS.get(ts).sopUid();
        ReceivedInstance instance = scp.instances.stream().filter(i -> i.attributes().sopInstanceUid().equals(sop))
                .findFirst().orElseThrow(() -> new AssertionError(ts + " not received: " + transfer));
        assertEquals(ts.uid(), instance.transferSyntaxUid(), "negotiated as sent");
        assertMatchesSource(ts, DicomPixels.decode(scp.received.resolve(sop + ".dcm")));
    }

    private static void assertMatchesSource(AcceptedTransferSyntax ts, PixelFrame frame) {
        TestImages.Spec spec = SPECS.get(ts);
        assertEquals(spec.rows(), frame.rows());
        assertEquals(spec.columns(), frame.columns());
        assertEquals(spec.bits(), frame.bitsStored());
        int[] range = frame.range();
        assertTrue(range[1] - range[0] > (1 << spec.bits()) / 2, "not constant: " + range[0] + ".." + range[1]);
        boolean lossy = ts == AcceptedTransferSyntax.JPEG_BASELINE || ts == AcceptedTransferSyntax.JPEG_2000;
        double maxError = 0;
        for (int y = 0; y < spec.rows(); y++) {
            for (int x = 0; x < spec.columns(); x++) {
                maxError = Math.max(maxError,
                        Math.abs(frame.values()[y * spec.columns() + x] - TestImages.value(spec, y, x)));
            }
        }
        double tolerance = lossy ? (1 << spec.bits()) * 0.05 : 0;
        assertTrue(maxError <= tolerance, ts + ": max error " + maxError + " > " + tolerance);
    }

    @Test
    void refusedSyntaxesReallyDoNotDecodeHere() throws Exception {
        Path source = TestImages.write(dir.resolve("refused-source.dcm"), TestImages.Spec.chest(12));
        Path jpegLs = dir.resolve("jpegls.dcm");
        Path extended12 = dir.resolve("jpeg-extended-12bit.dcm");
        Dcmtk.ok("dcmcjpls", source, jpegLs);
        Dcmtk.ok("dcmcjpeg", "+ee", source, extended12);
        assertThrows(DicomFormatException.class, () -> DicomPixels.decode(jpegLs));
        assertThrows(DicomFormatException.class, () -> DicomPixels.decode(extended12));
        assertTrue(AcceptedTransferSyntax.of("1.2.840.10008.1.2.4.80").isEmpty());
        assertTrue(AcceptedTransferSyntax.of("1.2.840.10008.1.2.4.81").isEmpty());
        assertTrue(AcceptedTransferSyntax.of("1.2.840.10008.1.2.4.51").isEmpty());
    }
}
