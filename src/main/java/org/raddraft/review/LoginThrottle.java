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
 * Slows down password guessing, per account name and per client address: after {@code free}
 * failures each further failure doubles the wait (1 s, 2 s, 4 s ... at most {@link #MAX_WAIT})
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

    /** How long {@code subject} must still wait; zero when it may try now. */
    Duration wait(Connection c, String subject) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT blocked_until FROM login_throttle WHERE subject = ?")) {
            ps.setString(1, subject);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Duration.ZERO;
                }
                Duration left = Duration.between(clock.instant(), rs.getObject(1, OffsetDateTime.class).toInstant());
                return left.isNegative() ? Duration.ZERO : left;
            }
        }
    }

    /** Counts a failure; returns the wait it imposes. */
    Duration failed(Connection c, String subject, int free) throws SQLException {
        Instant now = clock.instant();
        int failures = 0;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT failures, last_failure_at FROM login_throttle WHERE subject = ?")) {
            ps.setString(1, subject);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && rs.getObject(2, OffsetDateTime.class).toInstant().plus(FORGET_AFTER).isAfter(now)) {
                    failures = rs.getInt(1);
                }
            }
        }
        failures++;
        Duration wait = waitAfter(failures, free);
        try (PreparedStatement ps = c.prepareStatement(
                "MERGE INTO login_throttle (subject, failures, last_failure_at, blocked_until) KEY (subject) VALUES (?, ?, ?, ?)")) {
            ps.setString(1, subject);
            ps.setInt(2, failures);
            ps.setObject(3, now.atOffset(ZoneOffset.UTC));
            ps.setObject(4, now.plus(wait).atOffset(ZoneOffset.UTC));
            ps.executeUpdate();
        }
        return wait;
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
