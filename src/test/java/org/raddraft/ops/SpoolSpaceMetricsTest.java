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
}
