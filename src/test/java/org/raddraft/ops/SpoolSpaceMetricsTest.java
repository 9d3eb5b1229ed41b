package org.raddraft.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.store.Database;

/** Issue 25: /metrics carries the spool file system's free and total bytes, as the JDK reads them. */
class SpoolSpaceMetricsTest {

    @TempDir
    Path spool;

    private static double value(String text, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "(?:\\{[^}]*\\})? (\\S+)$").matcher(text);
        assertTrue(m.find(), name + " in\n" + text);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void freeAndTotalBytesOfTheSpoolFileSystem() throws Exception {
        try (Database db = Database.open("jdbc:h2:mem:spoolspace;DB_CLOSE_DELAY=-1", "sa", "");
             PrometheusMetrics metrics = new PrometheusMetrics(db, spool)) {
            String text = metrics.scrape();
            double total = value(text, "raddraft_spool_total_bytes");
            double free = value(text, "raddraft_spool_free_bytes");
            java.nio.file.FileStore store = Files.getFileStore(spool);
            assertEquals(store.getTotalSpace(), total, 0.0);
            assertTrue(free > 0 && free <= total, free + " of " + total);
            // within 64 MiB of what the JDK reads now (other helpers write to this disk meanwhile)
            assertEquals(store.getUsableSpace(), free, 64.0 * 1024 * 1024);
        }
    }
    @Test
    void belowTheWatermarkTheMetricsSaySoAndOneWarningIsLogged() throws Exception {
        java.nio.file.FileStore store = Files.getFileStore(spool);
        org.junit.jupiter.api.Assumptions.assumeTrue(store.getUsableSpace() < store.getTotalSpace() / 100 * 99
                && store.getUsableSpace() > store.getTotalSpace() / 100 * 2, "this disk is between 2% and 99% free");
        ch.qos.logback.classic.Logger logger =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(SpoolWatermark.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> log =
                new ch.qos.logback.core.read.ListAppender<>();
        log.start();
        logger.addAppender(log);
        SpoolWatermark high = new SpoolWatermark(spool, 99);
        try (Database db = Database.open("jdbc:h2:mem:watermark;DB_CLOSE_DELAY=-1", "sa", "");
             PrometheusMetrics metrics = new PrometheusMetrics(db, spool, high)) {
            String text = metrics.scrape();
            assertEquals(1.0, value(text, "raddraft_spool_below_watermark"));
            assertEquals(store.getTotalSpace() / 100 * 99, value(text, "raddraft_spool_free_watermark_bytes"), 0.0);
            assertTrue(high.check());
            assertTrue(high.check());
            assertEquals(1, log.list.stream().filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN).count(),
                    "one WARN when it falls below, not one a minute: " + log.list);
            assertTrue(log.list.get(0).getFormattedMessage().startsWith("spool free space below the watermark (99%"));
        } finally {
            logger.detachAppender(log);
        }
        SpoolWatermark low = new SpoolWatermark(spool, 1);
        assertEquals(0, low.belowNow(), "more than 1% free");
        assertEquals(store.getTotalSpace() / 100, low.watermarkBytes());
        SpoolWatermark off = new SpoolWatermark(spool, 0);
        assertEquals(0, off.watermarkBytes());
        assertEquals(0, off.belowNow());
    }
}
