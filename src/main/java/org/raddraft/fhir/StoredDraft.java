package org.raddraft.fhir;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A draft as stored, with what its FHIR resources say about the study and the patient: the input of
 * {@link DiagnosticReportMapper}. Read in the caller's transaction, so a draft being stored is seen.
 *
 * @param modelIntendedUse the drafting model's intended_use as recorded when it was loaded (table model), null if unknown
 * @param flags      draft.flags JSON (array of org.raddraft.flags.Flag), null = no flags computed
 * @param classifier draft.classifier JSON (observation name -> probability), null without a classifier
 * @param supersededBy the draft that replaced this one, or null
 * @param supersedes   the draft this one replaced, or null
 * @param finalFindings, finalImpression the reviewed text once approved (review's columns; null before)
 * @param reviewer     the radiologist's account name once the draft is approved or rejected, else null
 * @param amendments   how many times the approved text was corrected (review's column; 0 before)
 * @param unavailable  draft.unavailable: flag codes not computed for this draft (comma-separated), null = none
 * @param unavailableReasons draft.unavailable_reasons JSON (flag code -> why), null when none were recorded
 */
record StoredDraft(long id, long studyId, String state, String findings, String impression, String missingView,
        String modelName, String modelVersion, String modelIntendedUse, Instant draftedAt, String flags, Double riskScore, int priority,
        String classifier, Long supersededBy, Long supersedes, int version, String finalFindings,
        String finalImpression, String reviewer, int amendments, String unavailable, String unavailableReasons,
        Study study) {

    /** The study as its instances describe it (values of the first instance that has them). */
    record Study(String studyInstanceUid, String accessionNumber, String studyDate, String studyDescription,
            String patientId, String issuerOfPatientId, List<Instance> instances, String patientName) {
    }

    /** This draft with the patient's name (DICOM PN, read from the study's file; null: none). */
    StoredDraft withPatientName(String name) {
        Study s = study;
        return new StoredDraft(id, studyId, state, findings, impression, missingView, modelName, modelVersion,
                modelIntendedUse, draftedAt, flags, riskScore, priority, classifier, supersededBy, supersedes, version,
                finalFindings, finalImpression, reviewer, amendments, unavailable, unavailableReasons, new Study(s.studyInstanceUid(), s.accessionNumber(),
                        s.studyDate(), s.studyDescription(), s.patientId(), s.issuerOfPatientId(), s.instances(), name));
    }

    record Instance(String seriesInstanceUid, String sopInstanceUid, String sopClassUid, String modality,
            String viewPosition) {
    }

    /** A made-up draft with every part filled in: warms the validator up at start, and tests the mapping. */
    static StoredDraft example(String state, String flags, String classifier) {
        return new StoredDraft(1, 1, state, "Mild cardiomegaly. No pleural effusion. Possible small pneumothorax.",
                "Mild cardiomegaly.", null, "example-model", "1.0.0", "Synthetic; NOT FOR CLINICAL USE.", Instant.parse("2026-01-02T03:04:05Z"), flags,
                flags == null ? null : 0.5, 0, classifier, null, null, 0, null, null,
                state.startsWith("APPROVED") || state.equals("REJECTED") ? "dr.example" : null, 0,
                flags == null ? null : "NOT_IMAGE_GROUNDED,OUT_OF_DISTRIBUTION",
                flags == null ? null : "{\"NOT_IMAGE_GROUNDED\":\"the engine cannot score prompts\"}",
                new Study("1.2.826.0.1.3680043.10.1.1", "A0001", "20260102", "XR CHEST 2 VIEWS", "EX-1", "EXAMPLE",
                        List.of(new Instance("1.2.826.0.1.3680043.10.1.1.1", "1.2.826.0.1.3680043.10.1.1.1.1",
                                        "1.2.840.10008.5.1.4.1.1.1", "CR", "PA"),
                                new Instance("1.2.826.0.1.3680043.10.1.1.2", "1.2.826.0.1.3680043.10.1.1.2.1",
                                        "1.2.840.10008.5.1.4.1.1.1", "CR", "LL")), "EXAMPLE^Pat"));
    }

    /** The draft {@code draftId}, or null when there is none. */
    static StoredDraft load(Connection c, long draftId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT d.*, s.study_instance_uid, m.intended_use AS model_intended_use,
                  (SELECT MIN(p.id) FROM draft p WHERE p.superseded_by = d.id) AS supersedes
                FROM draft d JOIN study s ON s.id = d.study_id
                LEFT JOIN model m ON m.name = d.model_name AND m.version = d.model_version
                WHERE d.id = ?""")) {
            ps.setLong(1, draftId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                Set<String> columns = columns(rs.getMetaData());
                long studyId = rs.getLong("study_id");
                return new StoredDraft(draftId, studyId, rs.getString("state"), rs.getString("findings"),
                        rs.getString("impression"), rs.getString("missing_view"), rs.getString("model_name"),
                        rs.getString("model_version"), rs.getString("model_intended_use"),
                        rs.getObject("drafted_at", OffsetDateTime.class).toInstant(),
                        rs.getString("flags"), (Double) rs.getObject("risk_score"), rs.getInt("priority"),
                        rs.getString("classifier"), (Long) rs.getObject("superseded_by"),
                        (Long) rs.getObject("supersedes"), rs.getInt("version"),
                        optional(rs, columns, "final_findings"), optional(rs, columns, "final_impression"),
                        reviewer(c, optional(rs, columns, "reviewer_id")),
                        columns.contains("amendments") ? rs.getInt("amendments") : 0,
                        optional(rs, columns, "unavailable"), optional(rs, columns, "unavailable_reasons"),
                        study(c, studyId, rs.getString("study_instance_uid")));
            }
        }
    }

    /** A column another stage adds in its migration (review's final text): null until it exists. */
    private static String optional(ResultSet rs, Set<String> columns, String name) throws SQLException {
        return columns.contains(name) ? rs.getString(name) : null;
    }

    /** The reviewer's account name (review's app_user), or null. */
    private static String reviewer(Connection c, String reviewerId) throws SQLException {
        if (reviewerId == null) {
            return null;
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT name FROM app_user WHERE id = ?")) {
            ps.setLong(1, Long.parseLong(reviewerId));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private static Set<String> columns(ResultSetMetaData md) throws SQLException {
        Set<String> names = new HashSet<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
            names.add(md.getColumnLabel(i).toLowerCase(java.util.Locale.ROOT));
        }
        return names;
    }

    private static Study study(Connection c, long studyId, String uid) throws SQLException {
        String accession = null;
        String date = null;
        String description = null;
        String patientId = null;
        String issuer = null;
        List<Instance> instances = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT series_instance_uid, sop_instance_uid, sop_class_uid, modality, view_position, accession_number,
                  study_date, study_description, patient_id, issuer_of_patient_id
                FROM instance WHERE study_id = ? ORDER BY id""")) {
            ps.setLong(1, studyId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    instances.add(new Instance(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            rs.getString(5)));
                    accession = accession != null ? accession : rs.getString(6);
                    date = date != null ? date : rs.getString(7);
                    description = description != null ? description : rs.getString(8);
                    if (patientId == null && rs.getString(9) != null) {
                        patientId = rs.getString(9);
                        issuer = rs.getString(10);
                    }
                }
            }
        }
        return new Study(uid, accession, date, description, patientId, issuer, List.copyOf(instances), null);
    }
}
