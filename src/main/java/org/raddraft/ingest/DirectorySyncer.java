package org.raddraft.ingest;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes renames into the spool durable in batches: each directory that changed is fsync'd once per
 * interval. Used for the renames of start-up recovery and quarantine, and to retry a directory whose
 * fsync failed; a received instance's directory is fsync'd by the {@link GroupCommit} before its
 * C-STORE is answered. Until its directory is synced, a recovered file is still safe after a power
 * loss: its content is fsync'd, and start-up recovery indexes complete temp files and files without
 * rows ({@link InstanceIndex#recover()}).
 */
public final class DirectorySyncer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DirectorySyncer.class);

    private final Set<Path> pending = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "spool-dirsync");
        t.setDaemon(true);
        return t;
    });

    public DirectorySyncer(Duration interval) {
        timer.scheduleWithFixedDelay(this::syncPending, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The directory's entries changed (a rename in, a new subdirectory); sync it soon. */
    void changed(Path dir) {
        pending.add(dir);
    }

    /** Syncs every directory changed so far; runs on the timer and at close. */
    public void syncPending() {
        for (Path dir : List.copyOf(pending)) {
            pending.remove(dir);
            try {
                fsync(dir);
            } catch (IOException e) {
                pending.add(dir); // try again next round; recovery covers a power loss meanwhile
                log.warn("cannot fsync spool directory {}: {}", dir, e.getMessage());
            }
        }
    }

    static void fsync(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    @Override
    public void close() {
        timer.shutdown();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        syncPending();
    }
}
