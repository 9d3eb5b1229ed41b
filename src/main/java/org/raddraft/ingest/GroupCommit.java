package org.raddraft.ingest;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Metrics;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of instance rows (issue 24): every association hands its instance here, and one
 * thread applies whatever has queued up meanwhile in one transaction — each instance's row and rename
 * under a savepoint of its own, so that one refused instance (a duplicate, a failed rename) leaves the
 * others in the batch — then fsyncs the directories the renames changed, once for the batch, then
 * commits once. Only then does {@link #run} return to the caller, which answers C-STORE success: no
 * instance is acknowledged before its file is under its final name on disk and its row committed.
 *
 * <p>Before, each association ran its own transaction: with several associations sending one study they
 * queued on that study's row lock, each holding it through its file's fsync, and every instance paid a
 * commit of its own. Here the fsync of the content stays on the association's side (in parallel, before
 * the instance is queued); what is serialised is short database work, and what used to be one commit
 * and one directory fsync per instance becomes one per batch. Batches form by themselves: while one is
 * committed, the next one queues; an instance on an idle daemon is written at once, without waiting.
 */
final class GroupCommit {

    private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);
    /** The most instances in one transaction (one batch's rows stay small next to the H2 cache). */
    static final int MAX_BATCH = 256;
    /** An idle writer thread ends after this long; the next instance starts another. */
    private static final long IDLE_SECONDS = 30;

    /** Where the writer gets its connection for a batch ({@code Database::connection}). */
    @FunctionalInterface
    interface ConnectionSource {
        Connection get() throws SQLException;
    }

    /** One instance's share of a batch, run inside the batch's transaction. */
    @FunctionalInterface
    interface Item {
        /**
         * @param changedDirs add each directory whose entries this item changed (fsync'd before the commit)
         * @throws Exception refuses this item only: its statements are rolled back to its savepoint, and
         *                   the exception is what {@link #run} throws to its caller
         */
        void apply(Connection c, Set<Path> changedDirs) throws Exception;
    }

    private record Request(Item item, CompletableFuture<Void> done) {
    }

    private final ConnectionSource connections;
    private final DirectorySyncer retry;
    private final LinkedBlockingQueue<Request> queue = new LinkedBlockingQueue<>();
    private final DistributionSummary batchSizes = DistributionSummary.builder("raddraft.instances.commit.batch")
            .description("instances written per commit by the ingest's group commit").register(Metrics.globalRegistry);
    private boolean running;

    /** @param retry takes the directories whose fsync failed, to try again (the batch itself fails) */
    GroupCommit(ConnectionSource connections, DirectorySyncer retry) {
        this.connections = connections;
        this.retry = retry;
    }

    /**
     * Queues {@code item} and returns once the batch it joined is committed and its directories
     * fsync'd; throws what the item threw, or what failed the whole batch.
     */
    void run(Item item) throws Exception {
        Request r = new Request(item, new CompletableFuture<>());
        queue.add(r);
        synchronized (this) {
            if (!running) {
                running = true;
                Thread t = new Thread(this::drain, "instance-writer");
                t.setDaemon(true);
                t.start();
            }
        }
        try {
            r.done.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw e;
        }
    }

    /** Instances waiting for the writer (not counting the batch it writes now). */
    int queued() {
        return queue.size();
    }

    private void drain() {
        List<Request> batch = new ArrayList<>();
        while (true) {
            Request first;
            try {
                first = queue.poll(IDLE_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                first = null;
            }
            if (first == null) {
                synchronized (this) {
                    if (queue.isEmpty()) {
                        running = false; // a run() after this starts a new writer
                        return;
                    }
                }
                continue;
            }
            batch.clear();
            batch.add(first);
            queue.drainTo(batch, MAX_BATCH - 1);
            try {
                write(batch);
            } catch (Throwable t) { // an Error: no caller may wait for ever, and the writer goes on
                log.error("group commit of {} instance(s) failed: {}", batch.size(), t.getClass().getSimpleName());
                for (Request r : batch) {
                    r.done.completeExceptionally(t);
                }
            }
        }
    }

    private void write(List<Request> batch) {
        batchSizes.record(batch.size());
        Map<Request, Exception> refused = new IdentityHashMap<>();
        Set<Path> dirs = new LinkedHashSet<>();
        Exception whole = null;
        try (Connection c = connections.get()) {
            c.setAutoCommit(false);
            try {
                for (Request r : batch) {
                    Savepoint sp = c.setSavepoint();
                    try {
                        r.item().apply(c, dirs);
                    } catch (Exception e) {
                        c.rollback(sp);
                        refused.put(r, e);
                    }
                }
                // the renames' directory entries on disk before anyone is answered; the content of each
                // file was fsync'd by its association before it was queued
                for (Path dir : dirs) {
                    DirectorySyncer.fsync(dir);
                }
                c.commit();
            } catch (SQLException | IOException | RuntimeException e) {
                whole = e;
                rollbackQuietly(c);
                dirs.forEach(retry::changed);
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException | RuntimeException e) {
            if (whole == null) {
                whole = e;
            }
        }
        if (whole != null) {
            // the callers answer a failure; files already renamed stay and are indexed at the next start
            log.error("group commit of {} instance(s) failed: {}", batch.size(), whole.getClass().getSimpleName());
        }
        for (Request r : batch) {
            Exception e = refused.get(r);
            if (e == null) {
                e = whole;
            }
            if (e == null) {
                r.done.complete(null);
            } else {
                r.done.completeExceptionally(e);
            }
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException e) {
            log.warn("rollback after a failed group commit failed (SQLState {})", e.getSQLState());
        }
    }
}
