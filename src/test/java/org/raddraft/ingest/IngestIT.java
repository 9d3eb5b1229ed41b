package org.raddraft.ingest;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.Dcmtk;
import org.raddraft.testing.DaemonProcess;

/** The daemon as a process, driven by real DCMTK tools: echo, store, reject, duplicates, scope. */
class IngestIT {

    @TempDir
    static Path tmp;
    static DaemonProcess daemon;

    @BeforeAll
    static void start() throws Exception {
        daemon = new DaemonProcess(tmp.resolve("home"), Map.of()).start();
    }

    @AfterAll
    static void stop() throws Exception {
        daemon.close();
    }

    private static Path chest(String name, String studyUid, String view, int seed) throws Exception {
        return Dcmtk.image(tmp.resolve("in"), name, 128, seed, "StudyInstanceUID=" + studyUid,
                "BodyPartExamined=CHEST", "ViewPosition=" + view, "StudyDescription=XR CHEST 2 VIEWS");
    }

    private static JsonNode awaitState(String studyUid, String state) {
        return await().atMost(30, SECONDS).pollInterval(500, java.util.concurrent.TimeUnit.MILLISECONDS)
                .until(() -> daemon.study(studyUid), s -> s != null && s.get("state").asText().equals(state));
    }

    /**
     * STABLE, or already past it: the draft route picks a STABLE study up within a second, so a
     * poll may see it DRAFTING or DRAFTED (drafting itself is DraftIT's subject).
     */
    private static JsonNode awaitStable(String studyUid) {
        return await().atMost(30, SECONDS).pollInterval(500, java.util.concurrent.TimeUnit.MILLISECONDS)
                .until(() -> daemon.study(studyUid), s -> s != null
                        && List.of("STABLE", "DRAFTING", "DRAFTED").contains(s.get("state").asText()));
    }

    @Test
    void echoscuSucceeds() throws Exception {
        var r = Dcmtk.run("echoscu", "-aet", "PACS", "-aec", "RADDRAFT", "localhost", String.valueOf(daemon.dicomPort));
        assertEquals(0, r.exitCode(), r.output());
    }

    @Test
    void twoImageStudyFromAllowedAeBecomesStable() throws Exception {
        String uid = "1.2.826.0.1.3680043.10.1.1";
        var r = Dcmtk.storescu("PACS", daemon.dicomPort, chest("pa", uid, "PA", 1), chest("lat", uid, "LL", 2));
        assertEquals(0, r.exitCode(), r.output());
        assertEquals(2, r.storedFiles().size(), r.output());
        JsonNode s = awaitStable(uid);
        assertEquals(2, s.get("instances").asInt());
        assertTrue(s.get("reason").isNull(), s.toString());
        assertTrue(daemon.log().contains("study " + s.get("id").asText() + " STABLE"), "the STABLE transition is logged");
    }

    @Test
    void unknownCallingAeIsRejectedAndNothingStored() throws Exception {
        String uid = "1.2.826.0.1.3680043.10.1.2";
        var r = Dcmtk.storescu("STRANGER", daemon.dicomPort, chest("x", uid, "PA", 3));
        assertNotEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("Association Rejected"), r.output());
        assertTrue(r.output().contains("Calling AE Title Not Recognized"), r.output());
        Thread.sleep(500);
        assertNull(daemon.study(uid));
        assertTrue(daemon.http("/metrics").contains("raddraft_associations_rejected_total"));
    }

    @Test
    void duplicateInstanceIsAcknowledgedButStoredOnce() throws Exception {
        String uid = "1.2.826.0.1.3680043.10.1.3";
        Path f = chest("dup", uid, "PA", 4);
        assertEquals(1, Dcmtk.storescu("PACS", daemon.dicomPort, f).storedFiles().size());
        var again = Dcmtk.storescu("PACS", daemon.dicomPort, f);
        assertEquals(1, again.storedFiles().size(), "a duplicate is answered with success: " + again.output());
        assertEquals(1, awaitStable(uid).get("instances").asInt());
        try (Stream<Path> files = Files.walk(daemon.home().resolve("spool"))) {
            assertEquals(1, files.filter(p -> p.toString().contains(uid + "/")).count(), "one file on disk");
        }
    }

    @Test
    void objectWithoutStudyUidGetsC000AndIngestGoesOn() throws Exception {
        Path bad = Dcmtk.image(tmp.resolve("in"), "nostudy", 64, 5, "BodyPartExamined=CHEST");
        assertEquals(0, Dcmtk.run("dcmodify", "-nb", "-ea", "(0020,000d)", bad.toString()).exitCode());
        String uid = "1.2.826.0.1.3680043.10.1.4";
        // -nh: storescu would otherwise halt after the first failure
        var r = Dcmtk.run("storescu", "-v", "-nh", "-aet", "PACS", "-aec", "RADDRAFT", "localhost",
                String.valueOf(daemon.dicomPort), bad.toString(), chest("afterbad", uid, "PA", 6).toString());
        var detail = Dcmtk.run("storescu", "-d", "-aet", "PACS", "-aec", "RADDRAFT", "localhost",
                String.valueOf(daemon.dicomPort), bad.toString());
        assertTrue(detail.output().contains("ErrorComment") && detail.output().contains("Study Instance UID (0020,000D)"),
                "the Error Comment says what is wrong:\n" + detail.output());
        assertTrue(r.output().contains("Received Store Response (Error: CannotUnderstand)"),
                r.output());
        assertEquals(1, r.storedFiles().size(), "the next instance on the same association is stored");
        awaitStable(uid);
    }

    @Test
    void extremityIsOutOfScopeWithReason() throws Exception {
        String uid = "1.2.826.0.1.3680043.10.1.5";
        Path hand = Dcmtk.image(tmp.resolve("in"), "hand", 64, 7, "StudyInstanceUID=" + uid,
                "BodyPartExamined=HAND", "ViewPosition=PA");
        assertEquals(1, Dcmtk.storescu("PACS", daemon.dicomPort, hand).storedFiles().size());
        assertEquals("body part HAND is not chest", awaitState(uid, "OUT_OF_SCOPE").get("reason").asText());
    }

    @Test
    void lateralOnlyStudyIsOutOfScopeUntilItsFrontalArrives() throws Exception {
        String uid = "1.2.826.0.1.3680043.10.1.9";
        assertEquals(1, Dcmtk.storescu("PACS", daemon.dicomPort, chest("latonly", uid, "LL", 11)).storedFiles().size());
        assertEquals("lateral view only: drafting needs a frontal (PA or AP) view",
                awaitState(uid, "OUT_OF_SCOPE").get("reason").asText());
        assertEquals(1, Dcmtk.storescu("PACS", daemon.dicomPort, chest("latepa", uid, "PA", 12)).storedFiles().size());
        JsonNode s = awaitStable(uid);
        assertEquals(2, s.get("instances").asInt());
        assertEquals(1, s.get("reopened").asInt(), "the frontal re-opened the study");
    }

    @Test
    void realExtremitySampleIsOutOfScopeAndChestSamplesAreStable() throws Exception {
        Path data = Path.of(System.getProperty("raddraft.sharedData", "../shared/data"), "dicom");
        assumeTrue(Files.isDirectory(data), "skipped: " + data + " (real DICOM samples) is absent on this machine");
        // A PACS sends each file in its own transfer syntax (JPEG 2000, JPEG baseline, implicit LE)
        List<Path> samples = List.of(data.resolve("wg04-rg3-cr-extremity-j2k-lossy.dcm"),
                data.resolve("wg04-rg1-cr-chest-pa-j2k-lossy-monochrome1.dcm"),
                data.resolve("siim-cr-chest-pa-jpeg-baseline.dcm"), data.resolve("nih-dx-chest-implicit-le.dcm"));
        assertEquals(samples, Dcmtk.storeAsIs(daemon.dicomPort, "PACS", samples));
        assertEquals("body part EXTREMITY is not chest",
                awaitState("1.3.6.1.4.1.5962.1.2.11.20040826185059.5457", "OUT_OF_SCOPE").get("reason").asText());
        awaitStable("1.3.6.1.4.1.5962.1.2.9.20040826185059.5457");
        awaitStable("1.2.276.0.7230010.3.1.2.8323329.6904.1517875201.850818");
        // No body part, no view, description "No Finding": the gate cannot confirm a chest PA/AP/lateral.
        assertEquals("body part missing and study/series description do not say chest",
                awaitState("1.3.6.1.4.1.11129.5.5.112507010803284478207522016832191866964708", "OUT_OF_SCOPE")
                        .get("reason").asText());
    }

    @Test
    void healthAndMetricsAreServed() throws Exception {
        assertEquals(200, daemon.httpStatus("/health/ready"));
        Dcmtk.storescu("PACS", daemon.dicomPort, chest("m", "1.2.826.0.1.3680043.10.1.6", "PA", 8));
        String m = daemon.http("/metrics");
        assertTrue(m.matches("(?s).*raddraft_instances_stored_total [1-9].*"), m);
        assertTrue(m.contains("raddraft_studies{state=\"STABLE\"}") && m.contains("raddraft_studies{state=\"DRAFTED\"}"), m);
    }

    @Test
    void logsCarryNoPatientNamesOrIds() throws Exception {
        Dcmtk.storescu("PACS", daemon.dicomPort, chest("log", "1.2.826.0.1.3680043.10.1.7", "PA", 9));
        String log = daemon.log();
        assertFalse(log.contains("TEST^PATIENT"), "patient name in the log");
        assertFalse(log.contains("TESTPID-"), "patient ID in the log");
        assertTrue(log.contains("C-STORE"), "the log does record stores:\n" + log);
    }

    @Test
    void lowDiskAnswersA700AndWritesNothing(@TempDir Path home) throws Exception {
        try (DaemonProcess full = new DaemonProcess(home, Map.of("storage.min-free-mb", "2000000000")).start()) {
            var r = Dcmtk.storescu("PACS", full.dicomPort, chest("full", "1.2.826.0.1.3680043.10.1.8", "PA", 10));
            assertTrue(r.output().contains("Received Store Response (Refused: OutOfResources)"), r.output());
            assertEquals(0, r.storedFiles().size());
            assertEquals(503, full.httpStatus("/health/ready"));
            try (Stream<Path> files = Files.walk(home.resolve("spool"))) {
                assertEquals(0, files.filter(Files::isRegularFile).count(), "nothing written to the spool");
            }
            int exit = full.stop();
            assertTrue(exit == 0 || exit == 143, "SIGTERM ends the daemon cleanly, exit " + exit);
            assertNotNull(full.log());
        }
    }
}
