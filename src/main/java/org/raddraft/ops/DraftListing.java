package org.raddraft.ops;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.raddraft.flags.Flag;
import org.raddraft.store.Database;

/** Read-only view of a study's latest draft with its confidence flags ({@code raddraft admin draft}). */
public final class DraftListing {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One draft as {@code raddraft admin draft --json} prints it; field names are the JSON keys.
     *
     * @param priority    2 critical, 1 flagged, 0 routine
     * @param risk_score  0..1, null when the model had no flag calibration
     * @param classifier  observation -> probability, null without a classifier
     * @param unavailable flag codes the model could not compute
     * @param unavailable_reasons per code, why it could not be computed for this draft (remote backend; empty
     *                            where none was recorded)
     */
    public record DraftRow(long id, long study_id, String study_instance_uid, String state, String findings,
                           String impression, String model_name, String model_version, String drafted_at,
                           Double risk_score, int priority, List<Flag> flags, Map<String, Double> classifier,
                           List<String> unavailable, Map<String, String> unavailable_reasons, String missing_view) {
    }

    private DraftListing() {
    }

    /** The study's latest draft (DRAFTED before any other state), or null when it has none. */
    public static DraftRow latest(Database db, String studyInstanceUid) throws SQLException {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("""
                SELECT d.id, s.id, s.study_instance_uid, d.state, d.findings, d.impression, d.model_name,
                       d.model_version, d.drafted_at, d.risk_score, d.priority, d.flags, d.classifier, d.unavailable,
                       d.missing_view, d.unavailable_reasons
                FROM draft d JOIN study s ON s.id = d.study_id WHERE s.study_instance_uid = ?
                ORDER BY CASE WHEN d.state = 'DRAFTED' THEN 0 ELSE 1 END, d.id DESC LIMIT 1""")) {
            ps.setString(1, studyInstanceUid);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                String flags = rs.getString(12);
                String clf = rs.getString(13);
                String un = rs.getString(14);
                String why = rs.getString(16);
                try {
                    return new DraftRow(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4),
                            rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8),
                            rs.getObject(9, OffsetDateTime.class).toInstant().toString(),
                            rs.getObject(10) == null ? null : rs.getDouble(10), rs.getInt(11),
                            flags == null ? List.of() : JSON.readValue(flags, new TypeReference<List<Flag>>() { }),
                            clf == null ? null : JSON.readValue(clf, new TypeReference<Map<String, Double>>() { }),
                            un == null || un.isBlank() ? List.of() : Arrays.asList(un.split(",")),
                            why == null ? Map.of() : JSON.readValue(why, new TypeReference<TreeMap<String, String>>() { }),
                            rs.getString(15));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new SQLException("draft " + rs.getLong(1) + ": flags, classifier or unavailable_reasons column is not valid JSON: "
                            + e.getOriginalMessage(), e);
                }
            }
        }
    }
}
