package org.raddraft.delivery;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Metrics;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import org.raddraft.store.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outbox as operations watch it: waiting and DEAD rows and the age of the oldest waiting one, as
 * Prometheus gauges ({@code raddraft_outbox_waiting}, {@code raddraft_outbox_dead},
 * {@code raddraft_outbox_oldest_waiting_seconds}) and as the readiness verdict: not ready while a
 * report has waited longer than {@code maxBacklog} (a peer down for that long needs someone).
 * DEAD rows are counted, not a readiness failure: they wait for an admin, the daemon is fine.
 */
public final class OutboxGauges {

    private static final Logger log = LoggerFactory.getLogger(OutboxGauges.class);

    private final Database db;
    private final Clock clock;
    private final Duration maxBacklog;
    private volatile OutboxListing.Backlog last = new OutboxListing.Backlog(0, 0, 0);
    private volatile long lastAt;

    public OutboxGauges(Database db, Clock clock, Duration maxBacklog) {
        this.db = db;
        this.clock = clock;
        this.maxBacklog = maxBacklog;
        Gauge.builder("raddraft.outbox.waiting", this, g -> g.backlog().waiting())
                .description("deliveries PENDING or RETRYING").register(Metrics.globalRegistry);
        Gauge.builder("raddraft.outbox.dead", this, g -> g.backlog().dead())
                .description("deliveries DEAD (need an admin: raddraft admin outbox)").register(Metrics.globalRegistry);
        Gauge.builder("raddraft.outbox.oldest.waiting", this, g -> g.backlog().oldestWaitingSeconds())
                .baseUnit("seconds").description("age of the oldest delivery not yet confirmed by its peer")
                .register(Metrics.globalRegistry);
    }

    /** The backlog, read at most once a second (one scrape reads three gauges). */
    public OutboxListing.Backlog backlog() {
        long now = clock.millis();
        if (now - lastAt >= 1000) {
            try {
                last = OutboxListing.backlog(db, clock);
                lastAt = now;
            } catch (SQLException e) {
                log.warn("outbox backlog unreadable: {}", e.getMessage());
            }
        }
        return last;
    }

    /** Ready unless a delivery has waited longer than the configured backlog limit. */
    public boolean ready(OutboxListing.Backlog b) {
        return b.oldestWaitingSeconds() <= maxBacklog.toSeconds();
    }
}
