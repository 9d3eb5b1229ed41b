package org.raddraft.delivery;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.raddraft.store.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outbox for admins ({@code raddraft admin outbox}) and operations (metrics, readiness): every
 * row with its state and last error, the backlog, and the requeue of DEAD rows once their cause is fixed.
 */
public final class OutboxListing {

    private static final Logger log = LoggerFactory.getLogger(OutboxListing.class);

    /** One row of {@code raddraft admin outbox --json}; field names are the JSON keys scripts rely on. */
    public record OutboxRow(long id, long draft_id, String channel, int revision, boolean correction, String state,
                            int attempts, String next_attempt_at, String last_error, String created_at,
                            String sent_at, String peer_message_id) {
    }

    /**
     * What is still to deliver and what gave up.
     *
     * @param waiting               rows PENDING or RETRYING
     * @param dead                  rows DEAD (need an admin)
     * @param oldestWaitingSeconds  age of the oldest waiting row, 0 when none waits
     */
    public record Backlog(long waiting, long dead, double oldestWaitingSeconds) {
    }

    private OutboxListing() {
    }

    public static List<OutboxRow> rows(Database db) throws SQLException {
        List<OutboxRow> rows = new ArrayList<>();
        try (Connection c = db.connection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("""
                SELECT id, draft_id, channel, revision, correction, state, attempts, next_attempt_at, last_error,
                       created_at, sent_at, peer_message_id FROM outbox ORDER BY id""")) {
            while (rs.next()) {
                rows.add(new OutboxRow(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getInt(4), rs.getBoolean(5),
                        rs.getString(6), rs.getInt(7), time(rs, 8), rs.getString(9), time(rs, 10), time(rs, 11),
                        rs.getString(12)));
            }
        }
        return rows;
    }

    private static String time(ResultSet rs, int column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant().toString();
    }

    public static Backlog backlog(Database db, Clock clock) throws SQLException {
        try (Connection c = db.connection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("""
                SELECT COUNT(CASE WHEN state IN ('PENDING', 'RETRYING') THEN 1 END),
                       COUNT(CASE WHEN state = 'DEAD' THEN 1 END),
                       MIN(CASE WHEN state IN ('PENDING', 'RETRYING') THEN created_at END) FROM outbox""")) {
            rs.next();
            OffsetDateTime oldest = rs.getObject(3, OffsetDateTime.class);
            double age = oldest == null ? 0 : Math.max(0, Duration.between(oldest.toInstant(), clock.instant()).toMillis() / 1000.0);
            return new Backlog(rs.getLong(1), rs.getLong(2), age);
        }
    }

    /**
     * An admin's requeue: DEAD rows (the one with this id, or all when null) become PENDING with fresh
     * attempts and are sent by the running daemon at its next poll. Rows in other states are left alone.
     *
     * @return the requeued rows as they were (with the error that had killed them)
     */
    public static List<OutboxRow> requeueDead(Database db, Clock clock, Long id) throws SQLException {
        List<OutboxRow> dead = rows(db).stream()
                .filter(r -> r.state().equals("DEAD") && (id == null || r.id() == id)).toList();
        List<OutboxRow> done = new ArrayList<>();
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("""
                UPDATE outbox SET state = 'PENDING', attempts = 0, next_attempt_at = ?,
                  last_error = CONCAT('requeued by an admin; it had failed: ', LEFT(last_error, 900))
                WHERE id = ? AND state = 'DEAD'""")) {
            for (OutboxRow r : dead) {
                ps.setObject(1, clock.instant().atOffset(ZoneOffset.UTC));
                ps.setLong(2, r.id());
                if (ps.executeUpdate() == 1) {
                    done.add(r);
                    log.info("outbox {} draft {} {} requeued by an admin (was DEAD)", r.id(), r.draft_id(), r.channel());
                }
            }
        }
        return done;
    }
}
