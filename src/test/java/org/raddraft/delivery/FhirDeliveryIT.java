package org.raddraft.delivery;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Observation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.Dcmtk;
import org.raddraft.testing.FhirJpaServer;
import org.raddraft.testing.MllpPeer;
import org.raddraft.testing.Orthanc;
import org.raddraft.testing.TcpProxy;

/**
 * The FHIR channel end to end through the real daemon: reports approved over its FHIR API reach a
 * real HAPI FHIR JPA server (bearer token from the environment, behind a {@link TcpProxy}) as one
 * final DiagnosticReport per accession with the approved text. What can go wrong on the way is
 * produced for real and never duplicates a report: answers lost after the server committed (a cut
 * connection, then a durable retry), the FHIR server and the RIS both down during 20 approvals, and
 * kill -9 of the daemon while the server's answers are held back. A permanent 422 is DEAD at once,
 * sent once (no retry storm, also after an admin requeue) and does not hold up the HL7 channel. A
 * correction ({@code $amend}) after delivery reaches all three peers: the FHIR server (the same
 * DiagnosticReport, corrected, with the new text), the RIS (OBR-25 C) and Orthanc (a second SR whose
 * Predecessor Documents Sequence names the first).
 *
 * <p>The FHIR server takes minutes to start, so one serves the class; the kill -9 test restarts the
 * daemon and runs last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FhirDeliveryIT {

    static final String TOKEN = "fhir-delivery-it-token";
    /** The accession the FHIR server refuses with 422 (it matches by substring: no other accession contains it). */
    static final String REFUSED = "X01";
    static final FhirContext CTX = FhirContext.forR4Cached();

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    static Path tmp;
    static FhirJpaServer server;
    static TcpProxy proxy;
    static MllpPeer ris;
    static Orthanc pacs;
    static DaemonProcess daemon;
    static Approvals approvals;
    static List<Approvals.Study> studies;
    static Approvals.Study refused;
    static int next;

    @BeforeAll
    static void start() throws Exception {
        server = new FhirJpaServer(tmp.resolve("fhir"), TOKEN, REFUSED);
        proxy = new TcpProxy(server.port);
        ris = new MllpPeer().start();
        int pacsPort = DaemonProcess.freePort();
        Map<String, String> config = new HashMap<>(DicomSrDeliveryIT.config(ris.port, pacsPort, Orthanc.AE_TITLE));
        config.put("delivery.fhir.base-url", "http://127.0.0.1:" + proxy.port + "/fhir");
        config.put("delivery.fhir.auth", "bearer");
        // longer than the kill -9 test holds the server's answers back
        config.put("delivery.fhir.timeout-seconds", "60");
        // the secret as systemd's EnvironmentFile gives it (config/raddraft.properties: never in the file)
        daemon = new DaemonProcess(tmp.resolve("home"), config).env("DELIVERY_FHIR_TOKEN", TOKEN);
        pacs = Orthanc.start(tmp.resolve("orthanc"), daemon.dicomPort, pacsPort);
        daemon.start();
        approvals = new Approvals(daemon, tmp);
        studies = approvals.drafted("F", 26);
        refused = approvals.drafted("X", 1).get(0);
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {daemon, pacs, ris, proxy, server}) {
            if (c != null) {
                c.close();
            }
        }
    }

    static Approvals.Study nextStudy() {
        return studies.get(next++);
    }

    /** The server's DiagnosticReports with this accession, searched as a RIS would, with their Observations included. */
    static Bundle reportsByAccession(String accession) throws Exception {
        return CTX.newJsonParser().parseResource(Bundle.class,
                server.get("/DiagnosticReport?identifier=" + accession + "&_include=DiagnosticReport:result"));
    }

    /** The one DiagnosticReport of the accession (fails if there are none or several). */
    static DiagnosticReport theReport(Bundle found, String accession) {
        assertEquals(1, found.getTotal(), "exactly one DiagnosticReport for " + accession);
        return (DiagnosticReport) found.getEntry().stream().filter(e -> e.getResource() instanceof DiagnosticReport)
                .findFirst().orElseThrow().getResource();
    }

    static List<Observation> observations(Bundle found) {
        return found.getEntry().stream().filter(e -> e.getResource() instanceof Observation)
                .map(e -> (Observation) e.getResource()).toList();
    }

    /** The text of the included narrative Observation with this LOINC code (59776-5 findings, 19005-8 impression). */
    static String narrative(Bundle found, String loinc) {
        return observations(found).stream().filter(o -> o.getCode().hasCoding("http://loinc.org", loinc))
                .findFirst().orElseThrow(() -> new AssertionError("no Observation " + loinc)).getValueStringType().getValue();
    }

    /** "DiagnosticReport/12" of a peer id or resource id "DiagnosticReport/12/_history/3". */
    static String unversioned(String reference) {
        int h = reference.indexOf("/_history");
        return h < 0 ? reference : reference.substring(0, h);
    }

    static String idOf(DiagnosticReport dr) {
        return "DiagnosticReport/" + dr.getIdElement().getIdPart();
    }

    /** How many transactions carrying this accession the server received (its requests.log). */
    static long transactionsFor(String accession) throws Exception {
        return server.transactions().stream().filter(l -> List.of(l.split(" ")).contains(accession)).count();
    }

    static int count(String type) throws Exception {
        return CTX.newJsonParser().parseResource(Bundle.class, server.get("/" + type + "?_summary=count")).getTotal();
    }

    /** The study's FHIR row of revision 1, as it is now. */
    static Approvals.Row fhirRow(Approvals.Study s) throws Exception {
        return approvals.outbox(s).stream().filter(r -> r.channel().equals(DeliveryChannels.FHIR) && r.revision() == 1)
                .findFirst().orElseThrow();
    }

    static List<MllpPeer.Received> receivedFor(Approvals.Study s) {
        return ris.received().stream().filter(r -> s.accession().equals(Hl7DeliveryIT.accession(r.message()))).toList();
    }

    /** The study's one report on the server has this status and text, and is the one the outbox row names. */
    static DiagnosticReport assertDelivered(Approvals.Study s, Approvals.Row row, DiagnosticReport.DiagnosticReportStatus status,
                                            String findings, String impression) throws Exception {
        Bundle found = reportsByAccession(s.accession());
        DiagnosticReport dr = theReport(found, s.accession());
        assertEquals(unversioned(row.peerId()), idOf(dr), "the outbox row names the report on the server");
        assertEquals(status, dr.getStatus());
        assertEquals(impression, dr.getConclusion());
        assertEquals(findings, narrative(found, "59776-5"));
        assertEquals(impression, narrative(found, "19005-8"));
        return dr;
    }

    @Test
    @Order(1)
    void anApprovedReportArrivesOnceAsTheFinalDiagnosticReportWithTheApprovedText() throws Exception {
        Approvals.Study s = nextStudy();
        approvals.approve(s, "Heart size normal.\nLungs clear.", "No acute disease.");
        Approvals.Row row = approvals.awaitRow(s, DeliveryChannels.FHIR, 1, "SENT");
        assertEquals(1, row.attempts(), row.toString());
        assertTrue(row.peerId().startsWith("DiagnosticReport/"), row.toString());
        DiagnosticReport dr = assertDelivered(s, row, DiagnosticReport.DiagnosticReportStatus.FINAL,
                "Heart size normal.\nLungs clear.", "No acute disease.");
        assertEquals(Approvals.RADIOLOGIST, dr.getResultsInterpreterFirstRep().getDisplay(), dr.getResultsInterpreter().toString());
        assertEquals(1, transactionsFor(s.accession()));
    }

    /**
     * The forced retry: the server commits, the answer is lost on the way back (the proxy cuts the
     * connection), so the daemon must send the same delivery again. Two answers are cut: the first
     * attempt's and Camel's one redelivery's, so the row also goes RETRYING and its second, durable
     * attempt is heard. (An admin requeue takes only DEAD rows; a DEAD row never reached the server,
     * so resending one cannot duplicate anything: that path is in the 422 test.)
     */
    @Test
    @Order(2)
    void answersLostAfterTheServerCommittedAreRetriedOntoTheSameReport() throws Exception {
        Approvals.Study s = nextStudy();
        int observationsBefore = count("Observation");
        proxy.cutResponses(2);
        approvals.approve(s, "Lungs clear.", "Normal chest.");
        Approvals.Row row = approvals.awaitRow(s, DeliveryChannels.FHIR, 1, "SENT");
        assertEquals(2, row.attempts(), "attempt 1 (and its redelivery) lost the answers, attempt 2 heard it: " + row);
        assertEquals(3, transactionsFor(s.accession()), "the server received the same delivery three times");

        DiagnosticReport dr = assertDelivered(s, row, DiagnosticReport.DiagnosticReportStatus.FINAL, "Lungs clear.",
                "Normal chest.");
        List<Observation> results = observations(reportsByAccession(s.accession()));
        assertEquals(dr.getResult().size(), results.size(), "every result of the report is on the server");
        assertEquals(results.size(), count("Observation") - observationsBefore,
                "three sends, one set of Observations");
    }

    @Test
    @Order(3)
    void fhirServerAndRisDownDuring20ApprovalsReceiveEachReportOnceWhenBack() throws Exception {
        List<Approvals.Study> batch = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            batch.add(nextStudy());
        }
        proxy.stop();
        ris.stop();
        try {
            for (Approvals.Study s : batch) {
                approvals.approve(s, "Lungs clear (" + s.accession() + ").", "Normal.");
            }
            for (Approvals.Study s : batch) {
                approvals.awaitRow(s, DeliveryChannels.FHIR, 1, "RETRYING");
                approvals.awaitRow(s, DeliveryChannels.HL7, 1, "RETRYING");
            }
            Thread.sleep(2000);  // a few more retry periods: still nothing given up, nothing "sent"
            for (Approvals.Study s : batch) {
                for (Approvals.Row r : approvals.outbox(s)) {
                    if (!r.channel().equals(DeliveryChannels.DICOM_SR)) {  // the PACS is up
                        assertEquals("RETRYING", r.state(), r.toString());
                    }
                }
            }
        } finally {
            proxy.start();
            ris.start();
        }
        for (Approvals.Study s : batch) {
            approvals.awaitRow(s, DeliveryChannels.FHIR, 1, "SENT");
            approvals.awaitRow(s, DeliveryChannels.HL7, 1, "SENT");
        }
        for (Approvals.Study s : batch) {
            List<Approvals.Row> rows = approvals.outbox(s);
            assertEquals(3, rows.size(), rows.toString());
            assertTrue(rows.stream().allMatch(r -> r.state().equals("SENT")), rows.toString());
            Approvals.Row fhir = fhirRow(s);
            assertTrue(fhir.attempts() >= 2, "sent after failed attempts: " + fhir);
            assertDelivered(s, fhir, DiagnosticReport.DiagnosticReportStatus.FINAL, "Lungs clear (" + s.accession() + ").",
                    "Normal.");
            assertEquals(1, receivedFor(s).stream().map(MllpPeer.Received::controlId).distinct().count(),
                    "one MSH-10 at the RIS for " + s.accession());
        }
    }

    @Test
    @Order(4)
    void aPermanent422IsDeadOnceWithTheServersReasonAndTheHl7RowIsStillSent() throws Exception {
        Approvals.Study s = refused;
        approvals.approve(s, "Lungs clear.", "Normal.");
        Approvals.Row dead = approvals.awaitRow(s, DeliveryChannels.FHIR, 1, "DEAD");
        assertEquals(1, dead.attempts(), dead.toString());
        assertTrue(dead.lastError().contains("HTTP 422")
                && dead.lastError().contains("report for accession " + REFUSED + " refused by this server's validation rules"),
                dead.lastError());
        assertEquals("SENT", approvals.awaitRow(s, DeliveryChannels.HL7, 1, "SENT").state(), "the channels are independent");
        Thread.sleep(5000);  // several retry periods (delivery.retry-seconds=1)
        assertEquals(1, transactionsFor(REFUSED), "no retry storm");
        Approvals.Row still = fhirRow(s);
        assertEquals(List.of("DEAD", "1"), List.of(still.state(), Integer.toString(still.attempts())), still.toString());
        assertEquals(0, reportsByAccession(REFUSED).getTotal());

        // an admin requeue (attempts back to 0) sends it once more; refused again: DEAD again, no storm
        var requeue = daemon.admin("outbox", "--requeue", Long.toString(dead.id()));
        assertEquals(0, requeue.exitCode(), requeue.output());
        await().atMost(60, SECONDS).pollInterval(200, MILLISECONDS).until(() -> transactionsFor(REFUSED) == 2);
        Approvals.Row again = await().atMost(60, SECONDS).pollInterval(200, MILLISECONDS).until(() -> fhirRow(s),
                r -> r.state().equals("DEAD"));
        assertEquals(1, again.attempts(), again.toString());
        Thread.sleep(3000);
        assertEquals(2, transactionsFor(REFUSED), "one send per requeue");
    }

    /**
     * Issue #16: one {@code $amend} after delivery reaches the FHIR server, the RIS and the PACS. The
     * FHIR server's report is updated in place (same id, status corrected, the corrected text), the
     * RIS gets an ORU^R01 with OBR-25 C after the F, Orthanc a second SR naming the first.
     */
    @Test
    @Order(5)
    void aCorrectionAfterDeliveryReachesAllThreePeers() throws Exception {
        Approvals.Study s = nextStudy();
        approvals.approve(s, "Small left pleural effusion.", "Left effusion.");
        Approvals.Row fhir1 = approvals.awaitRow(s, DeliveryChannels.FHIR, 1, "SENT");
        Approvals.Row sr1 = approvals.awaitRow(s, DeliveryChannels.DICOM_SR, 1, "SENT");
        Approvals.Row oru1 = approvals.awaitRow(s, DeliveryChannels.HL7, 1, "SENT");

        // corrected by another radiologist than the approving one: every peer must name the corrector,
        // the PACS and the RIS by the name reports print (the account's display name)
        Approvals.operation(daemon, s.draftId(), "amend",
                daemon.newAccount("dr.smith", "radiologist", "--display-name", "Smith^John^^Dr"),
                "findings", "No pleural effusion.", "impression", "Normal chest.", "reason", "skin fold, not effusion");
        Approvals.Row fhir2 = approvals.awaitRow(s, DeliveryChannels.FHIR, 2, "SENT");
        Approvals.Row sr2 = approvals.awaitRow(s, DeliveryChannels.DICOM_SR, 2, "SENT");
        Approvals.Row oru2 = approvals.awaitRow(s, DeliveryChannels.HL7, 2, "SENT");

        // the FHIR server: the delivered report itself is corrected, no second report
        DiagnosticReport dr = assertDelivered(s, fhir2, DiagnosticReport.DiagnosticReportStatus.CORRECTED,
                "No pleural effusion.", "Normal chest.");
        assertEquals(unversioned(fhir1.peerId()), idOf(dr), "the correction updated the report first delivered");
        assertEquals("dr.smith", dr.getResultsInterpreterFirstRep().getDisplay());

        // the RIS: the corrected ORU^R01 with OBR-25 C after the final one with F
        List<String> statuses = new ArrayList<>();
        for (MllpPeer.Received r : receivedFor(s)) {
            String status = r.controlId() + " " + r.message().getPATIENT_RESULT().getORDER_OBSERVATION().getOBR()
                    .getResultStatus().getValue();
            if (!statuses.contains(status)) {  // a repeat of the same MSH-10 (a late ACK) is one delivery
                statuses.add(status);
            }
        }
        assertEquals(List.of(oru1.peerId() + " F", oru2.peerId() + " C"), statuses);
        var interpreter = receivedFor(s).stream().filter(r -> r.controlId().equals(oru2.peerId())).findFirst()
                .orElseThrow().message().getPATIENT_RESULT().getORDER_OBSERVATION().getOBR()
                .getPrincipalResultInterpreter().getNDLName();
        assertEquals("dr.smith Smith John Dr", interpreter.getIDNumber().getValue() + " " + interpreter.getFamilyName()
                .getValue() + " " + interpreter.getGivenName().getValue() + " " + interpreter.getPrefixEgDR().getValue(),
                "OBR-32: the correcting radiologist's account and name");

        // the PACS: two SRs in the study, the second names the first as its predecessor
        List<JsonNode> srs = DicomSrDeliveryIT.srsIn(pacs, s.uid());
        assertEquals(2, srs.size(), "the corrected SR joins the first, it does not overwrite it");
        JsonNode corrected = srs.stream().filter(i -> i.get("MainDicomTags").get("SOPInstanceUID").asText()
                .equals(sr2.peerId())).findFirst().orElseThrow();
        Path f = pacs.file(corrected.get("ID").asText(), tmp.resolve("corrected.dcm"));
        String dump = Dcmtk.ok("dsrdump", "+Pl", f).output();
        assertTrue(dump.contains("<contains TEXT:(,,\"Finding\")=\"No pleural effusion.\">"), dump);
        assertTrue(dump.contains("<has obs context PNAME:(,,\"Person Observer Name\")=\"Smith^John^^Dr\">"), dump);
        String predecessor = Dcmtk.ok("dcmdump", "-q", "+p", "+P", "0008,1155", f).output();
        assertTrue(predecessor.contains("(0040,a360).(0008,1115).(0008,1199).(0008,1155) UI [" + sr1.peerId() + "]"),
                "Predecessor Documents Sequence names the first SR: " + predecessor);
    }

    /**
     * kill -9 while the server's answers are held back in the proxy: the server has committed the
     * reports, the daemon dies before it hears so. After the restart on the same home the rows are
     * sent again (the same conditional updates), and each accession still has its one report.
     */
    @Test
    @Order(6)
    void pendingFhirDeliveriesCompleteOntoTheSameReportsAfterKill9() throws Exception {
        List<Approvals.Study> batch = List.of(nextStudy(), nextStudy(), nextStudy());
        proxy.holdResponses();
        Map<String, String> before = new HashMap<>();
        try {
            for (Approvals.Study s : batch) {
                approvals.approve(s, "Lungs clear (" + s.accession() + ").", "Normal.");
            }
            for (Approvals.Study s : batch) {
                Bundle found = await().atMost(60, SECONDS).pollInterval(200, MILLISECONDS)
                        .until(() -> reportsByAccession(s.accession()), b -> b.getTotal() > 0);
                before.put(s.accession(), idOf(theReport(found, s.accession())));
            }
            daemon.kill9();
        } finally {
            proxy.forward();  // the held answers go to a connection that is gone
        }
        for (Approvals.Study s : batch) {
            Approvals.Row row = fhirRow(s);
            assertEquals(List.of("PENDING", "1"), List.of(row.state(), Integer.toString(row.attempts())),
                    "claimed, sent, never answered: " + row);
        }

        daemon.start();
        for (Approvals.Study s : batch) {
            Approvals.Row row = approvals.awaitRow(s, DeliveryChannels.FHIR, 1, "SENT");
            assertEquals(2, row.attempts(), "one attempt before the kill, one after: " + row);
            DiagnosticReport dr = assertDelivered(s, row, DiagnosticReport.DiagnosticReportStatus.FINAL,
                    "Lungs clear (" + s.accession() + ").", "Normal.");
            assertEquals(before.get(s.accession()), idOf(dr), "the resend updated the report sent before the kill");
            assertEquals(2, transactionsFor(s.accession()));
        }
    }
}
