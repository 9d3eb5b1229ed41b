package org.raddraft.ops;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The free-space watermark of the spool's file system ({@code retention.spool-free-watermark-percent}):
 * an early warning well before {@code storage.min-free-mb} makes ingest refuse with A700. Below it,
 * {@code raddraft_spool_below_watermark} is 1 and one WARN is logged (one INFO when space is back);
 * ingest goes on accepting.
 */
public final class SpoolWatermark {

    private static final Logger log = LoggerFactory.getLogger(SpoolWatermark.class);

    private final Path spool;
    private final int percent;
    private final AtomicBoolean below = new AtomicBoolean(false);

    public SpoolWatermark(Path spool, int percent) {
        this.spool = spool;
        this.percent = percent;
    }

    /** The free bytes under which the spool is below the watermark; 0 when off, -1 when unreadable. */
    public long watermarkBytes() {
        if (percent <= 0) {
            return 0;
        }
        try {
            return store().getTotalSpace() / 100 * percent;
        } catch (IOException e) {
            return -1;
        }
    }

    /** 1 when the usable space is below the watermark, else 0 (also when off or unreadable). */
    public int belowNow() {
        long mark = watermarkBytes();
        if (mark <= 0) {
            return 0;
        }
        try {
            return store().getUsableSpace() < mark ? 1 : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** Logs once when the spool falls below the watermark and once when it is back above; true when below. */
    public boolean check() {
        boolean now = belowNow() == 1;
        if (now && !below.getAndSet(true)) {
            log.warn("spool free space below the watermark ({}% of its file system, {} bytes): purge"
                    + " (raddraft admin purge) or add space before storage.min-free-mb makes ingest refuse with A700",
                    percent, watermarkBytes());
        } else if (!now && below.getAndSet(false)) {
            log.info("spool free space back above the watermark ({}%)", percent);
        }
        return now;
    }

    private FileStore store() throws IOException {
        return Files.getFileStore(spool);
    }
}
