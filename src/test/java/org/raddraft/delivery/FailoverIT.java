package org.raddraft.delivery;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.Dcmtk;
import org.raddraft.testing.MllpPeer;
import org.raddraft.testing.Orthanc;
import org.raddraft.testing.PgCluster;

/**
 * Failover of several RadDraft nodes on one PostgreSQL (issue 25), short form; bench/failover.sh runs it
 * with more studies ({@code -Dfailover.studies=N}). Three daemons (a, b, c) on this machine, each with its
 * own ports and home, sharing the database and the spool (each home's spool/ is a link to one directory,
 * as an NFS mount would be). A real Orthanc pushes the studies to two of them (a and b); node a is killed
 * (kill -9) while it holds studies it is drafting; the radiologist approves through b and c; the first of
 * b and c seen holding deliveries its RIS (a real MLLP peer, answering after 2 s) has not acknowledged is
 * killed (which node claims a row is a race between their polls: waiting for b alone failed once under
 * load, b was never seen holding one). The other finishes their work after the leases ran out: every
 * acknowledged study is drafted once and delivered once (one MSH-10 per report; a resend after the kill
 * carries the same MSH-10), and the FHIR worklist reads the same from b and c. The last line of target/failover.txt is the summary.
 */
class FailoverIT {

    static final int STUDIES = Integer.getInteger("failover.studies", 8);

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    static Path tmp;
    static PgCluster pg;
    static MllpPeer ris;
    static Orthanc pacs;
    static final Map<String, DaemonProcess> nodes = new HashMap<>();

    @BeforeAll
    static void start() throws Exception {
        pg = PgCluster.start();
        String url = pg.createDatabase("raddraft");
        ris = new MllpPeer().start();
        ris.answering(m -> MllpPeer.Answer.acceptAfter(2000));
        Path spool = Files.createDirectories(tmp.resolve("shared-spool"));
        ExecutorService starting = Executors.newFixedThreadPool(3);
        try {
            List<Future<DaemonProcess>> started = new ArrayList<>();
            for (String name : List.of("a", "b", "c")) {
                Map<String, String> config = Hl7DeliveryIT.deliveryConfig(ris.port);
                config.put("store.jdbc-url", url);
                config.put("store.user", PgCluster.USER);
                config.put("node.id", name);
                config.put("draft.batch-size", "2");
                config.put("draft.lease-seconds", "15");
                config.put("delivery.lease-seconds", "10");
                config.put("delivery.mllp.ack-timeout-seconds", "5");
                config.put("dicom.allowed-peers", Orthanc.AE_TITLE + "@127.0.0.1,PACS@127.0.0.1");
                Path home = Files.createDirectories(tmp.resolve("node-" + name));
                Files.createSymbolicLink(home.resolve("spool"), spool);
                DaemonProcess d = new DaemonProcess(home, config).env("STORE_PASSWORD", pg.password());
                nodes.put(name, d);
                started.add(starting.submit(d::start));
            }
            for (Future<DaemonProcess> f : started) {
                f.get();
            }
        } finally {
            starting.shutdownNow();
        }
        pacs = Orthanc.start(tmp.resolve("orthanc"), DaemonProcess.freePort(),
                new int[] {nodes.get("a").dicomPort, nodes.get("b").dicomPort});
    }

    @AfterAll
    static void stop() throws Exception {
        for (DaemonProcess d : nodes.values()) {
            d.close();
        }
        if (pacs != null) {
            pacs.close();
        }
        if (ris != null) {
            ris.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void theOtherNodesFinishADeadNodesWorkOnce() throws Exception {
        DaemonProcess a = nodes.get("a");
        DaemonProcess b = nodes.get("b");
        DaemonProcess c = nodes.get("c");

        // the studies, in Orthanc; pushed half to a, half to b, at once
        Path template = DaemonProcess.APP.resolve("testdata/demo/dicom/ph-23-000034/1-PA.dcm");
        List<String> orthancIds = new ArrayList<>();
        List<String> uids = new ArrayList<>();
        for (int i = 1; i <= STUDIES; i++) {
            Path f = Files.createDirectories(tmp.resolve("studies")).resolve("FO" + i + ".dcm");
            Files.copy(template, f);
            Dcmtk.ok("dcmodify", "-nb", "-gst", "-gse", "-gin", "-m", String.format("(0008,0050)=FO%02d", i), f);
            uids.add(Dcmtk.tag(f, "0020,000d"));
            orthancIds.add(pacs.upload(f));
        }
        ExecutorService pushing = Executors.newFixedThreadPool(2);
        List<Future<Integer>> pushes = new ArrayList<>();
        for (int half = 0; half < 2; half++) {
            String modality = half == 0 ? "raddraft" : "raddraft2";
            List<String> mine = new ArrayList<>();
            for (int i = half; i < STUDIES; i += 2) {
                mine.add(orthancIds.get(i));
            }
            pushes.add(pushing.submit(() -> {
                int acked = 0;
                for (String id : mine) {
                    JsonNode job = Orthanc.json(pacs.push(id, Orthanc.AE_TITLE, modality));
                    acked += job.path("InstancesCount").asInt() - job.path("FailedInstancesCount").asInt();
                }
                return acked;
            }));
        }

        int acked = 0;
        for (Future<Integer> p : pushes) {
            acked += p.get();
        }
        pushing.shutdown();
        assertEquals(STUDIES, acked, "Orthanc's account: every instance acknowledged");

        // kill -9 node a while it holds studies it is drafting
        List<Long> heldByA = await().atMost(120, SECONDS).pollInterval(20, MILLISECONDS)
                .until(() -> ids("SELECT id FROM study WHERE state = 'DRAFTING' AND lease_node = 'a'"), l -> !l.isEmpty());
        a.kill9();

        // b and c draft everything, a's studies after its lease ran out
        await().atMost(240, SECONDS).pollInterval(500, MILLISECONDS)
                .until(() -> ids("SELECT id FROM study WHERE state = 'DRAFTED'").size() == STUDIES);
        for (long id : heldByA) {
            String by = text("SELECT d.drafted_by FROM draft d WHERE d.study_id = ? AND d.state = 'DRAFTED'", id);
            assertFalse("a".equals(by), "study " + id + " was taken over from the killed node a, drafted by " + by);
        }

        // the worklist is the same from every living node
        String radiologist = b.token("radiologist");
        String onC = c.login("it-radiologist", DaemonProcess.TEST_PASSWORD);
        Set<String> fromB = worklist(b, radiologist);
        assertEquals(STUDIES, fromB.size(), fromB.toString());
        assertEquals(fromB, worklist(c, onC));

        // the RIS approves through either node; the node that holds deliveries first (b or c: which one
        // claims a row is a race between their polls) is killed while it waits for the RIS's acknowledgements
        List<Long> drafts = ids("SELECT id FROM draft WHERE state = 'DRAFTED' ORDER BY id");
        for (int i = 0; i < drafts.size(); i++) {
            boolean viaB = i % 2 == 0;
            Approvals.operation(viaB ? b : c, drafts.get(i), "approve", viaB ? radiologist : onC,
                    "findings", "Lungs clear.", "impression", "No acute disease.");
        }
        List<String> holders = await().atMost(60, SECONDS).pollInterval(20, MILLISECONDS).until(
                () -> strings("SELECT DISTINCT lease_node FROM outbox WHERE lease_node IN ('b', 'c')"
                        + " AND state IN ('PENDING', 'RETRYING') ORDER BY lease_node"), l -> !l.isEmpty());
        String victim = holders.get(0);
        nodes.get(victim).kill9();

        await().atMost(180, SECONDS).pollInterval(500, MILLISECONDS)
                .until(() -> ids("SELECT id FROM outbox WHERE channel = 'HL7' AND state = 'SENT'").size() == STUDIES);

        int lost = 0;
        for (String uid : uids) {
            if (ids("""
                    SELECT o.id FROM outbox o JOIN draft d ON d.id = o.draft_id JOIN study s ON s.id = d.study_id
                    WHERE s.study_instance_uid = ? AND o.channel = 'HL7' AND o.state = 'SENT'""", uid).isEmpty()) {
                lost++;
            }
        }
        int duplicateDrafts = (int) (count("SELECT COUNT(*) FROM draft") - count("SELECT COUNT(DISTINCT study_id) FROM draft"));
        Map<String, Set<String>> controlIds = new HashMap<>();
        for (MllpPeer.Received r : ris.received()) {
            controlIds.computeIfAbsent(Hl7DeliveryIT.accession(r.message()), k -> new TreeSet<>()).add(r.controlId());
        }
        int duplicateDeliveries = controlIds.values().stream().mapToInt(s -> s.size() - 1).sum();
        int resent = ris.received().size() - ris.distinctControlIds().size();
        String summary = String.format("failover: nodes=3 acked=%d lost=%d duplicate_drafts=%d duplicate_deliveries=%d",
                acked, lost, duplicateDrafts, duplicateDeliveries);
        Files.writeString(DaemonProcess.APP.resolve("target/failover.txt"), String.format(
                "killed a holding %d drafting studies, %s holding deliveries; resent with the same MSH-10: %d%n%s%n",
                heldByA.size(), victim, resent, summary));
        System.out.println(summary);
        assertEquals(STUDIES, controlIds.size(), "every report reached the RIS: " + controlIds.keySet());
        assertEquals(0, lost, summary);
        assertEquals(0, duplicateDrafts, summary);
        assertEquals(0, duplicateDeliveries, summary);
        assertTrue(count("SELECT COUNT(*) FROM outbox WHERE sent_by = '" + victim + "'") < STUDIES,
                "the other node delivered " + victim + "'s rows");
    }

    static Set<String> worklist(DaemonProcess on, String token) throws Exception {
        JsonNode bundle = new ObjectMapper().readTree(on.request("GET",
                "/fhir/DiagnosticReport?status=preliminary&_count=200", token, Map.of(), null).body());
        Set<String> ids = new TreeSet<>();
        for (JsonNode e : bundle.path("entry")) {
            ids.add(e.path("resource").path("id").asText() + "/" + e.path("resource").path("meta").path("versionId").asText());
        }
        return ids;
    }

    private static Connection db() throws SQLException {
        return pg.connect("raddraft");
    }

    private static List<String> strings(String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = db(); PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static List<Long> ids(String sql, Object... args) throws SQLException {
        List<Long> out = new ArrayList<>();
        try (Connection c = db(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getLong(1));
                }
            }
        }
        return out;
    }

    private static long count(String sql) throws SQLException {
        return ids(sql).get(0);
    }

    private static String text(String sql, long id) throws SQLException {
        try (Connection c = db(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }
}
