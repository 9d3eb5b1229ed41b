package org.raddraft.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.MllpPeer;
import org.raddraft.testing.PgCluster;

/**
 * The whole loop on PostgreSQL (issue 25): a real cluster started by the test, the daemon on it through
 * store.jdbc-url (the password in STORE_PASSWORD, as systemd's EnvironmentFile gives it); studies pushed
 * with DCMTK's storescu, drafted, served on the FHIR worklist, approved and corrected through FHIR, and
 * delivered to a real MLLP peer; an admin command reaches the same database.
 */
class PostgresLoopIT {

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    static Path tmp;
    static PgCluster pg;
    static MllpPeer ris;
    static DaemonProcess daemon;
    static Approvals approvals;

    @BeforeAll
    static void start() throws Exception {
        pg = PgCluster.start();
        ris = new MllpPeer().start();
        Map<String, String> config = Hl7DeliveryIT.deliveryConfig(ris.port);
        config.put("store.jdbc-url", pg.createDatabase("raddraft"));
        config.put("store.user", PgCluster.USER);
        daemon = new DaemonProcess(tmp.resolve("home"), config).env("STORE_PASSWORD", pg.password()).start();
        approvals = new Approvals(daemon, tmp);
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
        if (ris != null) {
            ris.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void pushDraftReviewAndDeliverOnPostgresql() throws Exception {
        List<Approvals.Study> studies = approvals.drafted("PG", 3);

        // the worklist serves the drafts from PostgreSQL
        JsonNode worklist = new com.fasterxml.jackson.databind.ObjectMapper().readTree(daemon.request("GET",
                "/fhir/DiagnosticReport?status=preliminary", daemon.token("radiologist"), Map.of(), null).body());
        assertEquals(3, worklist.path("entry").size(), worklist.toString());

        Approvals.Study s = studies.get(0);
        approvals.approve(s, "Heart size normal.\nLungs clear.", "No acute disease.");
        Approvals.Row row = approvals.awaitRow(s, "HL7", 1, "SENT");
        assertEquals("RD" + row.id(), row.peerId());
        approvals.correct(s, "Lungs clear. Small left effusion.", "Small left pleural effusion.");
        approvals.awaitRow(s, "HL7", 2, "SENT");
        List<MllpPeer.Received> got = ris.received().stream()
                .filter(r -> s.accession().equals(Hl7DeliveryIT.accession(r.message()))).toList();
        assertEquals(2, got.size(), "the approval and its correction, once each");
        assertEquals("C", got.get(1).message().getPATIENT_RESULT().getORDER_OBSERVATION().getOBR().getResultStatus()
                .getValue());

        // a rejection and the audit trail: the review stage's writes on PostgreSQL
        Approvals.operation(daemon, studies.get(1).draftId(), "reject", daemon.token("radiologist"), "reason",
                "wrong patient");
        try (Connection c = daemon.db(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM audit_event WHERE action IN ('approve', 'reject', 'amend')")) {
            rs.next();
            assertTrue(rs.getInt(1) >= 3, "approve, amend and reject audited: " + rs.getInt(1));
        }
        assertTrue(daemon.log().contains("HikariPool"), "the daemon used the PostgreSQL pool");
    }

    /** check-config reaches the PostgreSQL server and says its schema version; a wrong password is a clear problem. */
    @Test
    void checkConfigReportsTheSchemaVersionAndAWrongPassword() throws Exception {
        String ok = checkConfig(pg.password());
        // the newest migration of this build, whichever it is (V18 was hard-coded before V19-V21 were merged)
        assertTrue(java.util.regex.Pattern.compile("postgresql database reached as raddraft, schema version \\d+, up to date")
                .matcher(ok).find(), ok);
        String wrong = checkConfig("not-the-password");
        assertTrue(wrong.contains("store.jdbc-url: database server refused store.user's password"), wrong);
        assertTrue(wrong.contains("SQLState 28P01"), wrong);
        assertFalse(wrong.contains("not-the-password"), wrong);
    }

    private static String checkConfig(String password) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(DaemonProcess.javaCommand("check-config", "--config",
                daemon.configFile().toString())).redirectErrorStream(true);
        pb.environment().put("STORE_PASSWORD", password);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }
}
