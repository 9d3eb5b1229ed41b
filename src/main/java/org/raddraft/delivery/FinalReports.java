package org.raddraft.delivery;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.Set;
import org.raddraft.dicom.PatientModule;
import org.raddraft.dicom.SourceHeader;
import org.raddraft.inference.ModelRecords;
import org.raddraft.store.Database;

/**
 * Reads what a sender needs for one outbox row from the source of truth: the approved draft (final
 * text, reviewer, time), its study, and the patient from the study's first instance in the spool (or,
 * once the purge removed it, from the header it kept in the database).
 * Read at send time, so a retry sends what the database holds now. A draft that is not approved is
 * never delivered.
 */
public class FinalReports {

    private static final Set<String> APPROVED = Set.of("APPROVED", "APPROVED_WITH_EDITS");

    private final Database db;
    private final Path spool;

    public FinalReports(Database db, Path spool) {
        this.db = db;
        this.spool = spool;
    }

    public FinalReport load(OutboxItem item) throws Exception {
        try (Connection c = db.connection()) {
            try (PreparedStatement ps = c.prepareStatement("""
                    SELECT d.state, d.study_id, s.study_instance_uid, COALESCE(d.final_findings, d.findings),
                           COALESCE(d.final_impression, d.impression), d.missing_view, d.model_name, d.model_version,
                           d.reviewed_at, u.name, m.intended_use, u.display_name
                    FROM draft d JOIN study s ON s.id = d.study_id LEFT JOIN app_user u ON u.id = d.reviewer_id
                    LEFT JOIN model m ON m.name = d.model_name AND m.version = d.model_version
                    WHERE d.id = ?""")) {
                ps.setLong(1, item.draftId());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new DeliveryException.Permanent("draft " + item.draftId() + " does not exist", null);
                    }
                    if (!APPROVED.contains(rs.getString(1))) {
                        throw new DeliveryException.Permanent("draft " + item.draftId() + " is " + rs.getString(1)
                                + ", not approved: nothing to deliver", null);
                    }
                    long studyId = rs.getLong(2);
                    Instance first = firstInstance(c, studyId);
                    PatientModule patient = SourceHeader.patientOf(spool.resolve(first.path()), first.header());
                    return new FinalReport(item.id(), item.draftId(), item.revision(), item.correction(), studyId,
                            rs.getString(3), first.accessionNumber(), first.studyDate(), rs.getString(6) != null,
                            patient, rs.getString(4), rs.getString(5), rs.getString(10),
                            rs.getString(12), rs.getObject(9, OffsetDateTime.class), rs.getString(7), rs.getString(8),
                            ModelRecords.notForClinicalUse(rs.getString(11)));
                }
            }
        }
    }

    private record Instance(String accessionNumber, String studyDate, String path, String header) {
    }

    private static Instance firstInstance(Connection c, long studyId) throws SQLException, DeliveryException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT accession_number, study_date, path, source_header FROM instance WHERE study_id = ? ORDER BY id LIMIT 1")) {
            ps.setLong(1, studyId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new DeliveryException.Permanent("study " + studyId + " has no instances", null);
                }
                return new Instance(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4));
            }
        }
    }
}
