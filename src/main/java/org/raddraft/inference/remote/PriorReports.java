package org.raddraft.inference.remote;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import org.raddraft.store.Database;

/**
 * The patient's earlier report approved in RadDraft, for a prompt's {@code {{prior_report}}}: the most
 * recent other study of the same Patient ID (and Issuer) whose draft a radiologist approved (the
 * reviewed text when it was edited), and how long before the study it was, as an interval ("3 months"),
 * never a date. Not scrubbed here: the caller scrubs it with the study's identifiers.
 */
public final class PriorReports {

    /** @param text FINDINGS: ... IMPRESSION: ...; @param interval e.g. "3 months", "the same day" */
    public record Prior(String text, String interval) {
    }

    private final Database db;

    public PriorReports(Database db) {
        this.db = db;
    }

    /** The prior of study {@code studyId}, or null when the patient has none (or the study has no Patient ID). */
    public Prior find(long studyId) throws SQLException {
        try (Connection c = db.connection()) {
            String patient;
            String issuer;
            String date;
            OffsetDateTime received;
            try (PreparedStatement ps = c.prepareStatement("""
                    SELECT i.patient_id, i.issuer_of_patient_id, i.study_date, s.first_instance_at
                    FROM instance i JOIN study s ON s.id = i.study_id
                    WHERE i.study_id = ? AND i.patient_id IS NOT NULL ORDER BY i.id FETCH FIRST 1 ROWS ONLY""")) {
                ps.setLong(1, studyId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return null;
                    }
                    patient = rs.getString(1);
                    issuer = rs.getString(2);
                    date = rs.getString(3);
                    received = rs.getObject(4, OffsetDateTime.class);
                }
            }
            try (PreparedStatement ps = c.prepareStatement("""
                    SELECT d.findings, d.impression, d.final_findings, d.final_impression,
                      (SELECT MIN(i2.study_date) FROM instance i2 WHERE i2.study_id = s.id) AS study_date,
                      s.first_instance_at
                    FROM draft d JOIN study s ON s.id = d.study_id
                    WHERE d.state IN ('APPROVED', 'APPROVED_WITH_EDITS') AND s.id <> ?
                      AND EXISTS (SELECT 1 FROM instance i WHERE i.study_id = s.id AND i.patient_id = ?
                                  AND COALESCE(i.issuer_of_patient_id, '') = COALESCE(?, ''))
                    ORDER BY COALESCE((SELECT MIN(i3.study_date) FROM instance i3 WHERE i3.study_id = s.id), '') DESC,
                      s.first_instance_at DESC""")) {
                ps.setLong(1, studyId);
                ps.setString(2, patient);
                ps.setString(3, issuer);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        LocalDate then = day(rs.getString(5), rs.getObject(6, OffsetDateTime.class));
                        LocalDate now = day(date, received);
                        if (then.isAfter(now)) {
                            continue; // a later study of the patient is not a prior
                        }
                        String f = rs.getString(3) != null ? rs.getString(3) : rs.getString(1);
                        String i = rs.getString(4) != null ? rs.getString(4) : rs.getString(2);
                        return new Prior("FINDINGS: " + f.strip() + "\nIMPRESSION: " + i.strip(),
                                interval(ChronoUnit.DAYS.between(then, now)));
                    }
                }
            }
        }
        return null;
    }

    private static LocalDate day(String yyyymmdd, OffsetDateTime fallback) {
        if (yyyymmdd != null) {
            try {
                return LocalDate.parse(yyyymmdd.strip(), DateTimeFormatter.BASIC_ISO_DATE);
            } catch (DateTimeParseException e) {
                // an odd Study Date: the receipt time tells the interval well enough
            }
        }
        return fallback.toLocalDate();
    }

    /** Days as a reader says them: "the same day", "5 days", "3 weeks", "4 months", "2 years". */
    static String interval(long days) {
        if (days <= 0) {
            return "the same day";
        }
        if (days < 14) {
            return days + (days == 1 ? " day" : " days");
        }
        if (days < 60) {
            return (days / 7) + " weeks";
        }
        if (days < 730) {
            long m = Math.round(days / 30.44);
            return m + " months";
        }
        return (days / 365) + " years";
    }
}
