package org.raddraft.review;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.raddraft.store.Database;

/**
 * The audit trail. {@link #record} takes the caller's connection so the row commits (or rolls back)
 * with the action it records: there is no audited action without its row, and no row without it.
 */
public final class AuditLog {

    /** A stored row, as {@code /fhir/AuditEvent} and {@code raddraft admin audit} show it. */
    public record Event(long id, Instant recorded, AuditEntry entry) {
    }

    private final Clock clock;

    public AuditLog(Clock clock) {
        this.clock = clock;
    }

    public void record(Connection c, AuditEntry e) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO audit_event (recorded_at, user_id, user_name, role, acting_for, action, entity_type,
                    entity_id, study_id, draft_id, outcome, source_ip, detail)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
            // every text cut to its column: a value from the request (a 150-character login name, a
            // long refused path) must never make the row, and with it the action, fail
            ps.setObject(1, clock.instant().atOffset(ZoneOffset.UTC));
            setLong(ps, 2, e.userId());
            ps.setString(3, fit(e.userName(), 100));
            ps.setString(4, fit(e.role(), 20));
            ps.setString(5, fit(e.actingFor(), 100));
            ps.setString(6, fit(e.action(), 40));
            ps.setString(7, fit(e.entityType(), 40));
            ps.setString(8, fit(e.entityId(), 100));
            setLong(ps, 9, e.studyId());
            setLong(ps, 10, e.draftId());
            ps.setString(11, e.outcome());
            ps.setString(12, fit(e.sourceIp(), 64));
            ps.setString(13, fit(e.detail(), 1000));
            ps.executeUpdate();
        }
    }

    /** {@code s} cut to {@code max} characters, the cut marked with "...". */
    static String fit(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max - 3) + "...";
    }

    /**
     * One row per draft read, with its study, in one transaction: the caller sends the response only
     * after this returned, so nothing is served that is not in the trail.
     */
    public void recordReads(Database db, AuditEntry template, java.util.Collection<Long> draftIds) throws SQLException {
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            for (long id : draftIds) {
                Long studyId = null;
                try (PreparedStatement ps = c.prepareStatement("SELECT study_id FROM draft WHERE id = ?")) {
                    ps.setLong(1, id);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            studyId = rs.getLong(1);
                        }
                    }
                }
                AuditEntry e = new AuditEntry(template.userId(), template.userName(), template.role(),
                        template.actingFor(), template.action(), "DiagnosticReport", String.valueOf(id), studyId,
                        studyId == null ? null : id, template.outcome(), template.sourceIp(), template.detail());
                record(c, e);
            }
            c.commit();
        }
    }

    /** {@link #record} in a transaction of its own, for events that change nothing else (a refused request). */
    public void record(Database db, AuditEntry e) throws SQLException {
        try (Connection c = db.connection()) {
            record(c, e);
        }
    }

    /** A refused request of an authenticated caller, in a transaction of its own. */
    public void refused(Database db, Principal p, String actingFor, String sourceIp, String action, String entityType,
            String entityId, String why) throws SQLException {
        record(db, AuditEntry.request(p, actingFor, sourceIp, action, entityType, entityId)
                .outcome(AuditEntry.MINOR_FAILURE, "refused: " + why));
    }

    /** Search criteria of /fhir/AuditEvent; null = any. */
    public record Query(String action, String userName, Long studyId, Long draftId, Instant from, Instant to,
            int limit) {
    }

    public static List<Event> search(Database db, Query q) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT * FROM audit_event WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        where(sql, args, "action = ?", q.action());
        where(sql, args, "user_name = ?", q.userName());
        where(sql, args, "study_id = ?", q.studyId());
        where(sql, args, "draft_id = ?", q.draftId());
        where(sql, args, "recorded_at >= ?", q.from() == null ? null : q.from().atOffset(ZoneOffset.UTC));
        where(sql, args, "recorded_at < ?", q.to() == null ? null : q.to().atOffset(ZoneOffset.UTC));
        sql.append(" ORDER BY id LIMIT ").append(q.limit());
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < args.size(); i++) {
                ps.setObject(i + 1, args.get(i));
            }
            return events(ps);
        }
    }

    public static Event byId(Database db, long id) throws SQLException {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(
                "SELECT * FROM audit_event WHERE id = ?")) {
            ps.setLong(1, id);
            List<Event> found = events(ps);
            return found.isEmpty() ? null : found.get(0);
        }
    }

    private static void where(StringBuilder sql, List<Object> args, String clause, Object value) {
        if (value != null) {
            sql.append(" AND ").append(clause);
            args.add(value);
        }
    }

    private static List<Event> events(PreparedStatement ps) throws SQLException {
        List<Event> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new Event(rs.getLong("id"), rs.getObject("recorded_at", OffsetDateTime.class).toInstant(),
                        new AuditEntry(getLong(rs, "user_id"), rs.getString("user_name"), rs.getString("role"),
                                rs.getString("acting_for"), rs.getString("action"), rs.getString("entity_type"),
                                rs.getString("entity_id"), getLong(rs, "study_id"), getLong(rs, "draft_id"),
                                rs.getString("outcome"), rs.getString("source_ip"), rs.getString("detail"))));
            }
        }
        return out;
    }

    static void setLong(PreparedStatement ps, int i, Long v) throws SQLException {
        if (v == null) {
            ps.setNull(i, Types.BIGINT);
        } else {
            ps.setLong(i, v);
        }
    }

    static Long getLong(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }
}
