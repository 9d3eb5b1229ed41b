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
import java.util.ArrayList;
import java.util.List;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.util.Map;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.Dcmtk;

/**
 * Drafted studies in a running daemon, approved and corrected by a radiologist through its FHIR API
 * ({@code $approve}, {@code $amend}); the outbox rows as the tests check them.
 */
final class Approvals {

    /** A drafted study: its UID, the accession number the test gave it, and its draft. */
    record Study(String uid, String accession, long draftId) {
    }

    /** One outbox row as the tests check it. */
    record Row(long id, String channel, int revision, String state, int attempts, String lastError, String peerId) {
    }

    /** The account DaemonProcess.token("radiologist") makes. */
    static final String RADIOLOGIST = "it-radiologist";
    private final DaemonProcess daemon;
    private final Path dir;

    Approvals(DaemonProcess daemon, Path dir) {
        this.daemon = daemon;
        this.dir = dir;
    }

    Connection connect() throws SQLException {
        return daemon.db();
    }

    /**
     * {@code n} new single-view studies (copies of the demo PA with new UIDs and accession numbers
     * {@code prefix}01..), pushed with storescu and drafted by the daemon.
     */
    List<Study> drafted(String prefix, int n) throws Exception {
        return drafted(prefix, n, new String[0]);
    }

    /** The same, each copy also modified by dcmodify {@code -m} with these {@code (gggg,eeee)=value} arguments. */
    List<Study> drafted(String prefix, int n, String... modifications) throws Exception {
        Path template = DaemonProcess.APP.resolve("testdata/demo/dicom/ph-23-000034/1-PA.dcm");
        List<Path> files = new ArrayList<>();
        List<String> accessions = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            String accession = String.format("%s%02d", prefix, i);
            Path f = Files.createDirectories(dir.resolve("studies")).resolve(accession + ".dcm");
            Files.copy(template, f);
            Dcmtk.ok("dcmodify", "-nb", "-gst", "-gse", "-gin", "-m", "(0008,0050)=" + accession, f);
            for (String m : modifications) {
                Dcmtk.ok("dcmodify", "-nb", "-i", m, f);
            }
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

    /**
     * The radiologist approves the draft with this final text through the daemon's FHIR API
     * ({@code POST /fhir/DiagnosticReport/{id}/$approve}): the outbox rows are written in that decision's transaction.
     */
    void approve(Study s, String findings, String impression) throws Exception {
        operation(daemon, s.draftId(), "approve", daemon.token("radiologist"), "findings", findings,
                "impression", impression);
    }

    /**
     * The radiologist corrects the approved report with this text ({@code $amend}): the next revision
     * is queued on every channel in the amendment's transaction.
     */
    void correct(Study s, String findings, String impression) throws Exception {
        operation(daemon, s.draftId(), "amend", daemon.token("radiologist"), "findings", findings,
                "impression", impression, "reason", "a late finding");
    }

    /** A FHIR operation on the draft's DiagnosticReport, Parameters of strings as name, value pairs; fails unless 200. */
    static void operation(DaemonProcess on, long draftId, String op, String token, String... nameValue) throws Exception {
        List<Map<String, String>> parameters = new ArrayList<>();
        for (int i = 0; i < nameValue.length; i += 2) {
            parameters.add(Map.of("name", nameValue[i], "valueString", nameValue[i + 1]));
        }
        HttpResponse<String> r = on.request("POST", "/fhir/DiagnosticReport/" + draftId + "/$" + op, token,
                Map.of("Content-Type", "application/fhir+json"), new ObjectMapper().writeValueAsString(
                        Map.of("resourceType", "Parameters", "parameter", parameters)));
        if (r.statusCode() != 200) {
            throw new IllegalStateException("$" + op + " of draft " + draftId + " answered " + r.statusCode() + ": " + r.body());
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
