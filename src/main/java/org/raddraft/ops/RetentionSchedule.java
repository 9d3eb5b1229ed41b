package org.raddraft.ops;

import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.raddraft.store.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's own retention: checks the spool's watermark every minute and, with
 * {@code retention.purge-interval-hours} above 0, purges spool files and rows as
 * {@code raddraft admin purge} does. Logs internal figures only.
 */
public final class RetentionSchedule implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RetentionSchedule.class);

    /** What a purge keeps: spool days and the row groups' days. */
    public record Policy(Path spool, int spoolDays, RowRetention.Days rows, Duration interval) {
    }

    private final Database db;
    private final Policy policy;
    private final SpoolWatermark watermark;
    private final Clock clock;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "retention");
        t.setDaemon(true);
        return t;
    });

    public RetentionSchedule(Database db, Policy policy, SpoolWatermark watermark, Clock clock) {
        this.db = db;
        this.policy = policy;
        this.watermark = watermark;
        this.clock = clock;
    }

    public void start() {
        timer.scheduleWithFixedDelay(watermark::check, 0, 60, TimeUnit.SECONDS);
        long every = policy.interval().toMinutes();
        if (every > 0) {
            // the first purge a few minutes after start, away from recovery and the first drafts
            timer.scheduleWithFixedDelay(this::purgeOnce, Math.min(every, 5), every, TimeUnit.MINUTES);
            log.info("retention: purging every {} h (spool {} days, rows {})", policy.interval().toHours(),
                    policy.spoolDays(), policy.rows());
        }
    }

    /** One purge of spool files, then rows; a failure is logged (class and SQLState only) and the next runs. */
    public void purgeOnce() {
        try {
            SpoolRetention.Result files = SpoolRetention.purge(db, policy.spool(), policy.spoolDays(), clock.instant(),
                    false, "daemon");
            RowRetention.Result rows = RowRetention.purge(db, policy.rows(), clock.instant(), false, "daemon");
            log.info("retention: purged the files of {} studies ({} files, {} bytes); rows {}; {} problems",
                    files.studies().size(), files.files(), files.bytes(), rows.rows(), files.problems().size());
            files.problems().forEach(p -> log.warn("retention: {}", p));
        } catch (SQLException e) {
            log.error("retention: purge failed (database, SQLState {}); the next one runs in {} h", e.getSQLState(),
                    policy.interval().toHours());
        } catch (RuntimeException e) {
            log.error("retention: purge failed ({}); the next one runs in {} h", e.getClass().getSimpleName(),
                    policy.interval().toHours());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
