package org.raddraft.dicom;

import org.raddraft.testing.Dcmtk;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.raddraft.dicom.ScpTestSupport.NO_OPTIONS;

/** The dicom:scp consumer against real DCMTK storescu / echoscu. */
class CStoreScpTest {

    @TempDir
    Path dir;
    ScpFixture scp;

    @AfterEach
    void stop() throws Exception {
        if (scp != null) {
            scp.close();
        }
    }

    @Test
    void answersEcho() throws Exception {
        scp = ScpFixture.start(dir);
        Dcmtk.Result r = Dcmtk.run("echoscu", "-v", "-aet", "PACS", "-aec", ScpFixture.AE, "localhost", scp.port());
        assertTrue(r.ok(), r.toString());
        assertTrue(r.output().contains("Received Echo Response (Success)"), r.toString());
    }

    @Test
    void storesTwoImagesFromAllowedAe() throws Exception {
        scp = ScpFixture.start(dir);
        Path a = ScpTestSupport.cr(dir, "a.dcm");
        Path b = ScpTestSupport.cr(dir, "b.dcm");
        Dcmtk.Result r = Dcmtk.storescu(scp.port(), "MODALITY", ScpFixture.AE, NO_OPTIONS, a, b);
        assertTrue(r.ok(), r.toString());
        assertEquals(2, r.output().split("Received Store Response \\(Success\\)", -1).length - 1, r.toString());
        assertEquals(2, scp.receivedFiles().size(), r.toString());
        assertEquals(List.of(true, true), scp.tempFileWasInPlace, "route saw the .part file in spool/tmp");
        assertEquals(List.of(), scp.tempFiles());
        ReceivedInstance first = scp.instances.get(0);
        assertEquals("MODALITY", first.callingAeTitle());
        assertEquals("127.0.0.1", first.remoteHost());
        assertEquals(TestImages.EXPLICIT_LE, first.transferSyntaxUid());
        assertEquals("CR", first.attributes().modality());
        DicomAttributes stored = DicomAttributes.read(scp.received.resolve(first.attributes().sopInstanceUid() + ".dcm"));
        assertEquals(first.attributes(), stored, "the moved file is the Part 10 file that was parsed");
        for (Path f : scp.receivedFiles()) {
            Dcmtk.assertCleanPart10(f); // our hand-written meta header, as DCMTK reads it
        }
        assertTrue(Dcmtk.ok("dcmdump", "-M", scp.receivedFiles().get(0)).output()
                .contains("(0002,0016) AE [MODALITY]"), "Source Application Entity Title");
    }

    @Test
    void instancesOfOneAssociationSharingItsWriteBufferAreStoredByteForByte() throws Exception {
        scp = ScpFixture.start(dir);
        // larger than the write buffer (a partial last write), then smaller than it, then larger again
        TestImages.Spec big = TestImages.Spec.chest(16);
        List<Path> sent = List.of(
                TestImages.write(dir.resolve("big.dcm"),
                        new TestImages.Spec(big.sopClassUid(), big.studyUid(), big.seriesUid(), big.sopUid(), 600, 610, 16)),
                ScpTestSupport.cr(dir, "small.dcm"),
                TestImages.write(dir.resolve("big2.dcm"), new TestImages.Spec(big.sopClassUid(), big.studyUid(),
                        big.seriesUid(), TestImages.uid(), 500, 530, 16)));
        assertTrue(Files.size(sent.get(0)) > IncomingInstance.WRITE_SIZE * 2L);
        Dcmtk.Result r = Dcmtk.storescu(scp.port(), "MODALITY", ScpFixture.AE, NO_OPTIONS, sent.toArray(Path[]::new));
        assertTrue(r.ok(), r.toString());
        assertEquals(3, scp.receivedFiles().size(), r.toString());
        for (Path f : sent) {
            Path stored = scp.received.resolve(DicomAttributes.read(f).sopInstanceUid() + ".dcm");
            assertTrue(FileMetaHeader.sameDataSet(f, stored), f.getFileName() + ": the data set as sent");
            Dcmtk.assertCleanPart10(stored);
        }
    }

    @Test
    void rejectsUnknownCallingAe() throws Exception {
        scp = ScpFixture.start(dir);
        Dcmtk.Result r = Dcmtk.storescu(scp.port(), "STRANGER", ScpFixture.AE, NO_OPTIONS, ScpTestSupport.cr(dir, "a.dcm"));
        assertNotEquals(0, r.exitCode(), r.toString());
        assertTrue(r.output().contains("Association Rejected"), r.toString());
        assertTrue(r.output().contains("Calling AE Title Not Recognized"), r.toString());
        assertEquals(List.of(), scp.receivedFiles());
        assertEquals(List.of(), scp.instances);
    }

    @Test
    void rejectsKnownAeFromWrongHost() throws Exception {
        scp = ScpFixture.start(dir, Map.of("allowedPeers", "MODALITY@192.0.2.1"));
        Dcmtk.Result r = Dcmtk.storescu(scp.port(), "MODALITY", ScpFixture.AE, NO_OPTIONS, ScpTestSupport.cr(dir, "a.dcm"));
        assertNotEquals(0, r.exitCode(), r.toString());
        assertTrue(r.output().contains("Calling AE Title Not Recognized"), r.toString());
        assertEquals(List.of(), scp.receivedFiles());
    }

    @Test
    void rejectsWrongCalledAe() throws Exception {
        scp = ScpFixture.start(dir);
        Dcmtk.Result r = Dcmtk.storescu(scp.port(), "PACS", "SOMEONEELSE", NO_OPTIONS, ScpTestSupport.cr(dir, "a.dcm"));
        assertNotEquals(0, r.exitCode(), r.toString());
        assertTrue(r.output().contains("Called AE Title Not Recognized"), r.toString());
        assertEquals(List.of(), scp.receivedFiles());
    }

    @Test
    void rejectsAssociationsBeyondTheLimit() throws Exception {
        scp = ScpFixture.start(dir, Map.of("maxAssociations", "1"));
        CountDownLatch release = new CountDownLatch(1);
        scp.step = instance -> {
            assertTrue(release.await(30, TimeUnit.SECONDS));
            scp.moveIntoPlace(instance);
        };
        Path a = ScpTestSupport.cr(dir, "a.dcm");
        Path b = ScpTestSupport.cr(dir, "b.dcm");
        CompletableFuture<Dcmtk.Result> first = CompletableFuture.supplyAsync(() -> {
            try {
                return Dcmtk.storescu(scp.port(), "PACS", ScpFixture.AE, NO_OPTIONS, a);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> scp.instances.size() == 1);
        Dcmtk.Result second = Dcmtk.storescu(scp.port(), "PACS", ScpFixture.AE, NO_OPTIONS, b);
        release.countDown();
        assertNotEquals(0, second.exitCode(), second.toString());
        assertTrue(second.output().contains("Association Rejected"), second.toString());
        assertTrue(second.output().contains("Rejected Transient"), second.toString());
        assertTrue(second.output().contains("Local Limit Exceeded"), second.toString());
        Dcmtk.Result firstResult = first.get(60, TimeUnit.SECONDS);
        assertTrue(firstResult.ok(), firstResult.toString());
        assertEquals(1, scp.receivedFiles().size());
    }

    @Test
    void answersOutOfResourcesBelowWatermarkAndWritesNothing() throws Exception {
        scp = ScpFixture.start(dir, Map.of("minFreeMb", String.valueOf(Long.MAX_VALUE / (1 << 21))));
        Dcmtk.Result r = Dcmtk.storescu(scp.port(), "PACS", ScpFixture.AE, List.of("-d"), ScpTestSupport.cr(dir, "a.dcm"));
        assertTrue(r.output().toLowerCase().contains("0xa700"), r.toString());
        assertTrue(r.output().contains("below minimum"), "Error Comment reaches the SCU: " + r);
        assertEquals(List.of(), scp.instances);
        assertEquals(List.of(), scp.tempFiles());
        assertEquals(List.of(), scp.receivedFiles());
    }

    @Test
    void answersCannotUnderstandForObjectWithoutStudyUidAndKeepsServing() throws Exception {
        scp = ScpFixture.start(dir);
        Path broken = ScpTestSupport.cr(dir, "broken.dcm");
        Dcmtk.ok("dcmodify", "-nb", "-e", "(0020,000D)", broken);
        Dcmtk.Result r = Dcmtk.storescu(scp.port(), "PACS", ScpFixture.AE, List.of("-d"), broken);
        assertTrue(r.output().toLowerCase().contains("0xc000"), r.toString());
        assertTrue(r.output().contains("Study Instance UID (0020,000D) missing"), "Error Comment: " + r);
        assertEquals(List.of(), scp.instances);
        assertEquals(List.of(), scp.tempFiles());

        Dcmtk.Result next = Dcmtk.storescu(scp.port(), "PACS", ScpFixture.AE, NO_OPTIONS, ScpTestSupport.cr(dir, "good.dcm"));
        assertTrue(next.ok() && next.output().contains("Received Store Response (Success)"), next.toString());
        assertEquals(1, scp.receivedFiles().size());
    }

    @Test
    void refusesJpegLsAtNegotiationButStoresExplicitLittleEndianInSameRun() throws Exception {
        scp = ScpFixture.start(dir);
        Path source = ScpTestSupport.cr(dir, "source.dcm");
        Path jpegLs = dir.resolve("jpegls.dcm");
        Dcmtk.ok("dcmcjpls", source, jpegLs);
        TestImages.Spec dx = TestImages.Spec.chest(12);
        Path plain = TestImages.write(dir.resolve("plain.dcm"), new TestImages.Spec(TestImages.DX_PRESENTATION,
                dx.studyUid(), dx.seriesUid(), dx.sopUid(), dx.rows(), dx.columns(), dx.bits()));
        // propose exactly: CR in JPEG-LS only, DX in Explicit VR LE only (storescu would otherwise
        // also propose uncompressed for the CR and try, and fail, to decompress JPEG-LS itself)
        Path config = Files.writeString(dir.resolve("storescu.cfg"), """
                [[TransferSyntaxes]]
                [JPEGLS]
                TransferSyntax1 = JPEGLSLossless
                [Explicit]
                TransferSyntax1 = LittleEndianExplicit
                [[PresentationContexts]]
                [Contexts]
                PresentationContext1 = ComputedRadiographyImageStorage\\JPEGLS
                PresentationContext2 = DigitalXRayImageStorageForPresentation\\Explicit
                [[Profiles]]
                [Test]
                PresentationContexts = Contexts
                """);
        Dcmtk.Result r = Dcmtk.storescu(scp.port(), "PACS", ScpFixture.AE,
                List.of("-d", "-nh", "-xf", config.toString(), "Test"), jpegLs, plain);
        assertTrue(r.output().contains("(Transfer Syntaxes Not Supported)"), r.toString());
        assertTrue(r.output().contains("No presentation context for"), r.toString());
        assertTrue(r.output().contains("DIMSE Status                  : 0x0000: Success"), r.toString());
        assertEquals(1, scp.receivedFiles().size(), r.toString());
        assertEquals(TestImages.EXPLICIT_LE, scp.instances.get(0).transferSyntaxUid());
        assertEquals(dx.sopUid(), scp.instances.get(0).attributes().sopInstanceUid());
    }

    @Test
    void answersTheStatusARouteStepThrows() throws Exception {
        scp = ScpFixture.start(dir);
        scp.step = instance -> {
            throw new DicomStatusException(0xA701, "index full");
        };
        Dcmtk.Result r = Dcmtk.storescu(scp.port(), "PACS", ScpFixture.AE, List.of("-d"), ScpTestSupport.cr(dir, "a.dcm"));
        assertTrue(r.output().toLowerCase().contains("0xa701"), r.toString());
        assertTrue(r.output().contains("index full"), r.toString());
        assertEquals(List.of(), scp.tempFiles(), "temp file deleted after the route failed");
    }

    @Test
    void answersProcessingFailureWhenTheRouteFailsOtherwise() throws Exception {
        scp = ScpFixture.start(dir);
        scp.step = instance -> {
            throw new IllegalStateException("database down for DOE^JANE");
        };
        Dcmtk.Result r = Dcmtk.storescu(scp.port(), "PACS", ScpFixture.AE, List.of("-d"), ScpTestSupport.cr(dir, "a.dcm"));
        assertTrue(r.output().toLowerCase().contains("0x0110"), r.toString());
        assertTrue(r.output().contains("processing failure: IllegalStateException"), r.toString());
        assertFalse(r.output().contains("DOE^JANE"), "a library's message is not passed on: " + r);
        assertEquals(List.of(), scp.tempFiles());
        assertFalse(scp.instances.isEmpty());
    }
}
