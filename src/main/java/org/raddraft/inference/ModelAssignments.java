package org.raddraft.inference;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.raddraft.store.Database;

/**
 * Which model drafts what radiologists see (slot ACTIVE) and which drafts the same studies unseen
 * beside it (slot SHADOW), as rows of {@code model_assignment}: the newest row of a slot is in force.
 * The admin command writes a row (shadow, promote, rollback) in the transaction of its audit entry;
 * the running daemon ({@link ModelSlots}) reads the newest rows before each drafting batch.
 */
public final class ModelAssignments {

    /** The two places a model can be in. */
    public enum Slot { ACTIVE, SHADOW }

    /**
     * One assignment.
     *
     * @param name      null when the row empties the slot (shadow off)
     * @param loadError why the daemon could not load the model this row names, or null
     */
    public record Assignment(long id, Slot slot, String name, String version, String dir, String action,
                             String assignedBy, OffsetDateTime assignedAt, String loadError) {

        public boolean empty() {
            return name == null;
        }

        /** Whether it names the same model (name and version) as {@code other}. */
        public boolean sameModel(String otherName, String otherVersion) {
            return name != null && name.equals(otherName) && version.equals(otherVersion);
        }
    }

    private ModelAssignments() {
    }

    private static final String COLUMNS = """
            SELECT id, slot, model_name, model_version, model_dir, action, assigned_by, assigned_at, load_error
            FROM model_assignment""";

    /** The row in force for {@code slot}, or null when the slot was never assigned. */
    public static Assignment current(Connection c, Slot slot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(COLUMNS + " WHERE slot = ? ORDER BY id DESC LIMIT 1")) {
            ps.setString(1, slot.name());
            List<Assignment> rows = rows(ps);
            return rows.isEmpty() ? null : rows.get(0);
        }
    }

    /** Every assignment, newest first. */
    public static List<Assignment> history(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(COLUMNS + " ORDER BY id DESC")) {
            return rows(ps);
        }
    }

    /**
     * The model active before the current one (what a rollback returns to): the newest ACTIVE row that
     * names another model than the current ACTIVE row; null when there was none.
     */
    public static Assignment previousActive(Connection c) throws SQLException {
        Assignment now = current(c, Slot.ACTIVE);
        if (now == null) {
            return null;
        }
        for (Assignment a : history(c)) {
            if (a.slot() == Slot.ACTIVE && !a.empty() && !a.sameModel(now.name(), now.version())) {
                return a;
            }
        }
        return null;
    }

    /** The newest row naming a model of this version with its directory (to promote it), or null. */
    public static Assignment byVersion(Connection c, String version) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(COLUMNS
                + " WHERE model_version = ? AND model_dir IS NOT NULL ORDER BY id DESC LIMIT 1")) {
            ps.setString(1, version);
            List<Assignment> rows = rows(ps);
            return rows.isEmpty() ? null : rows.get(0);
        }
    }

    /** Writes a new row for {@code slot} in the caller's transaction; name null empties the slot. */
    public static Assignment assign(Connection c, Slot slot, String name, String version, String dir, String action,
            String by, Clock clock) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO model_assignment (slot, model_name, model_version, model_dir, action, assigned_by, assigned_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)""", new String[] {"id"})) {
            OffsetDateTime at = OffsetDateTime.now(clock);
            ps.setString(1, slot.name());
            ps.setString(2, name);
            ps.setString(3, version);
            ps.setString(4, dir);
            ps.setString(5, action);
            ps.setString(6, by);
            ps.setObject(7, at);
            ps.executeUpdate();
            try (ResultSet rs = ps.getGeneratedKeys()) {
                rs.next();
                return new Assignment(rs.getLong(1), slot, name, version, dir, action, by, at, null);
            }
        }
    }

    /**
     * At start: the configured model ({@code model.dir}) is ACTIVE unless a promotion or rollback chose
     * another since this configuration was last seen. A changed {@code model.dir} wins over an earlier
     * promotion (the admin edited the configuration after it). Returns the ACTIVE row in force.
     */
    public static Assignment atStart(Database db, String name, String version, String dir, Clock clock)
            throws SQLException {
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            Assignment configured = null;
            for (Assignment a : history(c)) {
                if (a.slot() == Slot.ACTIVE && a.action().equals("configured")) {
                    configured = a;
                    break;
                }
            }
            Assignment now = current(c, Slot.ACTIVE);
            if (configured == null || !dir.equals(configured.dir()) || !configured.sameModel(name, version)) {
                now = assign(c, Slot.ACTIVE, name, version, dir, "configured", "config:model.dir", clock);
            }
            c.commit();
            return now;
        }
    }

    /** The daemon could not load the model this row names: the reason, for {@code raddraft admin models list}. */
    public static void loadFailed(Database db, long id, String why) throws SQLException {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(
                "UPDATE model_assignment SET load_error = ? WHERE id = ?")) {
            ps.setString(1, why.length() > 500 ? why.substring(0, 500) : why);
            ps.setLong(2, id);
            ps.executeUpdate();
        }
    }

    private static List<Assignment> rows(PreparedStatement ps) throws SQLException {
        List<Assignment> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new Assignment(rs.getLong(1), Slot.valueOf(rs.getString(2)), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getString(6), rs.getString(7), rs.getObject(8, OffsetDateTime.class),
                        rs.getString(9)));
            }
        }
        return out;
    }
}
