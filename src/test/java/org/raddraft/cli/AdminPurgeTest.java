package org.raddraft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.Databases;
import org.raddraft.Settings;
import org.raddraft.store.Database;

/**
 * {@code raddraft admin purge}: spool files of studies delivered on every enabled channel, rejected or
 * out of scope longer than retention.spool-days ago go; anything not yet delivered stays; --dry-run
 * removes nothing. Real database (H2 file, all migrations) and real files in the spool.
 */
class AdminPurgeTest {

    @TempDir
    Path home;

    private static final Instant OLD = Instant.now().minus(Duration.ofDays(60));
    private static final Instant RECENT = Instant.now().minus(Duration.ofDays(1));

    /** Study name → its internal id. */
    private final Map<String, Long> studies = new LinkedHashMap<>();

    @BeforeEach
    void studies() throws Exception {
        Files.writeString(home.resolve("r.properties"), "raddraft.home=" + home + "\nretention.spool-days=30\n");
        try (Database db = Databases.forAdmin(Settings.load(home.resolve("r.properties")));
             Connection c = db.connection(); Statement st = c.createStatement()) {
            st.execute("DELETE FROM delivery_channel");
            st.execute("INSERT INTO delivery_channel(name, enabled, updated_at) VALUES ('FHIR', TRUE, CURRENT_TIMESTAMP),"
                    + " ('HL7', TRUE, CURRENT_TIMESTAMP), ('DICOM_SR', FALSE, CURRENT_TIMESTAMP)");
            sent(c, study(c, "delivered", "DRAFTED", "APPROVED"), "FHIR", "SENT", OLD, 1);
            sent(c, studies.get("delivered") , "HL7", "SENT", OLD, 1);
            sent(c, study(c, "retrying", "DRAFTED", "APPROVED"), "FHIR", "SENT", OLD, 1);
            sent(c, studies.get("retrying"), "HL7", "RETRYING", null, 1);
            sent(c, study(c, "dead", "DRAFTED", "APPROVED_WITH_EDITS"), "FHIR", "DEAD", null, 1);
            sent(c, studies.get("dead"), "HL7", "SENT", OLD, 1);
            study(c, "awaiting-review", "DRAFTED", "DRAFTED");
            sent(c, study(c, "channel-never-enqueued", "DRAFTED", "APPROVED"), "FHIR", "SENT", OLD, 1);
            study(c, "out-of-scope", "OUT_OF_SCOPE", null);
            study(c, "rejected", "DRAFTED", "REJECTED");
            sent(c, study(c, "sent-yesterday", "DRAFTED", "APPROVED"), "FHIR", "SENT", OLD, 1);
            sent(c, studies.get("sent-yesterday"), "HL7", "SENT", RECENT, 1);
            sent(c, study(c, "correction-pending", "DRAFTED", "APPROVED"), "FHIR", "SENT", OLD, 1);
            sent(c, studies.get("correction-pending"), "HL7", "SENT", OLD, 1);
            sent(c, studies.get("correction-pending"), "FHIR", "PENDING", null, 2);
            study(c, "failed", "FAILED", null);
        }
    }

    /** A study with two instance files in the spool, its state changed long ago, and a draft in {@code draftState}. */
    private long study(Connection c, String name, String state, String draftState) throws Exception {
        long id;
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO study(study_instance_uid, state, first_instance_at,"
                + " last_instance_at, state_changed_at) VALUES (?, ?, ?, ?, ?)", Statement.RETURN_GENERATED_KEYS)) {
            ps.setString(1, "1.2.3." + name.hashCode());
            ps.setString(2, state);
            for (int i = 3; i <= 5; i++) {
                ps.setTimestamp(i, Timestamp.from(OLD));
            }
            ps.executeUpdate();
            ResultSet rs = ps.getGeneratedKeys();
            rs.next();
            id = rs.getLong(1);
        }
        for (int n = 1; n <= 2; n++) {
            String rel = "2026/01/01/" + name + "/" + n + ".dcm";
            Path f = home.resolve("spool").resolve(rel);
            Files.createDirectories(f.getParent());
            Files.write(f, new byte[100 * n]);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO instance(study_id, sop_instance_uid,"
                    + " series_instance_uid, sop_class_uid, transfer_syntax_uid, path, size_bytes, received_at)"
                    + " VALUES (?, ?, '1.2', '1.2.840.10008.5.1.4.1.1.1', '1.2.840.10008.1.2.1', ?, ?, ?)")) {
                ps.setLong(1, id);
                ps.setString(2, "1.2.3." + name.hashCode() + "." + n);
                ps.setString(3, rel);
                ps.setLong(4, 100L * n);
                ps.setTimestamp(5, Timestamp.from(OLD));
                ps.executeUpdate();
            }
        }
        if (draftState != null) {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO draft(study_id, state, findings, impression,"
                    + " token_ids, token_logprobs, model_name, model_version, preprocess_ms, generate_ms, stable_at,"
                    + " drafted_at, reviewed_at) VALUES (?, ?, 'f', 'i', '[]', '[]', 'm', '1', 0, 0, ?, ?, ?)")) {
                ps.setLong(1, id);
                ps.setString(2, draftState);
                ps.setTimestamp(3, Timestamp.from(OLD));
                ps.setTimestamp(4, Timestamp.from(OLD));
                ps.setTimestamp(5, draftState.equals("DRAFTED") ? null : Timestamp.from(OLD));
                ps.executeUpdate();
            }
        }
        studies.put(name, id);
        return id;
    }

    private static void sent(Connection c, long studyId, String channel, String state, Instant sentAt, int revision)
            throws Exception {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO outbox(draft_id, channel, revision, correction, state,"
                + " next_attempt_at, created_at, sent_at) SELECT id, ?, ?, ?, ?, ?, ?, ? FROM draft WHERE study_id = ?")) {
            ps.setString(1, channel);
            ps.setInt(2, revision);
            ps.setBoolean(3, revision > 1);
            ps.setString(4, state);
            ps.setTimestamp(5, Timestamp.from(OLD));
            ps.setTimestamp(6, Timestamp.from(OLD));
            ps.setTimestamp(7, sentAt == null ? null : Timestamp.from(sentAt));
            ps.setLong(8, studyId);
            assertEquals(1, ps.executeUpdate());
        }
    }

    private boolean filesThere(String study) {
        Path dir = home.resolve("spool/2026/01/01").resolve(study);
        return Files.exists(dir.resolve("1.dcm")) && Files.exists(dir.resolve("2.dcm"));
    }

    private static final List<String> GO = List.of("delivered", "out-of-scope", "rejected");
    private static final List<String> STAY = List.of("retrying", "dead", "awaiting-review", "channel-never-enqueued",
            "sent-yesterday", "correction-pending", "failed");

    @Test
    void dryRunListsWhatWouldGoAndDeletesNothing() throws Exception {
        AdminCli.Run dry = AdminCli.admin(home, "", "purge", "--dry-run", "--json");
        assertEquals(0, dry.exit(), dry.out());
        JsonNode r = Json.PRETTY.readTree(dry.stdout());
        assertTrue(r.get("dryRun").asBoolean());
        List<Long> listed = new java.util.ArrayList<>();
        r.get("studies").forEach(s -> listed.add(s.get("studyId").asLong()));
        assertEquals(GO.stream().map(studies::get).toList(), listed);
        assertEquals(6, r.get("files").asInt());
        assertEquals(900, r.get("bytes").asLong());
        studies.keySet().forEach(s -> assertTrue(filesThere(s), s + " untouched by a dry run"));
        assertFalse(dry.out().contains("1.2.3."), "no UIDs, internal ids only");
        AdminCli.Run text = AdminCli.admin(home, "", "purge", "--dry-run");
        assertTrue(text.out().contains("dry run, nothing removed: 3 studies, 6 files, 900 bytes"), text.out());
    }

    @Test
    void deliveredAndOldGoEverythingElseStays() throws Exception {
        AdminCli.Run purge = AdminCli.admin(home, "", "purge");
        assertEquals(0, purge.exit(), purge.out());
        assertTrue(purge.out().contains("purged: 3 studies, 6 files, 900 bytes"), purge.out());
        GO.forEach(s -> assertFalse(Files.exists(home.resolve("spool/2026/01/01").resolve(s)), s + " purged"));
        STAY.forEach(s -> assertTrue(filesThere(s), s + " kept: not delivered, or not long enough ago"));
        try (Database db = Databases.forAdmin(Settings.load(home.resolve("r.properties")));
             Connection c = db.connection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM instance WHERE purged_at IS NOT NULL")) {
            rs.next();
            assertEquals(6, rs.getInt(1), "rows stay, marked purged");
        }
        AdminCli.Run again = AdminCli.admin(home, "", "purge");
        assertTrue(again.out().contains("purged: 0 studies, 0 files"), again.out());
    }

    @Test
    void zeroDaysNeverPurges() throws Exception {
        Files.writeString(home.resolve("r.properties"), "raddraft.home=" + home + "\nretention.spool-days=0\n");
        AdminCli.Run purge = AdminCli.admin(home, "", "purge");
        assertEquals(0, purge.exit(), purge.out());
        assertTrue(purge.out().contains("retention.spool-days is 0: nothing is ever purged"), purge.out());
        studies.keySet().forEach(s -> assertTrue(filesThere(s), s));
    }
}
