package org.raddraft.delivery;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.Dcmtk;

/**
 * Drafted studies in a running daemon, and their approval as the review stage records it: the draft
 * APPROVED_WITH_EDITS with the final text and the radiologist, and {@link Outbox#enqueue} in the same
 * transaction. Until the review stage's $approve is on main, the tests approve through this helper,
 * with the same SQL contract (draft.final_findings, final_impression, reviewer_id, reviewed_at).
 */
final class Approvals {

    /** A drafted study: its UID, the accession number the test gave it, and its draft. */
    record Study(String uid, String accession, long draftId) {
    }

    /** One outbox row as the tests check it. */
    record Row(long id, String channel, int revision, String state, int attempts, String lastError, String peerId) {
    }

    static final String RADIOLOGIST = "dr.jones";
    private final DaemonProcess daemon;
    private final Path dir;

    Approvals(DaemonProcess daemon, Path dir) {
        this.daemon = daemon;
        this.dir = dir;
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection(daemon.jdbcUrl(), "raddraft", "");
    }

    /**
     * {@code n} new single-view studies (copies of the demo PA with new UIDs and accession numbers
     * {@code prefix}01..), pushed with storescu and drafted by the daemon.
     */
    List<Study> drafted(String prefix, int n) throws Exception {
        Path template = DaemonProcess.APP.resolve("testdata/demo/dicom/ph-23-000034/1-PA.dcm");
        List<Path> files = new ArrayList<>();
        List<String> accessions = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            String accession = String.format("%s%02d", prefix, i);
            Path f = Files.createDirectories(dir.resolve("studies")).resolve(accession + ".dcm");
            Files.copy(template, f);
            Dcmtk.ok("dcmodify", "-nb", "-gst", "-gse", "-gin", "-m", "(0008,0050)=" + accession, f);
            files.add(f);
            accessions.add(accession);
        }
        List<Object> storescu = new ArrayList<>(List.of("storescu", "-aet", "PACS", "-aec", "RADDRAFT", "localhost",
                daemon.dicomPort));
        storescu.addAll(files);
        Dcmtk.ok(storescu.toArray());
        List<Study> studies = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String uid = Dcmtk.tag(files.get(i), "0020,000d");
            long draft = await().atMost(120, SECONDS).pollInterval(300, MILLISECONDS).until(() -> draftOf(uid), d -> d > 0);
            studies.add(new Study(uid, accessions.get(i), draft));
        }
        return studies;
    }

    /** The DRAFTED draft of the study, or 0 while there is none. */
    long draftOf(String studyUid) throws SQLException {
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement("""
                SELECT d.id FROM draft d JOIN study s ON s.id = d.study_id
                WHERE s.study_instance_uid = ? AND d.state = 'DRAFTED'""")) {
            ps.setString(1, studyUid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    /** The radiologist approves the draft with this final text; the outbox rows are written in the same transaction. */
    void approve(Study s, String findings, String impression) throws SQLException {
        try (Connection c = connect()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("""
                    UPDATE draft SET state = 'APPROVED_WITH_EDITS', final_findings = ?, final_impression = ?,
                      reviewer_id = ?, reviewed_at = ? WHERE id = ? AND state = 'DRAFTED'""")) {
                ps.setString(1, findings);
                ps.setString(2, impression);
                ps.setLong(3, radiologist(c));
                ps.setObject(4, OffsetDateTime.now(ZoneOffset.UTC));
                ps.setLong(5, s.draftId());
                if (ps.executeUpdate() != 1) {
                    throw new IllegalStateException("draft " + s.draftId() + " is not DRAFTED");
                }
            }
            Outbox.enqueue(c, s.draftId(), false);
            c.commit();
        }
    }

    /** A correction of an approved report: new final text, and the next revision queued. */
    void correct(Study s, String findings, String impression) throws SQLException {
        try (Connection c = connect()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE draft SET final_findings = ?, final_impression = ?, reviewed_at = ? WHERE id = ?")) {
                ps.setString(1, findings);
                ps.setString(2, impression);
                ps.setObject(3, OffsetDateTime.now(ZoneOffset.UTC));
                ps.setLong(4, s.draftId());
                ps.executeUpdate();
            }
            Outbox.enqueue(c, s.draftId(), true);
            c.commit();
        }
    }

    private static long radiologist(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                MERGE INTO app_user (name, role, source, created_at) KEY (name) VALUES (?, 'radiologist', 'local', ?)""")) {
            ps.setString(1, RADIOLOGIST);
            ps.setObject(2, OffsetDateTime.now(ZoneOffset.UTC));
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT id FROM app_user WHERE name = ?")) {
            ps.setString(1, RADIOLOGIST);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    List<Row> outbox(Study s) throws SQLException {
        List<Row> rows = new ArrayList<>();
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement("""
                SELECT id, channel, revision, state, attempts, last_error, peer_message_id FROM outbox
                WHERE draft_id = ? ORDER BY channel, revision""")) {
            ps.setLong(1, s.draftId());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Row(rs.getLong(1), rs.getString(2), rs.getInt(3), rs.getString(4), rs.getInt(5),
                            rs.getString(6), rs.getString(7)));
                }
            }
        }
        return rows;
    }

    /** The study's row on this channel (revision 1 unless given), once it is in one of the states. */
    Row awaitRow(Study s, String channel, int revision, String... states) {
        List<String> wanted = List.of(states);
        return await().atMost(60, SECONDS).pollInterval(200, MILLISECONDS).until(
                () -> outbox(s).stream().filter(r -> r.channel().equals(channel) && r.revision() == revision)
                        .findFirst().orElse(null),
                r -> r != null && wanted.contains(r.state()));
    }
}
