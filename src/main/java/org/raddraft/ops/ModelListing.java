package org.raddraft.ops;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.raddraft.inference.ModelAssignments;
import org.raddraft.store.Database;

/**
 * The models known here with their slot and their agreement with the radiologists' final reports
 * ({@code raddraft admin models list}, the admin page): per model, the drafts shown and drafted in
 * shadow, and over the decisions on them the label F1, the word edit distance and the critical errors
 * (texts with a final report only), plus for the shown drafts the acceptance rate.
 */
public final class ModelListing {

    private ModelListing() {
    }

    /**
     * One model; JSON field names are what scripts rely on. Figures are null without decisions.
     *
     * @param slot         active, shadow or "" (neither now)
     * @param compared     decisions with a final text its draft was scored against
     * @param acceptance   share of its shown drafts approved without edits (null when none was shown)
     */
    public record ModelRow(String name, String version, String slot, String dir, String load_error, long drafts,
                           long shadow_drafts, long decisions, long compared, Double label_f1, Double edit_distance,
                           Long critical_errors, Double acceptance) {
    }

    public static List<ModelRow> models(Database db) throws SQLException {
        try (Connection c = db.connection()) {
            ModelAssignments.Assignment active = ModelAssignments.current(c, ModelAssignments.Slot.ACTIVE);
            ModelAssignments.Assignment shadow = ModelAssignments.current(c, ModelAssignments.Slot.SHADOW);
            Map<String, String> dirs = new LinkedHashMap<>();
            Map<String, String> errors = new LinkedHashMap<>();
            List<ModelAssignments.Assignment> history = ModelAssignments.history(c);
            for (ModelAssignments.Assignment a : history) {
                if (!a.empty()) {
                    dirs.putIfAbsent(key(a.name(), a.version()), a.dir());
                }
            }
            for (ModelAssignments.Assignment a : new ModelAssignments.Assignment[] {active, shadow}) {
                if (a != null && !a.empty() && a.loadError() != null) {
                    errors.put(key(a.name(), a.version()), a.loadError());
                }
            }
            List<ModelRow> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("""
                    SELECT m.name, m.version,
                      (SELECT COUNT(*) FROM draft d WHERE d.model_name = m.name AND d.model_version = m.version),
                      (SELECT COUNT(*) FROM shadow_draft s WHERE s.model_name = m.name AND s.model_version = m.version),
                      (SELECT COUNT(*) FROM model_agreement a WHERE a.model_name = m.name AND a.model_version = m.version),
                      (SELECT COUNT(label_f1) FROM model_agreement a WHERE a.model_name = m.name AND a.model_version = m.version),
                      (SELECT AVG(label_f1) FROM model_agreement a WHERE a.model_name = m.name AND a.model_version = m.version),
                      (SELECT AVG(edit_distance) FROM model_agreement a WHERE a.model_name = m.name AND a.model_version = m.version),
                      (SELECT SUM(critical_errors) FROM model_agreement a WHERE a.model_name = m.name AND a.model_version = m.version),
                      (SELECT AVG(CASE WHEN decision = 'APPROVED' THEN 1.0 ELSE 0.0 END) FROM model_agreement a
                        WHERE a.model_name = m.name AND a.model_version = m.version AND a.role = 'ACTIVE')
                    FROM model m ORDER BY m.first_loaded_at, m.name, m.version""")) {
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String name = rs.getString(1);
                        String version = rs.getString(2);
                        String slot = active != null && active.sameModel(name, version) ? "active"
                                : shadow != null && shadow.sameModel(name, version) ? "shadow" : "";
                        long compared = rs.getLong(6);
                        out.add(new ModelRow(name, version, slot, dirs.get(key(name, version)),
                                errors.get(key(name, version)), rs.getLong(3), rs.getLong(4), rs.getLong(5), compared,
                                compared == 0 ? null : number(rs.getObject(7)), compared == 0 ? null : number(rs.getObject(8)),
                                compared == 0 ? null : rs.getLong(9), number(rs.getObject(10))));
                    }
                }
            }
            return out;
        }
    }

    private static Double number(Object o) {
        return o == null ? null : ((Number) o).doubleValue();
    }

    private static String key(String name, String version) {
        return name + "\u0000" + version;
    }
}
