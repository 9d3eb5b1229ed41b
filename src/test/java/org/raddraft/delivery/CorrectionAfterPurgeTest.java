package org.raddraft.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.Databases;
import org.raddraft.Settings;
import org.raddraft.dicom.DicomAttributes;
import org.raddraft.dicom.PatientModule;
import org.raddraft.dicom.StoreScu;
import org.raddraft.ops.SpoolRetention;
import org.raddraft.store.Database;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.Dcmtk;

/**
 * Issue 25: a correction of a study whose images the purge removed is still delivered with the
 * patient's data (HL7 PID and FHIR subject from {@link FinalReports}; the DICOM SR's patient and study
 * modules, sent to DCMTK's storescp as the PACS), from the header the purge kept in the database.
 * Real H2 database with every migration, the demo's real PA image in the spool.
 */
class CorrectionAfterPurgeTest {

    static final Path SOURCE = Path.of("testdata/demo/dicom/ph-23-000034/1-PA.dcm");
    static final Instant OLD = Instant.now().minus(Duration.ofDays(60));

    @TempDir
    Path home;

    Database db;
    long draftId;
    Path spoolFile;

    @BeforeEach
    void deliveredLongAgo() throws Exception {
        Files.writeString(home.resolve("r.properties"), "raddraft.home=" + home + "\nretention.spool-days=30\n");
        Settings s = Settings.load(home.resolve("r.properties"));
        spoolFile = s.spoolDir().resolve("2026/01/01/study/1.dcm");
        Files.createDirectories(spoolFile.getParent());
        Files.copy(SOURCE, spoolFile);
        DicomAttributes a = DicomAttributes.read(SOURCE);
        db = Databases.forAdmin(s);
        try (Connection c = db.connection(); Statement st = c.createStatement()) {
            st.execute("DELETE FROM delivery_channel");
            st.execute("INSERT INTO delivery_channel(name, enabled, updated_at) VALUES ('HL7', TRUE, CURRENT_TIMESTAMP),"
                    + " ('DICOM_SR', TRUE, CURRENT_TIMESTAMP)");
            st.execute("INSERT INTO app_user(name, role, source, created_at) VALUES ('dr-a', 'radiologist', 'local',"
                    + " CURRENT_TIMESTAMP)");
            long study = insert(c, "INSERT INTO study(study_instance_uid, state, first_instance_at, last_instance_at,"
                    + " state_changed_at) VALUES (?, 'DRAFTED', ?, ?, ?)", a.studyInstanceUid(), OLD, OLD, OLD);
            insert(c, "INSERT INTO instance(study_id, sop_instance_uid, series_instance_uid, sop_class_uid,"
                    + " transfer_syntax_uid, path, size_bytes, received_at, accession_number) VALUES (?, ?, ?, ?,"
                    + " '1.2.840.10008.1.2.1', '2026/01/01/study/1.dcm', ?, ?, 'ACC1')", study, a.sopInstanceUid(),
                    a.seriesInstanceUid(), a.sopClassUid(), Files.size(SOURCE), OLD);
            draftId = insert(c, "INSERT INTO draft(study_id, state, findings, impression, token_ids, token_logprobs,"
                    + " model_name, model_version, preprocess_ms, generate_ms, stable_at, drafted_at, reviewed_at,"
                    + " reviewer_id, final_findings, final_impression, amendments) SELECT ?, 'APPROVED', 'f', 'i', '[]',"
                    + " '[]', 'm', '1', 0, 0, ?, ?, ?, id, 'Clear lungs.', 'Normal.', 1 FROM app_user", study, OLD, OLD, OLD);
            for (String channel : List.of("HL7", "DICOM_SR")) {
                insert(c, "INSERT INTO outbox(draft_id, channel, revision, correction, state, next_attempt_at,"
                        + " created_at, sent_at) VALUES (?, ?, 1, FALSE, 'SENT', ?, ?, ?)", draftId, channel, OLD, OLD, OLD);
            }
        }
    }

    @org.junit.jupiter.api.AfterEach
    void close() throws Exception {
        db.close();
    }

    private static long insert(Connection c, String sql, Object... values) throws Exception {
        try (PreparedStatement ps = c.prepareStatement(sql, Statement.RETURN_GENERATED_KEYS)) {
            for (int i = 0; i < values.length; i++) {
                ps.setObject(i + 1, values[i] instanceof Instant t ? Timestamp.from(t) : values[i]);
            }
            assertEquals(1, ps.executeUpdate());
            try (ResultSet rs = ps.getGeneratedKeys()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    /** The purge removes the image; then the radiologist amends the report: one correction row per channel. */
    private long purgeThenCorrect() throws Exception {
        SpoolRetention.Result r = SpoolRetention.purge(db, home.resolve("spool"), 30, Instant.now(), false);
        assertEquals(1, r.files(), "the study's image is purged");
        assertTrue(r.studies().get(0).headerKept(), "its header is kept");
        assertFalse(Files.exists(spoolFile));
        try (Connection c = db.connection()) {
            insert(c, "INSERT INTO outbox(draft_id, channel, revision, correction, state, next_attempt_at, created_at)"
                    + " VALUES (?, 'HL7', 2, TRUE, 'PENDING', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)", draftId);
            return insert(c, "INSERT INTO outbox(draft_id, channel, revision, correction, state, next_attempt_at,"
                    + " created_at) VALUES (?, 'DICOM_SR', 2, TRUE, 'PENDING', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
                    draftId);
        }
    }

    @Test
    void aCorrectionAfterThePurgeCarriesThePatientOfThePurgedImage() throws Exception {
        PatientModule original = PatientModule.read(SOURCE);
        assertNotNull(original.id(), "the demo image names a patient");
        long srRow = purgeThenCorrect();
        FinalReport report = new FinalReports(db, home.resolve("spool")).load(new OutboxItem(srRow, draftId,
                "DICOM_SR", 2, true, 1));
        assertEquals(original, report.patient(), "HL7 PID and the FHIR subject read the kept header");
        assertEquals("ACC1", report.accessionNumber());
        assertTrue(report.correction());
    }

    @Test
    void theCorrectingSrReachesThePacsWithThePatientAndStudyOfThePurgedImage() throws Exception {
        long srRow = purgeThenCorrect();
        FinalReport report = new FinalReports(db, home.resolve("spool")).load(new OutboxItem(srRow, draftId,
                "DICOM_SR", 2, true, 1));
        Path received = home.resolve("pacs");
        int port = DaemonProcess.freePort();
        Process scp = Dcmtk.storescp(received, port);
        try {
            DicomSrSender sender = new DicomSrSender(db, new DicomSrSender.Settings(new StoreScu.Peer("127.0.0.1", port,
                    "PACS", "RADDRAFT", 5_000, 10_000, null), "", "", home.resolve("spool"), home.resolve("delivery")),
                    Clock.systemUTC());
            assertNotNull(sender.send(report));
        } finally {
            scp.destroy();
        }
        Path sr;
        try (Stream<Path> files = Files.list(received)) {
            sr = files.filter(f -> !f.getFileName().toString().endsWith(".log")).findFirst().orElseThrow();
        }
        assertEquals(PatientModule.read(SOURCE), PatientModule.read(sr), "the SR's patient module is the image's");
        assertEquals(DicomAttributes.read(SOURCE).studyInstanceUid(), Dcmtk.ok("dcmdump", "+P", "0020,000d", sr)
                .output().replaceAll("(?s).*\\[([0-9.]+)\\].*", "$1"), "the SR is filed in the purged study");
        try (Stream<Path> left = Files.list(home.resolve("delivery"))) {
            assertEquals(List.of(), left.toList(), "the restored header and the SR are deleted after sending");
        }
    }
}
