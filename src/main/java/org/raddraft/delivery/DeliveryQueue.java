package org.raddraft.delivery;

import io.micrometer.core.instrument.Metrics;
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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.processor.errorhandler.RedeliveryPolicy;
import org.raddraft.store.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outbox as the deliver route works it: due rows are claimed (their attempt counted and committed
 * before anything is sent, so a crash mid-send still counts), then settled as SENT with the peer's id,
 * RETRYING with the next attempt's time, or DEAD with the reason. A row is due when its time has come
 * and no earlier revision of the same report on the same channel is still waiting, so a correction
 * never overtakes the report it corrects.
 *
 * <p>Retries inside one attempt are Camel's redelivery (routes/deliver.yaml); this class only spaces
 * the attempts out durably, with the same exponential backoff and jitter from a Camel
 * {@link RedeliveryPolicy}, and gives up after {@code maxAttempts}.
 */
public class DeliveryQueue {

    private static final Logger log = LoggerFactory.getLogger(DeliveryQueue.class);

    private final Database db;
    private final Clock clock;
    private final int maxInFlight;
    private final int maxAttempts;
    private final RedeliveryPolicy backoff;
    /**
     * Rows being sent now (id -> channel): polls overlap, and a row waiting for its peer's answer is
     * never claimed twice. Empty after a restart, so what was in flight at a crash is due at once.
     */
    private final Map<Long, String> inFlight = new ConcurrentHashMap<>();
    /** This node (node.id) and how long its claim of a row holds (delivery.lease-seconds); see {@link #leasedBy}. */
    private String node = "local";
    private Duration lease = Duration.ofMinutes(5);

    /**
     * @param maxInFlight per channel, the most deliveries waiting for their peer's answer at once
     * @param firstRetry  wait after the first failed attempt; doubled after each further one (with ±15 % jitter)
     * @param longestWait the longest wait between two attempts
     */
    public DeliveryQueue(Database db, Clock clock, int maxInFlight, int maxAttempts, Duration firstRetry,
                         Duration longestWait) {
        this.db = db;
        this.clock = clock;
        this.maxInFlight = maxInFlight;
        this.maxAttempts = maxAttempts;
        this.backoff = new RedeliveryPolicy().redeliveryDelay(firstRetry.toMillis()).useExponentialBackOff()
                .backOffMultiplier(2).useCollisionAvoidance().maximumRedeliveryDelay(longestWait.toMillis());
    }

    private OffsetDateTime now() {
        return clock.instant().atOffset(ZoneOffset.UTC);
    }

    /**
     * Several nodes on one database (issue 25): a row is claimed as {@code node} for {@code lease}; other
     * nodes pass over it until the lease ran out (its node died or hangs), so each attempt is made by one
     * node. This node's own leases count as free (after its restart they are what was in flight at the crash;
     * while it runs, {@link #inFlight} keeps it from claiming a row twice).
     */
    public DeliveryQueue leasedBy(String node, Duration lease) {
        this.node = node;
        this.lease = lease;
        return this;
    }

    /**
     * Due rows, oldest first, each with its attempt counted; per channel no more than make up
     * {@code maxInFlight} with the rows still waiting for their peer.
     */
    public List<OutboxItem> claimDue() throws SQLException {
        List<OutboxItem> claimed = new ArrayList<>();
        for (String channel : channels()) {
            long room = maxInFlight - inFlight.values().stream().filter(channel::equals).count();
            if (room <= 0) {
                continue;
            }
            for (OutboxItem item : due(channel, (int) room)) {
                if (claim(item)) {
                    claimed.add(item);
                }
            }
        }
        return claimed;
    }

    private List<String> channels() throws SQLException {
        List<String> names = new ArrayList<>();
        try (Connection c = db.connection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT name FROM delivery_channel ORDER BY name")) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        return names;
    }

    private List<OutboxItem> due(String channel, int limit) throws SQLException {
        List<OutboxItem> due = new ArrayList<>();
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("""
                SELECT o.id, o.draft_id, o.channel, o.revision, o.correction, o.attempts FROM outbox o
                WHERE o.channel = ? AND o.state IN ('PENDING', 'RETRYING') AND o.next_attempt_at <= ?
                  AND (o.lease_until IS NULL OR o.lease_until < ? OR o.lease_node = ?)
                  AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.draft_id = o.draft_id AND e.channel = o.channel
                                  AND e.revision < o.revision AND e.state IN ('PENDING', 'RETRYING'))
                ORDER BY o.next_attempt_at, o.id LIMIT ?""")) {
            OffsetDateTime now = now();
            ps.setString(1, channel);
            ps.setObject(2, now);
            ps.setObject(3, now);
            ps.setString(4, node);
            ps.setInt(5, limit + inFlight.size());  // rows in flight are still due: skip them below
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next() && due.size() < limit) {
                    if (!inFlight.containsKey(rs.getLong(1))) {
                        due.add(new OutboxItem(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getInt(4),
                                rs.getBoolean(5), rs.getInt(6) + 1));
                    }
                }
            }
        }
        return due;
    }

    /**
     * Counts the attempt and leases the row to this node (committed before anything is sent), and marks it
     * in flight. The row is locked with {@code SELECT ... FOR UPDATE SKIP LOCKED} and its lease checked
     * again under the lock: of nodes claiming it at the same moment, one gets it, the others skip it.
     */
    private boolean claim(OutboxItem item) throws SQLException {
        if (inFlight.putIfAbsent(item.id(), item.channel()) != null) {
            return false;
        }
        OffsetDateTime now = now();
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            try {
                boolean free;
                try (PreparedStatement ps = c.prepareStatement("""
                        SELECT id FROM outbox WHERE id = ? AND state IN ('PENDING', 'RETRYING')
                          AND (lease_until IS NULL OR lease_until < ? OR lease_node = ?) FOR UPDATE SKIP LOCKED""")) {
                    ps.setLong(1, item.id());
                    ps.setObject(2, now);
                    ps.setString(3, node);
                    try (ResultSet rs = ps.executeQuery()) {
                        free = rs.next();
                    }
                }
                if (free) {
                    try (PreparedStatement ps = c.prepareStatement(
                            "UPDATE outbox SET attempts = attempts + 1, lease_node = ?, lease_until = ? WHERE id = ?")) {
                        ps.setString(1, node);
                        ps.setObject(2, now.plus(lease));
                        ps.setLong(3, item.id());
                        ps.executeUpdate();
                    }
                }
                c.commit();
                if (free) {
                    return true;
                }
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                inFlight.remove(item.id());
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
        inFlight.remove(item.id());
        return false;
    }

    /** The peer confirmed the delivery. */
    public void sent(OutboxItem item, String peerMessageId) throws SQLException {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("""
                UPDATE outbox SET state = 'SENT', sent_at = ?, peer_message_id = ?, last_error = NULL, sent_by = ?,
                  lease_node = NULL, lease_until = NULL
                WHERE id = ? AND state IN ('PENDING', 'RETRYING')""")) {
            ps.setObject(1, now());
            ps.setString(2, peerMessageId);
            ps.setString(3, node);
            ps.setLong(4, item.id());
            ps.executeUpdate();
        } finally {
            inFlight.remove(item.id());
        }
        Metrics.counter("raddraft.deliveries", "channel", item.channel(), "outcome", "sent").increment();
        log.info("outbox {} draft {} {} rev {} SENT (attempt {}) peer {}", item.id(), item.draftId(), item.channel(),
                item.revision(), item.attempts(), peerMessageId);
    }

    /**
     * An attempt failed after Camel's redeliveries: RETRYING at the next backoff time, or DEAD once
     * {@code maxAttempts} attempts have failed.
     */
    public void failed(OutboxItem item, Exception e) throws SQLException {
        if (item.attempts() >= maxAttempts) {
            dead(item, "gave up after " + item.attempts() + " attempts", e);
            return;
        }
        long wait = backoffMillis(item.attempts());
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("""
                UPDATE outbox SET state = 'RETRYING', next_attempt_at = ?, last_error = ?, lease_node = NULL, lease_until = NULL
                WHERE id = ? AND state IN ('PENDING', 'RETRYING')""")) {
            ps.setObject(1, now().plus(Duration.ofMillis(wait)));
            ps.setString(2, truncate(reason(e)));
            ps.setLong(3, item.id());
            ps.executeUpdate();
        } finally {
            inFlight.remove(item.id());
        }
        Metrics.counter("raddraft.deliveries", "channel", item.channel(), "outcome", "retrying").increment();
        log.warn("outbox {} draft {} {} rev {} RETRYING in {} ms (attempt {} of {} failed: {})", item.id(),
                item.draftId(), item.channel(), item.revision(), wait, item.attempts(), maxAttempts, summary(e));
    }

    /** The peer refused the report for good: DEAD at once, with its reason, for an admin to fix and requeue. */
    public void dead(OutboxItem item, Exception e) throws SQLException {
        dead(item, "refused", e);
    }

    private void dead(OutboxItem item, String why, Exception e) throws SQLException {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("""
                UPDATE outbox SET state = 'DEAD', last_error = ?, lease_node = NULL, lease_until = NULL WHERE id = ? AND state IN ('PENDING', 'RETRYING')""")) {
            ps.setString(1, truncate(why + ": " + reason(e)));
            ps.setLong(2, item.id());
            ps.executeUpdate();
        } finally {
            inFlight.remove(item.id());
        }
        Metrics.counter("raddraft.deliveries", "channel", item.channel(), "outcome", "dead").increment();
        log.error("outbox {} draft {} {} rev {} DEAD after attempt {}: {}: {} (raddraft admin outbox shows the peer's reason)",
                item.id(), item.draftId(), item.channel(), item.revision(), item.attempts(), why, summary(e));
    }

    /** Milliseconds to wait after the given number of failed attempts: Camel's exponential backoff with jitter. */
    long backoffMillis(int failedAttempts) {
        long previous = failedAttempts <= 1 ? 0
                : Math.min(backoff.getMaximumRedeliveryDelay(),
                        Math.round(backoff.getRedeliveryDelay() * Math.pow(2, failedAttempts - 2)));
        return backoff.calculateRedeliveryDelay(previous, failedAttempts);
    }

    /**
     * For last_error: the full reason, the peer's words included. Another exception (a library's, the
     * database's) is named by its class only: its message may quote the values it choked on, which are
     * patient data (issue 21 #6). Socket errors of the JDK keep theirs ("Connection refused").
     */
    static String reason(Exception e) {
        Throwable t = e;
        // Camel wraps a bean's exception; the sender's own exception is the reason
        while (!(t instanceof DeliveryException) && t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        if (t instanceof DeliveryException) {
            return t.getMessage();
        }
        String name = t.getClass().getSimpleName();
        if (t instanceof java.sql.SQLException sql) {
            return name + " (SQLState " + sql.getSQLState() + ")";
        }
        String pkg = t.getClass().getPackageName();
        boolean socket = pkg.equals("java.net") || pkg.equals("javax.net.ssl");
        return socket && t.getMessage() != null ? name + ": " + t.getMessage() : name;
    }

    /** For the log: our own summary only; a peer's text may quote patient data. */
    private static String summary(Exception e) {
        Throwable t = e;
        while (!(t instanceof DeliveryException) && t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t instanceof DeliveryException d ? d.summary() : reason(e);
    }

    private static String truncate(String s) {
        return s.length() > 1000 ? s.substring(0, 997) + "..." : s;
    }
}
