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
 *
 * <p>Two things keep the single association (a PACS sending one study) fast, since each of its C-STOREs
 * waits for the whole chain: the writer keeps one connection (one database session, its statements
 * parsed once) from batch to batch while it runs, instead of taking one from the pool and returning it
 * each time (a rollback under H2's store lock each way); and an instance that finds the writer idle is
 * handed over before its content fsync has finished, so its row is inserted while the disk flushes — the
 * item itself waits for that fsync before its rename ({@link InstanceIndex#record}). An instance that
 * finds the writer busy waits for its fsync first, so that it cannot hold up a batch of instances already
 * on disk.
 */
final class GroupCommit {

    private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);
    /** The most instances in one transaction (one batch's rows stay small next to the H2 cache). */
    static final int MAX_BATCH = 256;
    /** An idle writer thread ends after this long; the next instance starts another. */
    private static final long IDLE_SECONDS = 30;
    /** The writer gives its connection back when no instance came for this long (a burst ended). */
    private static final long LINGER_MILLIS = 1000;

    /** Where the writer gets its connection for a batch ({@code Database::connection}). */
    @FunctionalInterface
    interface ConnectionSource {
        Connection get() throws SQLException;
    }

    /** What an instance must have done before it joins a batch another instance is in (its file's fsync). */
    @FunctionalInterface
    interface Readiness {
        Readiness NONE = () -> { };

        void await() throws Exception;
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

    /** An instance's item, or (item null) {@link #close()}'s request for the connection to be given back. */
    private record Request(Item item, CompletableFuture<Void> done) {
    }

    private final ConnectionSource connections;
    private final DirectorySyncer retry;
    private final LinkedBlockingQueue<Request> queue = new LinkedBlockingQueue<>();
    private final DistributionSummary batchSizes = DistributionSummary.builder("raddraft.instances.commit.batch")
            .description("instances written per commit by the ingest's group commit").register(Metrics.globalRegistry);
    private boolean running;
    /** True while the writer applies a batch: a newcomer then gets ready before it queues. */
    private volatile boolean writing;
    /** The writer's own connection, kept from batch to batch; null after a failure or when idle. */
    private Connection connection;

    /** @param retry takes the directories whose fsync failed, to try again (the batch itself fails) */
    GroupCommit(ConnectionSource connections, DirectorySyncer retry) {
        this.connections = connections;
        this.retry = retry;
    }

    /** {@link #run(Readiness, Item)} for an item that is ready. */
    void run(Item item) throws Exception {
        run(Readiness.NONE, item);
    }

    /**
     * Queues {@code item} and returns once the batch it joined is committed and its directories
     * fsync'd; throws what the item threw, or what failed the whole batch. When the writer is busy or
     * others are queued, {@code ready} is awaited first (here, on the caller's thread); when it is idle,
     * the item goes to it at once and must itself wait for what {@code ready} stands for where it matters.
     */
    void run(Readiness ready, Item item) throws Exception {
        if (writing || !queue.isEmpty()) {
            ready.await();
        }
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

    /**
     * After the last instance (the receiver stopped): the writer gives its connection back now, so that the
     * database can close; returns when it has, or after a few seconds.
     */
    void close() {
        Request r = new Request(null, new CompletableFuture<>());
        synchronized (this) {
            if (!running) {
                return;
            }
            queue.add(r);
        }
        try {
            r.done.get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            log.warn("the group commit's writer did not give its connection back in time ({})",
                    e.getClass().getSimpleName());
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
                first = connection != null ? queue.poll(LINGER_MILLIS, TimeUnit.MILLISECONDS)
                        : queue.poll(IDLE_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                first = null;
            }
            if (first == null && connection != null) {
                dropConnection(); // the burst is over; the writer waits on without a session
                continue;
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
            List<Request> closes = batch.stream().filter(r -> r.item() == null).toList();
            if (!closes.isEmpty()) {
                batch.removeIf(r -> r.item() == null);
                if (!batch.isEmpty()) {
                    writeBatch(batch);
                }
                dropConnection();
                closes.forEach(r -> r.done.complete(null));
                continue;
            }
            writeBatch(batch);
        }
    }

    private void writeBatch(List<Request> batch) {
        writing = true;
        try {
            write(batch);
        } catch (Throwable t) { // an Error: no caller may wait for ever, and the writer goes on
            dropConnection();
            log.error("group commit of {} instance(s) failed: {}", batch.size(), t.getClass().getSimpleName());
            for (Request r : batch) {
                r.done.completeExceptionally(t);
            }
        } finally {
            writing = false;
        }
    }

    private void write(List<Request> batch) {
        batchSizes.record(batch.size());
        Map<Request, Exception> refused = new IdentityHashMap<>();
        Set<Path> dirs = new LinkedHashSet<>();
        Exception whole = null;
        try {
            Connection c = connection();
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
                // the renames' directory entries on disk before anyone is answered; each item renamed its
                // file only once the file's content was fsync'd
                for (Path dir : dirs) {
                    DirectorySyncer.fsync(dir);
                }
                c.commit();
            } catch (SQLException | IOException | RuntimeException e) {
                whole = e;
                dropConnection(); // rolled back; it may be what failed: the next batch takes a fresh one
                dirs.forEach(retry::changed);
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

    /** The writer's connection, taken from the pool when it has none. */
    private Connection connection() throws SQLException {
        if (connection == null) {
            Connection c = connections.get();
            try {
                c.setAutoCommit(false);
            } catch (SQLException | RuntimeException e) {
                closeQuietly(c);
                throw e;
            }
            connection = c;
        }
        return connection;
    }

    /** Gives the writer's connection back (it takes another for its next batch). */
    private void dropConnection() {
        Connection c = connection;
        connection = null;
        if (c != null) {
            rollbackQuietly(c);
            closeQuietly(c);
        }
    }

    private static void closeQuietly(Connection c) {
        try (c) {
            c.setAutoCommit(true); // back to the pool as it came
        } catch (SQLException | RuntimeException e) {
            log.warn("closing the group commit's connection failed ({})", e.getClass().getSimpleName());
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
