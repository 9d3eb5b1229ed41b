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
    // --- rows (retention.rows.*) -------------------------------------------------------------------

    private void config(String extra) throws Exception {
        Files.writeString(home.resolve("r.properties"), "raddraft.home=" + home + "\nretention.spool-days=30\n" + extra);
    }

    private long count(String sql) throws Exception {
        try (Database db = Databases.forAdmin(Settings.load(home.resolve("r.properties")));
             Connection c = db.connection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private String details() throws Exception {
        try (Database db = Databases.forAdmin(Settings.load(home.resolve("r.properties")));
             Connection c = db.connection(); Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SELECT detail FROM audit_event WHERE action = 'study-purge'")) {
            StringBuilder b = new StringBuilder();
            while (rs.next()) {
                b.append(rs.getString(1)).append('\n');
            }
            return b.toString();
        }
    }

    private long rowsOf(String study) throws Exception {
        long id = studies.get(study);
        return count("SELECT (SELECT COUNT(*) FROM study WHERE id = " + id + ") + (SELECT COUNT(*) FROM instance"
                + " WHERE study_id = " + id + ") + (SELECT COUNT(*) FROM draft WHERE study_id = " + id + ")"
                + " + (SELECT COUNT(*) FROM outbox o JOIN draft d ON d.id = o.draft_id WHERE d.study_id = " + id + ")");
    }

    /**
     * As after an earlier purge, a lost disk or a correction that came after the images went: every
     * study's files gone, so only the "done" guard (delivered on every channel, not awaiting review,
     * not failed) stands between the row purge and the rows of what is not yet delivered.
     */
    private void filesOfEveryStudyGone() throws Exception {
        try (Database db = Databases.forAdmin(Settings.load(home.resolve("r.properties")));
             Connection c = db.connection(); Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE instance SET purged_at = CURRENT_TIMESTAMP");
            // the delivered study's report was corrected after its images went: the correction waits
            sent(c, studies.get("delivered"), "HL7", "PENDING", null, 2);
        }
    }

    private static final List<String> ROWS_GO = List.of("out-of-scope", "rejected");
    private static final List<String> ROWS_STAY = List.of("delivered", "retrying", "dead", "awaiting-review",
            "channel-never-enqueued", "sent-yesterday", "correction-pending", "failed");

    @Test
    void rowsOfWhatIsNotYetDeliveredOrReviewedStayEvenWithTheirFilesGone() throws Exception {
        config("retention.rows.study-days=30\nretention.rows.audit-days=3650\n");
        filesOfEveryStudyGone();
        Map<String, Long> before = new LinkedHashMap<>();
        for (String s : ROWS_STAY) {
            before.put(s, rowsOf(s));
        }
        AdminCli.Run purge = AdminCli.admin(home, "", "purge");
        assertEquals(0, purge.exit(), purge.out());
        for (String s : ROWS_GO) {
            assertEquals(0, rowsOf(s), s + ": done 60 days ago, files purged: its rows go");
        }
        for (String s : ROWS_STAY) {
            assertEquals(before.get(s), rowsOf(s), s + ": not yet delivered, awaiting review or failed: every row stays");
        }
        assertEquals(2, count("SELECT COUNT(*) FROM audit_event WHERE action = 'study-purge'"), "two studies' rows went");
    }

    @Test
    void rowsWaitForTheFilesThenGoWithEverythingAboutTheStudy() throws Exception {
        try (Database db = Databases.forAdmin(Settings.load(home.resolve("r.properties")));
             Connection c = db.connection(); Statement st = c.createStatement()) {
            // the delivered study's draft was published: a served FHIR version goes with it
            st.executeUpdate("INSERT INTO fhir_version(draft_id, version, draft_state, status, resources, recorded_at)"
                    + " SELECT id, 1, 'DRAFTED', 'preliminary', '{}', CURRENT_TIMESTAMP FROM draft WHERE study_id = "
                    + studies.get("delivered"));
            // shadow mode (V20): a candidate model drafted it too, and the decision was scored for both models
            st.executeUpdate("INSERT INTO shadow_draft(study_id, active_draft_id, model_name, model_version, findings,"
                    + " impression, generate_ms, drafted_at) SELECT study_id, id, 'candidate', '2', 'f', 'i', 1,"
                    + " CURRENT_TIMESTAMP FROM draft WHERE study_id = " + studies.get("delivered"));
            st.executeUpdate("INSERT INTO model_agreement(draft_id, role, model_name, model_version, decision, flagged,"
                    + " sex, age_band, view_position, manufacturer, calling_ae, decided_at) SELECT id, r.role, 'm', '1',"
                    + " 'APPROVED', FALSE, 'F', '60-79', 'PA', 'x', 'PACS', CURRENT_TIMESTAMP FROM draft,"
                    + " (VALUES ('ACTIVE'), ('SHADOW')) r(role) WHERE study_id = " + studies.get("delivered"));
        }
        config("retention.rows.study-days=30\nretention.rows.audit-days=3650\n");
        AdminCli.Run dry = AdminCli.admin(home, "", "purge", "--dry-run", "--json");
        assertEquals(0, dry.exit(), dry.out());
        JsonNode rows = Json.PRETTY.readTree(dry.stdout()).get("rows");
        assertEquals(0, rows.get("studies").size(), "files still there: no row would go yet\n" + dry.out());
        config(""); // rows kept forever (the default): the files go, every row stays
        AdminCli.admin(home, "", "purge");
        assertEquals(13, rowsOf("delivered") + rowsOf("out-of-scope") + rowsOf("rejected"), "rows stay while files go");

        config("retention.rows.study-days=30\nretention.rows.audit-days=3650\n");
        AdminCli.Run dry2 = AdminCli.admin(home, "", "purge", "--dry-run", "--json");
        rows = Json.PRETTY.readTree(dry2.stdout()).get("rows");
        List<Long> listed = new java.util.ArrayList<>();
        rows.get("studies").forEach(n -> listed.add(n.asLong()));
        assertEquals(GO.stream().map(studies::get).toList(), listed, dry2.out());
        JsonNode perTable = rows.get("rows");
        assertEquals(3, perTable.get("study").asLong());
        assertEquals(6, perTable.get("instance").asLong());
        assertEquals(2, perTable.get("draft").asLong(), "delivered and rejected have a draft");
        assertEquals(2, perTable.get("outbox").asLong(), "the delivered study's FHIR and HL7 rows");
        assertEquals(1, perTable.get("fhir_version").asLong());
        assertEquals(2, perTable.get("model_agreement").asLong(), "both models' scores of the delivered draft");
        assertEquals(1, perTable.get("shadow_draft").asLong());
        assertEquals(0, perTable.get("audit_event").asLong());
        AdminCli.Run text = AdminCli.admin(home, "", "purge", "--dry-run");
        assertTrue(text.out().contains("rows that would go: sr_document=0 outbox=2 fhir_version=1 feedback=0"
                + " draft_amendment=0 model_agreement=2 shadow_draft=1 draft=2 instance=6 study=3"), text.out());
        assertEquals(13, rowsOf("delivered") + rowsOf("out-of-scope") + rowsOf("rejected"), "a dry run removes nothing");

        AdminCli.Run purge = AdminCli.admin(home, "", "purge");
        assertEquals(0, purge.exit(), purge.out());
        assertEquals(0, rowsOf("delivered") + rowsOf("out-of-scope") + rowsOf("rejected"));
        assertEquals(0, count("SELECT COUNT(*) FROM fhir_version"));
        assertEquals(0, count("SELECT COUNT(*) FROM model_agreement") + count("SELECT COUNT(*) FROM shadow_draft"));
        assertEquals(7, count("SELECT COUNT(*) FROM study"), "the seven others stay");
        // each removal is in the audit trail, per study, internal ids and figures only
        for (String action : List.of("study-files-purge", "study-purge")) {
            assertEquals(GO.stream().map(studies::get).mapToLong(Long::longValue).sum(),
                    count("SELECT SUM(study_id) FROM audit_event WHERE action = '" + action + "' AND user_name = 'cli:"
                            + System.getProperty("user.name") + "' AND entity_type = 'Study'"), action);
            assertEquals(3, count("SELECT COUNT(*) FROM audit_event WHERE action = '" + action + "'"), action);
        }
        assertEquals(1, count("SELECT COUNT(*) FROM audit_event WHERE action = 'study-purge' AND detail = 'rows removed:"
                + " sr_document=0 outbox=2 fhir_version=1 feedback=0 draft_amendment=0 model_agreement=2 shadow_draft=1"
                + " draft=1 instance=2 study=1 (retention.rows.study-days=30)'"), "the delivered study's rows, counted: "
                + details());
    }

    @Test
    void auditEventsGoAfterTheirOwnDaysAndZeroKeepsEverythingForever() throws Exception {
        try (Database db = Databases.forAdmin(Settings.load(home.resolve("r.properties")));
             Connection c = db.connection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO audit_event(recorded_at, action, outcome)"
                     + " VALUES (?, 'read', '0')")) {
            for (int daysAgo : new int[] {400, 100, 1}) {
                ps.setTimestamp(1, Timestamp.from(Instant.now().minus(Duration.ofDays(daysAgo))));
                ps.executeUpdate();
            }
        }
        AdminCli.Run keep = AdminCli.admin(home, "", "purge");
        assertTrue(keep.out().contains("rows of audit: kept forever (0 days)"), keep.out());
        assertEquals(3, count("SELECT COUNT(*) FROM audit_event WHERE action = 'read'"), "audit-days 0: kept forever");
        config("retention.rows.study-days=30\nretention.rows.audit-days=365\n");
        AdminCli.Run purge = AdminCli.admin(home, "", "purge");
        assertEquals(0, purge.exit(), purge.out());
        assertEquals(2, count("SELECT COUNT(*) FROM audit_event WHERE action = 'read'"), "only the one older than 365 days goes");
    }

    @Test
    void checkConfigKeepsTheAuditTrailLongest() throws Exception {
        config("retention.rows.study-days=400\nretention.rows.audit-days=365\n");
        List<String> p = org.raddraft.ConfigCheck.problems(Settings.load(home.resolve("r.properties")));
        assertTrue(p.contains("retention.rows.audit-days: 365 is fewer than retention.rows.study-days or session-days"
                + " (400); the audit trail is kept longest: write 0 or at least 400"), p.toString());
        config("retention.rows.audit-days=365\n");
        p = org.raddraft.ConfigCheck.problems(Settings.load(home.resolve("r.properties")));
        assertTrue(p.stream().anyMatch(l -> l.startsWith("retention.rows.audit-days: 365 removes the audit trail of"
                + " studies kept forever")), p.toString());
        config("retention.rows.study-days=400\nretention.rows.audit-days=0\nretention.rows.session-days=-1\n");
        p = org.raddraft.ConfigCheck.problems(Settings.load(home.resolve("r.properties")));
        assertTrue(p.contains("retention.rows.session-days: -1 is out of range; write a whole number from 0 to 36500"),
                p.toString());
        config("retention.rows.study-days=400\nretention.rows.audit-days=3650\n");
        p = org.raddraft.ConfigCheck.problems(Settings.load(home.resolve("r.properties")));
        assertTrue(p.stream().noneMatch(l -> l.startsWith("retention")), p.toString());
    }
    @Test
    void theDaemonsScheduledPurgeRemovesWhatAdminPurgeWouldAndLogsFiguresOnly() throws Exception {
        config("retention.rows.study-days=30\nretention.rows.audit-days=3650\n");
        Settings s = Settings.load(home.resolve("r.properties"));
        ch.qos.logback.classic.Logger logger =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.raddraft.ops.RetentionSchedule.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> log =
                new ch.qos.logback.core.read.ListAppender<>();
        log.start();
        logger.addAppender(log);
        try (Database db = Databases.forAdmin(s)) {
            new org.raddraft.ops.RetentionSchedule(db, new org.raddraft.ops.RetentionSchedule.Policy(s.spoolDir(), 30,
                    org.raddraft.ops.RowRetention.days(s), Duration.ofHours(24)),
                    new org.raddraft.ops.SpoolWatermark(s.spoolDir(), 0), java.time.Clock.systemUTC()).purgeOnce();
        } finally {
            logger.detachAppender(log);
        }
        GO.forEach(st -> assertFalse(Files.exists(home.resolve("spool/2026/01/01").resolve(st)), st + " purged"));
        STAY.forEach(st -> assertTrue(filesThere(st), st + " kept"));
        assertEquals(7, count("SELECT COUNT(*) FROM study"), "the three done studies' rows went with their files");
        assertEquals(1, log.list.size(), log.list.toString());
        assertTrue(log.list.get(0).getFormattedMessage().startsWith("retention: purged the files of 3 studies (6 files,"
                + " 900 bytes); rows {sr_document=0, outbox=2, fhir_version=0, feedback=0, draft_amendment=0, model_agreement=0,"
                + " shadow_draft=0, draft=2,"
                + " instance=6, study=3, audit_event=0"), log.list.get(0).getFormattedMessage());
    }
}
