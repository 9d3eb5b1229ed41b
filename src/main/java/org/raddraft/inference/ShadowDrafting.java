package org.raddraft.inference;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.raddraft.store.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drafts studies with the shadow model after the active model has drafted and stored them, on one
 * low-priority thread of its own, so the active draft never waits for it. Bounded: a study is skipped
 * (and counted) when {@code shadow.max-queue} studies already wait, or when its turn comes more than
 * {@code shadow.max-delay-seconds} after it was offered. What it drafts goes to {@code shadow_draft},
 * never to {@code draft}: it is not served, listed or delivered.
 */
public final class ShadowDrafting implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ShadowDrafting.class);

    private final Database db;
    private final Clock clock;
    private final int maxQueue;
    private final Duration maxDelay;
    private final LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
    private final ExecutorService worker;
    private final Counter drafted = Metrics.counter("raddraft.shadow.drafts", "outcome", "drafted");
    private final Counter skippedFull = Metrics.counter("raddraft.shadow.drafts", "outcome", "skipped_queue_full");
    private final Counter skippedLate = Metrics.counter("raddraft.shadow.drafts", "outcome", "skipped_late");
    private final Counter failed = Metrics.counter("raddraft.shadow.drafts", "outcome", "failed");

    public ShadowDrafting(Database db, Clock clock, int maxQueue, Duration maxDelay) {
        this.db = db;
        this.clock = clock;
        this.maxQueue = maxQueue;
        this.maxDelay = maxDelay;
        this.worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, queue, r -> {
            Thread t = new Thread(r, "shadow-drafting");
            t.setDaemon(true);
            t.setPriority(Thread.MIN_PRIORITY);
            return t;
        });
    }

    /** Queues each study for the shadow model, or skips it (counted) when too many wait. Called by the drafting thread. */
    void offer(List<StudyImages> studies, ModelSlots.Loaded model) {
        for (StudyImages s : studies) {
            if (queue.size() >= maxQueue) {
                skippedFull.increment();
                log.info("shadow: study {} not drafted by {} {}: {} studies wait already (shadow.max-queue)", s.studyId(),
                        model.name(), model.version(), queue.size());
                continue;
            }
            long offeredAt = clock.millis();
            worker.execute(() -> draft(s, model, offeredAt));
        }
    }

    /** Closes a model that left the shadow slot once the studies queued for it are done. */
    void retire(Drafter drafter) {
        worker.execute(drafter::close);
    }

    private void draft(StudyImages study, ModelSlots.Loaded model, long offeredAt) {
        long waited = clock.millis() - offeredAt;
        if (waited > maxDelay.toMillis()) {
            skippedLate.increment();
            log.info("shadow: study {} not drafted by {} {}: its turn came {} s after the active draft"
                    + " (shadow.max-delay-seconds)", study.studyId(), model.name(), model.version(), waited / 1000);
            return;
        }
        try {
            Long shown = shownDraft(study.studyId());
            if (shown == null) {
                return; // superseded or failed meanwhile: nothing to compare with
            }
            long t0 = System.nanoTime();
            DraftOutcome o = model.drafter().draft(List.of(study)).get(0);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (!o.ok()) {
                failed.increment();
                log.info("shadow: {} {} could not draft study {}: {}", model.name(), model.version(), study.studyId(),
                        o.failure());
                return;
            }
            store(study.studyId(), shown, o.draft(), ms);
            drafted.increment();
            log.info("study {} drafted in shadow by {} {} in {} ms (not shown)", study.studyId(), model.name(),
                    model.version(), ms);
        } catch (Exception e) {
            failed.increment();
            log.warn("shadow: drafting study {} with {} {} failed: {}", study.studyId(), model.name(), model.version(),
                    DraftQueue.modelError(e));
        }
    }

    private Long shownDraft(long studyId) throws SQLException {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(
                "SELECT id FROM draft WHERE study_id = ? AND state = 'DRAFTED' ORDER BY id DESC LIMIT 1")) {
            ps.setLong(1, studyId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : null;
            }
        }
    }

    private void store(long studyId, long shownDraftId, Draft d, long ms) throws SQLException {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("""
                INSERT INTO shadow_draft (study_id, active_draft_id, model_name, model_version, findings, impression,
                  generate_ms, drafted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""")) {
            ps.setLong(1, studyId);
            ps.setLong(2, shownDraftId);
            ps.setString(3, d.modelName());
            ps.setString(4, d.modelVersion());
            ps.setString(5, d.findings());
            ps.setString(6, d.impression());
            ps.setLong(7, ms);
            ps.setObject(8, OffsetDateTime.now(clock));
            ps.executeUpdate();
        }
    }

    @Override
    public void close() {
        worker.shutdown();
        try {
            if (!worker.awaitTermination(30, TimeUnit.SECONDS)) {
                worker.shutdownNow();
            }
        } catch (InterruptedException e) {
            worker.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
