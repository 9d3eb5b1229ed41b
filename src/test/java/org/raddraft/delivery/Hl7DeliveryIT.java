package org.raddraft.delivery;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ca.uhn.hl7v2.model.v251.group.ORU_R01_ORDER_OBSERVATION;
import ca.uhn.hl7v2.model.v251.message.ORU_R01;
import ca.uhn.hl7v2.model.v251.segment.OBR;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.MllpPeer;

/**
 * Approved reports reach a real MLLP peer (HAPI HL7v2's server, parsing and validating each
 * ORU^R01) through the daemon's outbox (routes/deliver.yaml), and every answer a RIS can give is
 * handled: AA sent, AE retried, AR dead with the reason and requeued by an admin, a RIS down during
 * 20 approvals loses nothing and receives each report once.
 */
class Hl7DeliveryIT {

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    static Path tmp;
    static MllpPeer ris;
    static DaemonProcess daemon;
    static Approvals approvals;
    static List<Approvals.Study> studies;
    static int next;

    /** The daemon's delivery settings in these tests: quick polls and retries, a 2 s ACK timeout. */
    static Map<String, String> deliveryConfig(int mllpPort) {
        Map<String, String> c = new HashMap<>();
        c.put("delivery.mllp.host", "127.0.0.1");
        c.put("delivery.mllp.port", Integer.toString(mllpPort));
        c.put("delivery.mllp.ack-timeout-seconds", "2");
        c.put("delivery.poll-ms", "200");
        c.put("delivery.redeliveries", "1");
        c.put("delivery.redelivery-delay-ms", "200");
        c.put("delivery.retry-seconds", "1");
        c.put("delivery.retry-max-seconds", "2");
        c.put("delivery.max-attempts", "100");
        c.put("http.metrics-anonymous", "true");
        return c;
    }

    @BeforeAll
    static void start() throws Exception {
        ris = new MllpPeer().start();
        daemon = new DaemonProcess(tmp.resolve("home"), deliveryConfig(ris.port)).start();
        approvals = new Approvals(daemon, tmp);
        studies = approvals.drafted("H", 24);
    }

    @AfterAll
    static void stop() throws Exception {
        daemon.close();
        ris.close();
    }

    @BeforeEach
    void accept() {
        ris.answering(m -> MllpPeer.Answer.ACCEPT);
    }

    static Approvals.Study nextStudy() {
        return studies.get(next++);
    }

    static String accession(ORU_R01 m) {
        return m.getPATIENT_RESULT().getORDER_OBSERVATION().getOBR().getPlacerField1().getValue();
    }

    static List<MllpPeer.Received> receivedFor(Approvals.Study s) {
        return ris.received().stream().filter(r -> s.accession().equals(accession(r.message()))).toList();
    }

    static List<String> obxTexts(ORU_R01 m) throws Exception {
        ORU_R01_ORDER_OBSERVATION order = m.getPATIENT_RESULT().getORDER_OBSERVATION();
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < order.getOBSERVATIONReps(); i++) {
            var obx = order.getOBSERVATION(i).getOBX();
            texts.add(obx.getObservationIdentifier().getIdentifier().getValue() + " "
                    + ((ca.uhn.hl7v2.model.v251.datatype.TX) obx.getObservationValue(0).getData()).getValue());
        }
        return texts;
    }

    @Test
    void anApprovedReportReachesTheRisAsOruR01WithTheApprovedText() throws Exception {
        Approvals.Study s = nextStudy();
        approvals.approve(s, "Heart size normal.\nLungs clear.", "No acute disease.");
        Approvals.Row row = approvals.awaitRow(s, "HL7", 1, "SENT");
        assertEquals(1, row.attempts());
        assertEquals("RD" + row.id(), row.peerId());

        List<MllpPeer.Received> got = receivedFor(s);
        assertEquals(1, got.size());
        ORU_R01 m = got.get(0).message();
        assertEquals("RD" + row.id(), m.getMSH().getMessageControlID().getValue());
        assertEquals("PH-23-000034", m.getPATIENT_RESULT().getPATIENT().getPID().getPatientIdentifierList(0)
                .getIDNumber().getValue(), "PID-3 from the DICOM Patient Module");
        OBR obr = m.getPATIENT_RESULT().getORDER_OBSERVATION().getOBR();
        assertEquals(s.accession(), obr.getPlacerField1().getValue());
        assertEquals("F", obr.getResultStatus().getValue());
        assertEquals(Approvals.RADIOLOGIST, obr.getPrincipalResultInterpreter().getNDLName().getIDNumber().getValue());
        assertEquals("36554-4", obr.getUniversalServiceIdentifier().getIdentifier().getValue(), "one view drafted");
        assertEquals(List.of("59776-5 Heart size normal.", "59776-5 Lungs clear.", "19005-8 No acute disease."),
                obxTexts(m));
    }

    @Test
    void aCorrectionFollowsAsOBR25C() throws Exception {
        Approvals.Study s = nextStudy();
        approvals.approve(s, "Lungs clear.", "Normal.");
        approvals.awaitRow(s, "HL7", 1, "SENT");
        approvals.correct(s, "Lungs clear. Small left effusion.", "Small left pleural effusion.");
        Approvals.Row row = approvals.awaitRow(s, "HL7", 2, "SENT");
        List<MllpPeer.Received> got = receivedFor(s);
        assertEquals(2, got.size());
        assertEquals("RD" + row.id(), got.get(1).controlId());
        OBR obr = got.get(1).message().getPATIENT_RESULT().getORDER_OBSERVATION().getOBR();
        assertEquals("C", obr.getResultStatus().getValue());
        assertEquals(List.of("59776-5 Lungs clear. Small left effusion.", "19005-8 Small left pleural effusion."),
                obxTexts(got.get(1).message()));
    }

    @Test
    void anApplicationErrorAEIsRetriedUntilTheRisAccepts() throws Exception {
        Approvals.Study s = nextStudy();
        AtomicInteger errors = new AtomicInteger();
        ris.answering(m -> s.accession().equals(accession(m)) && errors.getAndIncrement() < 2
                ? MllpPeer.Answer.error("interface engine busy") : MllpPeer.Answer.ACCEPT);
        approvals.approve(s, "Lungs clear.", "Normal.");
        Approvals.Row row = approvals.awaitRow(s, "HL7", 1, "SENT");
        // attempt 1: AE, Camel redelivers once, AE again -> RETRYING; attempt 2 (a second later): AA
        assertEquals(2, row.attempts(), row.toString());
        List<MllpPeer.Received> got = receivedFor(s);
        assertEquals(3, got.size());
        assertEquals(List.of("RD" + row.id()), got.stream().map(MllpPeer.Received::controlId).distinct().toList(),
                "every try of one outbox row carries the same MSH-10");
    }

    @Test
    void aRejectARIsDeadWithTheReasonAndAnAdminRequeueSendsItAgain() throws Exception {
        Approvals.Study s = nextStudy();
        ris.answering(m -> s.accession().equals(accession(m)) ? MllpPeer.Answer.reject("no such order in the RIS")
                : MllpPeer.Answer.ACCEPT);
        approvals.approve(s, "Lungs clear.", "Normal.");
        Approvals.Row dead = approvals.awaitRow(s, "HL7", 1, "DEAD");
        assertTrue(dead.lastError().contains("AR") && dead.lastError().contains("no such order in the RIS"), dead.lastError());
        Thread.sleep(2000);
        assertEquals(1, receivedFor(s).size(), "a rejected report is not sent again by itself");
        assertEquals(1, approvals.outbox(s).get(0).attempts());

        JsonNode listed = daemon.adminJson("outbox");
        JsonNode mine = null;
        for (JsonNode r : listed) {
            if (r.get("id").asLong() == dead.id()) {
                mine = r;
            }
        }
        assertEquals("DEAD", mine.get("state").asText(), listed.toString());
        assertTrue(mine.get("last_error").asText().contains("no such order in the RIS"), mine.toString());
        String metrics = daemon.http("/metrics");
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("raddraft_outbox_dead ") && !l.endsWith(" 0.0")), metrics);
        JsonNode ready = new com.fasterxml.jackson.databind.ObjectMapper().readTree(daemon.http("/health/ready"));
        assertTrue(ready.at("/checks/delivery/dead").asLong() >= 1, ready.toString());
        assertEquals("UP", ready.at("/checks/delivery/status").asText(), "DEAD rows wait for an admin; the daemon is ready");
        var table = daemon.admin("outbox");
        assertEquals(0, table.exitCode(), table.output());
        assertTrue(table.output().contains("DEAD"), table.output());

        // the RIS's order is fixed; the admin requeues the row
        ris.answering(m -> MllpPeer.Answer.ACCEPT);
        var requeue = daemon.admin("outbox", "--requeue", Long.toString(dead.id()));
        assertEquals(0, requeue.exitCode(), requeue.output());
        assertTrue(requeue.output().contains("outbox " + dead.id() + " (draft " + s.draftId() + ", HL7) requeued"),
                requeue.output());
        approvals.awaitRow(s, "HL7", 1, "SENT");
        assertEquals(2, receivedFor(s).size());
        var again = daemon.admin("outbox", "--requeue", Long.toString(dead.id()));
        assertEquals(1, again.exitCode(), again.output());
        assertTrue(again.output().contains("is SENT, not DEAD"), again.output());
    }

    @Test
    void aRisDownDuring20ApprovalsReceivesEachReportOnceWhenItIsBack() throws Exception {
        List<Approvals.Study> batch = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            batch.add(nextStudy());
        }
        ris.stop();
        for (Approvals.Study s : batch) {
            approvals.approve(s, "Lungs clear (" + s.accession() + ").", "Normal.");
        }
        // every row fails at least once while the RIS is down, none is lost or given up
        for (Approvals.Study s : batch) {
            approvals.awaitRow(s, "HL7", 1, "RETRYING");
        }
        Thread.sleep(2000);
        for (Approvals.Study s : batch) {
            assertEquals("RETRYING", approvals.outbox(s).get(0).state());
        }
        Thread.sleep(1000);  // the gauges are read at most once a second
        String metrics = daemon.http("/metrics");
        double waiting = metrics.lines().filter(l -> l.startsWith("raddraft_outbox_waiting "))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst().orElse(-1);
        assertTrue(waiting >= 20, metrics);
        double oldest = metrics.lines().filter(l -> l.startsWith("raddraft_outbox_oldest_waiting_seconds "))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst().orElse(-1);
        assertTrue(oldest >= 3, "backlog age while the RIS is down: " + oldest);
        ris.start();
        Map<String, Integer> perAccession = new ConcurrentHashMap<>();
        for (Approvals.Study s : batch) {
            Approvals.Row row = approvals.awaitRow(s, "HL7", 1, "SENT");
            assertTrue(row.attempts() >= 2, row.toString());
        }
        for (Approvals.Study s : batch) {
            List<MllpPeer.Received> got = receivedFor(s);
            perAccession.put(s.accession(), got.size());
            assertEquals(List.of("Lungs clear (" + s.accession() + ")."), obxTexts(got.get(0).message()).subList(0, 1)
                    .stream().map(t -> t.substring(8)).toList());
        }
        assertEquals(20, perAccession.size());
        assertTrue(perAccession.values().stream().allMatch(n -> n == 1), "each report exactly once: " + perAccession);
    }
}
