package org.raddraft.ops;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.raddraft.ingest.StudyState;
import org.raddraft.store.Database;

/** Read-only views of the study table for admins ({@code raddraft admin studies}) and metrics. */
public final class StudyListing {

    /** One row of {@code raddraft admin studies --json}; field names are the JSON keys scripts rely on. */
    public record StudyRow(long id, String study_instance_uid, String state, int instances, String reason,
            int reopened, String last_instance_at) {
    }

    private StudyListing() {
    }

    public static List<StudyRow> studies(Database db) throws SQLException {
        List<StudyRow> rows = new ArrayList<>();
        try (Connection c = db.connection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("""
                SELECT s.id, s.study_instance_uid, s.state, COUNT(i.id), s.reason, s.reopened, s.last_instance_at
                FROM study s LEFT JOIN instance i ON i.study_id = s.id
                GROUP BY s.id ORDER BY s.id""")) {
            while (rs.next()) {
                rows.add(new StudyRow(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getString(5),
                        rs.getInt(6), rs.getObject(7, OffsetDateTime.class).toInstant().toString()));
            }
        }
        return rows;
    }

    /** A spool file start-up recovery moved aside ({@code raddraft admin studies}); paths relative to the spool. */
    public record QuarantinedFile(long id, String original_path, String quarantine_path, String reason,
            String quarantined_at) {
    }

    public static List<QuarantinedFile> quarantined(Database db) throws SQLException {
        List<QuarantinedFile> rows = new ArrayList<>();
        try (Connection c = db.connection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("""
                SELECT id, original_path, quarantine_path, reason, quarantined_at FROM quarantined_file ORDER BY id""")) {
            while (rs.next()) {
                rows.add(new QuarantinedFile(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getObject(5, OffsetDateTime.class).toInstant().toString()));
            }
        }
        return rows;
    }

    public static Map<StudyState, Long> countsByState(Database db) throws SQLException {
        Map<StudyState, Long> counts = new EnumMap<>(StudyState.class);
        for (StudyState s : StudyState.values()) {
            counts.put(s, 0L);
        }
        try (Connection c = db.connection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT state, COUNT(*) FROM study GROUP BY state")) {
            while (rs.next()) {
                counts.put(StudyState.valueOf(rs.getString(1)), rs.getLong(2));
            }
        }
        return counts;
    }
}
