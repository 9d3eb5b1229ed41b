package org.raddraft.ops;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.raddraft.ingest.StudyState;
import org.raddraft.store.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /metrics}: every meter of the global Micrometer registry (stages count into it) plus JVM
 * memory and threads and studies by state, in Prometheus text format.
 */
public final class PrometheusMetrics extends HttpServlet implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PrometheusMetrics.class);

    private final transient PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final transient Map<StudyState, Long> studyCounts = new ConcurrentHashMap<>();
    private final transient Database db;

    public PrometheusMetrics(Database db) {
        this(db, null);
    }

    /**
     * With {@code spool} set, also the free and total bytes of the spool's file system (issue 25), to
     * alert before storage.min-free-mb makes ingest refuse with A700; -1 when it cannot be read.
     */
    public PrometheusMetrics(Database db, java.nio.file.Path spool) {
        this(db, spool, null);
    }

    /** With {@code watermark} set, also the spool's free-space watermark and whether it is below it. */
    public PrometheusMetrics(Database db, java.nio.file.Path spool, SpoolWatermark watermark) {
        this.db = db;
        if (watermark != null) {
            Gauge.builder("raddraft.spool.free.watermark.bytes", watermark, SpoolWatermark::watermarkBytes)
                    .baseUnit("bytes").description("free bytes under which the spool is below its watermark"
                            + " (retention.spool-free-watermark-percent; 0 = off)").register(prometheus);
            Gauge.builder("raddraft.spool.below.watermark", watermark, SpoolWatermark::belowNow)
                    .description("1 while the spool's free space is below its watermark").register(prometheus);
        }
        if (spool != null) {
            Gauge.builder("raddraft.spool.free.bytes", spool, p -> space(p, true)).baseUnit("bytes")
                    .description("usable bytes left in the spool's file system").register(prometheus);
            Gauge.builder("raddraft.spool.total.bytes", spool, p -> space(p, false)).baseUnit("bytes")
                    .description("size of the spool's file system").register(prometheus);
        }
        Metrics.addRegistry(prometheus);
        new JvmMemoryMetrics().bindTo(prometheus);
        new JvmThreadMetrics().bindTo(prometheus);
        for (StudyState s : StudyState.values()) {
            studyCounts.put(s, 0L);
            Gauge.builder("raddraft.studies", studyCounts, m -> m.get(s)).tag("state", s.name())
                    .description("studies by pipeline state").register(prometheus);
        }
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        try {
            studyCounts.putAll(StudyListing.countsByState(db));
        } catch (SQLException e) {
            log.warn("metrics: cannot count studies: {}", e.getMessage());
        }
        resp.setContentType("text/plain; version=0.0.4; charset=utf-8");
        resp.getOutputStream().write(scrape().getBytes(StandardCharsets.UTF_8));
    }

    /** The Prometheus text of every meter. */
    String scrape() {
        return prometheus.scrape();
    }

    private static double space(java.nio.file.Path dir, boolean free) {
        try {
            java.nio.file.FileStore store = java.nio.file.Files.getFileStore(dir);
            return free ? store.getUsableSpace() : store.getTotalSpace();
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        Metrics.removeRegistry(prometheus);
    }
}
