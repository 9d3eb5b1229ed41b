package org.raddraft.ingest;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.Dcmtk;
import org.raddraft.testing.Orthanc;

/**
 * A real PACS (Orthanc) pushes studies to the daemon through its REST API, as a hospital's PACS
 * routes chest radiographs: Orthanc negotiates as it likes (its stored transfer syntax first, then
 * the uncompressed ones it can transcode to), which storescu-driven tests do not exercise.
 */
class OrthancPushIT {

    private static final String EXPLICIT_LE = "1.2.840.10008.1.2.1";
    private static final String IMPLICIT_LE = "1.2.840.10008.1.2";

    @TempDir
    static Path tmp;
    static DaemonProcess daemon;
    static Orthanc pacs;

    @BeforeAll
    static void start() throws Exception {
        daemon = new DaemonProcess(tmp.resolve("home"),
                Map.of("dicom.allowed-peers", Orthanc.AE_TITLE + "@127.0.0.1")).start();
        pacs = Orthanc.start(tmp.resolve("orthanc"), daemon.dicomPort);
    }

    @AfterAll
    static void stop() throws Exception {
        if (pacs != null) {
            pacs.close();
        }
        if (daemon != null) {
            daemon.close();
        }
    }

    private static Path chest(String name, String studyUid, String view, int seed) throws Exception {
        // one patient for all: Orthanc groups a study by patient ID and Study Instance UID
        return Dcmtk.image(tmp.resolve("in"), name, 128, seed, "PatientID=TESTPID-ORTHANC", "StudyInstanceUID=" + studyUid,
                "BodyPartExamined=CHEST", "ViewPosition=" + view, "StudyDescription=XR CHEST 2 VIEWS");
    }

    /** STABLE, or already picked up by the draft route (DraftIT covers drafting). */
    private static JsonNode awaitStable(String studyUid) {
        return await().atMost(30, SECONDS).pollInterval(500, MILLISECONDS)
                .until(() -> daemon.study(studyUid), s -> s != null
                        && List.of("STABLE", "DRAFTING", "DRAFTED").contains(s.get("state").asText()));
    }

    private static List<Path> spoolFiles(String studyUid) throws Exception {
        try (Stream<Path> files = Files.walk(daemon.home().resolve("spool"))) {
            return files.filter(p -> p.toString().contains("/" + studyUid + "/") && p.toString().endsWith(".dcm"))
                    .toList();
        }
    }

    /** Pushes the study and checks Orthanc's own account: every instance sent, none failed. */
    private static void pushAll(String orthancStudyId, int instances) throws Exception {
        var r = pacs.push(orthancStudyId, Orthanc.AE_TITLE);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode job = Orthanc.json(r);
        assertEquals(instances, job.get("InstancesCount").asInt(), r.body());
        assertEquals(0, job.get("FailedInstancesCount").asInt(), r.body());
    }

    @Test
    void echoFromThePacsSucceeds() throws Exception {
        var r = pacs.echo();
        assertEquals(200, r.statusCode(), r.body());
    }

    @Test
    void twoViewStudyPushedByThePacsBecomesStable() throws Exception {
        String uid = "1.2.826.0.1.3680043.10.3.1";
        String study = pacs.upload(chest("pa", uid, "PA", 1));
        assertEquals(study, pacs.upload(chest("lat", uid, "LL", 2)));
        pushAll(study, 2);
        assertEquals(2, awaitStable(uid).get("instances").asInt());
        List<Path> files = spoolFiles(uid);
        assertEquals(2, files.size(), files.toString());
        for (Path f : files) {
            Dcmtk.assertCleanPart10(f);
            assertEquals(Orthanc.AE_TITLE, Dcmtk.tag(f, "0002,0016"), "the sender is recorded in the meta header");
        }
    }

    @Test
    void jpegLsStudyIsRefusedAtNegotiationAndArrivesTranscodedByThePacs() throws Exception {
        String uid = "1.2.826.0.1.3680043.10.3.2";
        Path plain = chest("jls-src", uid, "PA", 3);
        Path jpegLs = tmp.resolve("in/jls.dcm");
        Dcmtk.ok("dcmcjpls", plain, jpegLs);
        assertEquals("1.2.840.10008.1.2.4.80", Dcmtk.transferSyntax(jpegLs), "the PACS holds it as JPEG-LS lossless");
        pushAll(pacs.upload(jpegLs), 1);
        awaitStable(uid);
        List<Path> files = spoolFiles(uid);
        assertEquals(1, files.size());
        String stored = Dcmtk.transferSyntax(files.get(0));
        assertTrue(stored.equals(EXPLICIT_LE) || stored.equals(IMPLICIT_LE),
                "JPEG-LS, which RadDraft cannot decode, was refused at negotiation and the PACS sent it uncompressed; got "
                        + stored);
    }

    @Test
    void jpegLosslessStudyIsAcceptedAsSent() throws Exception {
        String uid = "1.2.826.0.1.3680043.10.3.4";
        Path jpeg = tmp.resolve("in/jpll.dcm");
        Dcmtk.ok("dcmcjpeg", chest("jpll-src", uid, "PA", 5), jpeg);
        assertEquals("1.2.840.10008.1.2.4.70", Dcmtk.transferSyntax(jpeg), "the PACS holds it as JPEG lossless SV1");
        pushAll(pacs.upload(jpeg), 1);
        awaitStable(uid);
        List<Path> files = spoolFiles(uid);
        assertEquals(1, files.size());
        assertEquals("1.2.840.10008.1.2.4.70", Dcmtk.transferSyntax(files.get(0)),
                "a syntax RadDraft decodes is negotiated and stored as sent, not transcoded");
    }

    @Test
    void pushUnderAnAeTitleNotAllowedIsRejectedAndNothingStored() throws Exception {
        String uid = "1.2.826.0.1.3680043.10.3.3";
        var r = pacs.push(pacs.upload(chest("stranger", uid, "PA", 4)), "STRANGER");
        assertNotEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("Association Rejected"), r.body());
        Thread.sleep(500);
        assertNull(daemon.study(uid));
        assertTrue(daemon.log().contains("STRANGER"), "the rejection names the calling AE in the log");
    }

    @Test
    void realChestRadiographsPushedByThePacsAreStored() throws Exception {
        Path data = Path.of(System.getProperty("raddraft.sharedData", "../shared/data"), "dicom");
        // jpegLosslessStudyIsAcceptedAsSent covers the same negotiation without the shared samples
        assumeTrue(Files.isDirectory(data), "skipped: " + data + " (real DICOM samples) is absent on this machine");
        // JPEG baseline and lossy JPEG 2000 (MONOCHROME1), as the PACS stores them. The samples'
        // MONOCHROME1 JPEG variant shares its SOP Instance UID with the first, so Orthanc would keep one.
        for (String name : List.of("siim-cr-chest-pa-jpeg-baseline.dcm", "wg04-rg1-cr-chest-pa-j2k-lossy-monochrome1.dcm")) {
            Path f = data.resolve(name);
            String uid = Dcmtk.tag(f, "0020,000d");
            pushAll(pacs.upload(f), 1);
            assertEquals(1, awaitStable(uid).get("instances").asInt(), name);
            List<Path> files = spoolFiles(uid);
            assertEquals(1, files.size(), name);
            assertEquals(Dcmtk.transferSyntax(f), Dcmtk.transferSyntax(files.get(0)),
                    name + ": a syntax RadDraft decodes is accepted as sent, not transcoded");
        }
    }
}
