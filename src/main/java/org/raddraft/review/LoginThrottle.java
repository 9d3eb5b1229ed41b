package org.raddraft.review;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Slows down password guessing, per account name and per client address: every attempt counts as a
 * failure from the moment it starts ({@link #attempt}, committed before the password is hashed) until
 * it succeeds. After {@code free} failures each further one doubles the wait (1 s, 2 s, 4 s ... at most {@link #MAX_WAIT})
 * during which attempts are refused without looking at the password. Kept in the database so a
 * restart does not reset it; a failure older than {@link #FORGET_AFTER} starts the count again.
 */
final class LoginThrottle {

    static final int FREE_PER_USER = 3;
    static final int FREE_PER_ADDRESS = 10;
    static final Duration MAX_WAIT = Duration.ofMinutes(15);
    static final Duration FORGET_AFTER = Duration.ofHours(1);

    private final Clock clock;

    LoginThrottle(Clock clock) {
        this.clock = clock;
    }

    static String user(String name) {
        return "user:" + name;
    }

    static String address(String ip) {
        return "ip:" + ip;
    }

    /**
     * Counts an attempt of {@code subject} unless it must still wait: returns zero when the attempt may
     * go ahead (then counted as a failure until {@link #succeeded} or {@link #uncount}), else how long
     * is left (nothing counted). The row is locked for the caller's transaction, so parallel attempts
     * are counted one after another; commit before checking the password, so that the count stays.
     */
    Duration attempt(Connection c, String subject, int free) throws SQLException {
        Instant now = clock.instant();
        lockedRow(c, subject);
        int failures;
        Instant last;
        Instant blockedUntil;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT failures, last_failure_at, blocked_until FROM login_throttle WHERE subject = ? FOR UPDATE")) {
            ps.setString(1, subject);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                failures = rs.getInt(1);
                last = rs.getObject(2, OffsetDateTime.class).toInstant();
                blockedUntil = rs.getObject(3, OffsetDateTime.class).toInstant();
            }
        }
        if (now.isBefore(blockedUntil)) {
            return Duration.between(now, blockedUntil);
        }
        failures = (last.plus(FORGET_AFTER).isAfter(now) ? failures : 0) + 1;
        set(c, subject, failures, now, now.plus(waitAfter(failures, free)));
        return Duration.ZERO;
    }

    /** Makes sure the row exists (a new one counts nothing yet); a parallel insert of it is fine. */
    private static void lockedRow(Connection c, String subject) throws SQLException {
        for (int tries = 0; ; tries++) {
            // PostgreSQL aborts the caller's transaction at a failed statement: the MERGE runs in a savepoint
            java.sql.Savepoint before = c.getAutoCommit() ? null : c.setSavepoint();
            try (PreparedStatement ps = c.prepareStatement("""
                    MERGE INTO login_throttle t USING (VALUES (CAST(? AS VARCHAR(200)))) v(subject)
                    ON t.subject = v.subject
                    WHEN NOT MATCHED THEN INSERT (subject, failures, last_failure_at, blocked_until)
                    VALUES (v.subject, 0, ?, ?)""")) {
                // a new row: no failure yet, blocked never (not "until now": the column's rounding may
                // put that a microsecond after the caller's now)
                ps.setString(1, subject);
                ps.setObject(2, Instant.EPOCH.atOffset(ZoneOffset.UTC));
                ps.setObject(3, Instant.EPOCH.atOffset(ZoneOffset.UTC));
                ps.executeUpdate();
                return;
            } catch (SQLException e) {
                if (!"23505".equals(e.getSQLState()) || tries > 0) {
                    throw e;
                }
                if (before != null) {
                    c.rollback(before);
                }
            }
        }
    }

    private static void set(Connection c, String subject, int failures, Instant last, Instant blockedUntil)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE login_throttle SET failures = ?, last_failure_at = ?, blocked_until = ? WHERE subject = ?")) {
            ps.setInt(1, failures);
            ps.setObject(2, last.atOffset(ZoneOffset.UTC));
            ps.setObject(3, blockedUntil.atOffset(ZoneOffset.UTC));
            ps.setString(4, subject);
            ps.executeUpdate();
        }
    }

    /** Takes back one counted attempt (it succeeded); the wait it may have started stays. */
    void uncount(Connection c, String subject) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE login_throttle SET failures = GREATEST(failures - 1, 0) WHERE subject = ?")) {
            ps.setString(1, subject);
            ps.executeUpdate();
        }
    }

    static Duration waitAfter(int failures, int free) {
        if (failures <= free) {
            return Duration.ZERO;
        }
        int doublings = Math.min(failures - free - 1, 20);
        Duration d = Duration.ofSeconds(1L << doublings);
        return d.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : d;
    }

    void succeeded(Connection c, String subject) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM login_throttle WHERE subject = ?")) {
            ps.setString(1, subject);
            ps.executeUpdate();
        }
    }
}
