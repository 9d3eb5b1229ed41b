package org.raddraft.delivery;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.MllpPeer;
import org.raddraft.testing.Dcmtk;
import org.raddraft.testing.Orthanc;

/**
 * The DICOM SR channel end to end with a real PACS: Orthanc pushes a phantom study to RadDraft
 * through its REST API, RadDraft drafts it, a radiologist approves it, and the SR arrives in Orthanc
 * in the same study (read back from the file Orthanc stored, with dsrdump). Orthanc down during
 * approvals: retried, and each report is there exactly once when it is back. A PACS that rejects our
 * called AE title: DEAD at once with its reason. Approvals go through the daemon's FHIR API
 * ({@code $approve}) with a radiologist's session token. A correction after delivery is checked on
 * all three peers at once, the PACS included, in {@link FhirDeliveryIT}.
 */
class DicomSrDeliveryIT {

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    static Path tmp;
    static Orthanc pacs;
    static MllpPeer ris;
    static DaemonProcess daemon;
    static Approvals approvals;
    static int studies;

    /** {@link Hl7DeliveryIT}'s quick polls and retries with the RIS at {@code mllpPort}, and the PACS at {@code pacsPort} as {@code calledAe}. */
    static Map<String, String> config(int mllpPort, int pacsPort, String calledAe) {
        Map<String, String> c = Hl7DeliveryIT.deliveryConfig(mllpPort);
        c.put("dicom.allowed-peers", Orthanc.AE_TITLE + "@127.0.0.1,PACS");
        c.put("delivery.dicom.host", "127.0.0.1");
        c.put("delivery.dicom.port", Integer.toString(pacsPort));
        c.put("delivery.dicom.ae-title", calledAe);
        c.put("delivery.dicom.connect-timeout-seconds", "2");
        c.put("delivery.dicom.response-timeout-seconds", "10");
        c.put("delivery.dicom.uid-root", "1.2.826.0.1.3680043.10.999");
        return c;
    }

    @BeforeAll
    static void start() throws Exception {
        int pacsPort = DaemonProcess.freePort();
        ris = new MllpPeer().start();
        daemon = new DaemonProcess(tmp.resolve("home"), config(ris.port, pacsPort, Orthanc.AE_TITLE));
        pacs = Orthanc.start(tmp.resolve("orthanc"), daemon.dicomPort, pacsPort);
        daemon.start();
        approvals = new Approvals(daemon, tmp);
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
        if (pacs != null) {
            pacs.close();
        }
        if (ris != null) {
            ris.close();
        }
    }

    /**
     * A new two-view phantom study (the demo PA and lateral with a new Study Instance UID), uploaded to
     * Orthanc and pushed by Orthanc to RadDraft, then drafted.
     */
    static Approvals.Study pushedByThePacs() throws Exception {
        String studyUid = "2.25." + new BigInteger(1, uuidBytes());
        String accession = "SR" + (++studies);
        String orthancStudy = null;
        for (String view : List.of("1-PA", "2-LL")) {
            Path f = Files.createDirectories(tmp.resolve("in/" + accession)).resolve(view + ".dcm");
            Files.copy(DaemonProcess.APP.resolve("testdata/demo/dicom/ph-23-000034/" + view + ".dcm"), f);
            Dcmtk.ok("dcmodify", "-nb", "-gse", "-gin", "-m", "(0020,000d)=" + studyUid, "-m", "(0008,0050)=" + accession, f);
            orthancStudy = pacs.upload(f);
        }
        var pushed = pacs.push(orthancStudy, Orthanc.AE_TITLE);
        assertEquals(200, pushed.statusCode(), pushed.body());
        assertEquals(0, Orthanc.json(pushed).get("FailedInstancesCount").asInt(), pushed.body());
        long draft = await().atMost(180, SECONDS).pollInterval(500, MILLISECONDS)
                .until(() -> approvals.draftOf(studyUid), d -> d > 0);
        return new Approvals.Study(studyUid, accession, draft);
    }

    private static byte[] uuidBytes() {
        UUID u = UUID.randomUUID();
        return java.nio.ByteBuffer.allocate(16).putLong(u.getMostSignificantBits())
                .putLong(u.getLeastSignificantBits()).array();
    }

    static final String RADIOLOGIST = "it-radiologist";

    /** The SR instances {@code pacs} holds in the study (those with the tests' delivery.dicom.uid-root). */
    static List<JsonNode> srsIn(Orthanc pacs, String studyUid) throws Exception {
        List<JsonNode> srs = new ArrayList<>();
        for (JsonNode i : pacs.instancesOfStudy(studyUid)) {
            if (i.get("MainDicomTags").get("SOPInstanceUID").asText().startsWith("1.2.826.0.1.3680043.10.999.")) {
                srs.add(i);
            }
        }
        return srs;
    }

    /** dsrdump of the file Orthanc stored for the instance. */
    static String dsrdump(JsonNode instance) throws Exception {
        Path f = pacs.file(instance.get("ID").asText(), tmp.resolve(instance.get("ID").asText() + ".dcm"));
        return Dcmtk.ok("dsrdump", "+Pl", f).output();
    }

    @Test
    void approvedReportArrivesInThePacsAsAnSrOfTheSameStudy() throws Exception {
        Approvals.Study s = pushedByThePacs();
        approvals.approve(s, "Heart size normal. Lungs clear.", "No acute cardiopulmonary disease.");
        Approvals.Row row = approvals.awaitRow(s, DeliveryChannels.DICOM_SR, 1, "SENT");
        assertEquals(1, row.attempts(), row.toString());

        List<JsonNode> srs = srsIn(pacs, s.uid());
        assertEquals(1, srs.size(), "one SR in the study");
        JsonNode sr = srs.get(0);
        assertEquals(row.peerId(), sr.get("MainDicomTags").get("SOPInstanceUID").asText(), "the outbox names the SR sent");
        String imagesStudy = pacs.instancesOfStudy(s.uid()).stream()
                .filter(i -> !i.get("ID").asText().equals(sr.get("ID").asText())).findFirst().orElseThrow()
                .get("ParentSeries").asText();
        assertEquals(pacs.getJson("/series/" + imagesStudy).get("ParentStudy").asText(),
                pacs.getJson("/series/" + sr.get("ParentSeries").asText()).get("ParentStudy").asText(),
                "the SR is in the study Orthanc pushed");
        String dump = dsrdump(sr);
        for (String expected : List.of("Completion Flag     : COMPLETE", "Verification Flag   : VERIFIED",
                RADIOLOGIST, "<contains TEXT:(,,\"Finding\")=\"Heart size normal. Lungs clear.\">",
                "<contains TEXT:(,,\"Impression\")=\"No acute cardiopulmonary disease.\">",
                "<has obs context PNAME:(,,\"Person Observer Name\")=\"" + RADIOLOGIST + "\">",
                "<has obs context TEXT:(,,\"Device Observer Name\")=\"raddraft-reference-cxr 2.2.0 (NOT FOR CLINICAL USE)\">")) {
            assertTrue(dump.contains(expected), "the SR in Orthanc lacks " + expected + ":\n" + dump);
        }
    }

    @Test
    void pacsDownDuringApprovalsIsRetriedAndEachReportArrivesOnce() throws Exception {
        List<Approvals.Study> batch = List.of(pushedByThePacs(), pushedByThePacs(), pushedByThePacs());
        pacs.close();
        try {
            for (Approvals.Study s : batch) {
                approvals.approve(s, "Lungs clear (" + s.accession() + ").", "Normal.");
            }
            for (Approvals.Study s : batch) {
                await().atMost(60, SECONDS).pollInterval(200, MILLISECONDS).until(
                        () -> approvals.awaitRow(s, DeliveryChannels.DICOM_SR, 1, "RETRYING").attempts(), a -> a >= 2);
            }
        } finally {
            pacs.restart();
        }
        for (Approvals.Study s : batch) {
            Approvals.Row row = approvals.awaitRow(s, DeliveryChannels.DICOM_SR, 1, "SENT");
            // attempts are counted when claimed: the second one may still be under way when the PACS
            // returns and succeed, so a row that failed at least once and was then sent has >= 2
            assertTrue(row.attempts() >= 2, "sent after the failed attempts: " + row);
            List<JsonNode> srs = srsIn(pacs, s.uid());
            assertEquals(1, srs.size(), "exactly one SR for " + s.accession());
            assertTrue(dsrdump(srs.get(0)).contains("\"Lungs clear (" + s.accession() + ").\""));
        }
    }

    @Test
    void wrongCalledAeIsDeadAtOnceWithThePacsReason() throws Exception {
        try (DaemonProcess misconfigured = new DaemonProcess(tmp.resolve("home-wrong-ae"),
                config(ris.port, pacs.dicomPort(), "NOT-ORTHANC")).start()) {
            Approvals wrong = new Approvals(misconfigured, tmp.resolve("wrong"));
            Approvals.Study s = wrong.drafted("W", 1).get(0);
            wrong.approve(s, "Lungs clear.", "Normal.");
            Approvals.Row row = wrong.awaitRow(s, DeliveryChannels.DICOM_SR, 1, "DEAD");
            assertEquals(1, row.attempts(), "a permanent refusal is not retried: " + row);
            assertTrue(row.lastError().contains("rejected the association: called AE title not recognized"
                    + " (result 1 rejected-permanent, source 1, reason 7)"), row.lastError());
            assertTrue(srsIn(pacs, s.uid()).isEmpty());
        }
    }
}
