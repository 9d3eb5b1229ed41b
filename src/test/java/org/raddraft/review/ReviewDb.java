package org.raddraft.review;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import org.raddraft.store.Database;

/** A real H2 file database (migrated by Flyway) with studies and drafts written as the drafting stage writes them. */
final class ReviewDb {

    private ReviewDb() {
    }

    static Database open(Path dir) {
        return Database.open("jdbc:h2:file:" + dir.resolve("db") + ";WRITE_DELAY=0", "raddraft", "");
    }

    /** A DRAFTED draft of a new study; returns the draft id. */
    static long draft(Database db, String uid, String findings, String impression) throws SQLException {
        Instant now = Instant.parse("2026-12-01T09:00:00Z");
        try (Connection c = db.connection()) {
            long study;
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO study (study_instance_uid, state, first_instance_at, last_instance_at, state_changed_at)
                    VALUES (?, 'DRAFTED', ?, ?, ?)""", new String[] {"id"})) {
                ps.setString(1, uid);
                for (int i = 2; i <= 4; i++) {
                    ps.setObject(i, now.atOffset(ZoneOffset.UTC));
                }
                ps.executeUpdate();
                study = key(ps);
            }
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO draft (study_id, state, findings, impression, token_ids, token_logprobs, model_name,
                        model_version, preprocess_ms, generate_ms, stable_at, drafted_at, flags)
                    VALUES (?, 'DRAFTED', ?, ?, '[]', '[]', 'reference-cxr', '2.2.0', 1, 1, ?, ?, '[]')""",
                    new String[] {"id"})) {
                ps.setLong(1, study);
                ps.setString(2, findings);
                ps.setString(3, impression);
                ps.setObject(4, now.atOffset(ZoneOffset.UTC));
                ps.setObject(5, now.atOffset(ZoneOffset.UTC));
                ps.executeUpdate();
                return key(ps);
            }
        }
    }

    private static long key(PreparedStatement ps) throws SQLException {
        try (ResultSet k = ps.getGeneratedKeys()) {
            k.next();
            return k.getLong(1);
        }
    }

    static Object value(Database db, String sql, Object... args) throws SQLException {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                Object v = rs.getObject(1);
                return v instanceof java.sql.Clob ? rs.getString(1) : v;
            }
        }
    }

    static long count(Database db, String sql, Object... args) throws SQLException {
        return ((Number) value(db, sql, args)).longValue();
    }
}
