package org.raddraft.ops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.raddraft.store.Database;

/**
 * Readiness checks: the database answers, the spool has room above the watermark, and every check a
 * stage added with {@link #check} (e.g. the FHIR validator warmed) is UP; which model is loaded.
 */
public final class Health {

    private final Database db;
    private final Path spool;
    private final long minFreeMb;
    private final Supplier<Map<String, Object>> model;
    private final Map<String, BooleanSupplier> checks = new java.util.concurrent.ConcurrentSkipListMap<>();
    private final Map<String, Supplier<Status>> detailed = new java.util.concurrent.ConcurrentSkipListMap<>();

    /**
     * @param model the model drafting now (name, version, device), asked at each request: a promotion or
     *              rollback ({@code raddraft admin models}) changes it while the daemon runs
     */
    public Health(Database db, Path spool, long minFreeMb, Supplier<Map<String, Object>> model) {
        this.db = db;
        this.spool = spool;
        this.minFreeMb = minFreeMb;
        this.model = model;
    }

    /** Adds a readiness check: {@code /health/ready} is DOWN while {@code up} says false. */
    public Health check(String name, BooleanSupplier up) {
        checks.put(name, up);
        return this;
    }

    /** A check's verdict with what it wants shown next to it (e.g. the delivery backlog). */
    public record Status(boolean up, Map<String, Object> details) {
    }

    /** Adds a readiness check that also reports details: {@code /health/ready} is DOWN while it is not up. */
    public Health detailedCheck(String name, Supplier<Status> status) {
        detailed.put(name, status);
        return this;
    }

    public record Report(boolean ready, Map<String, Object> checks) {
    }

    public Report readiness() {
        Map<String, Object> checks = new LinkedHashMap<>();
        boolean dbUp = db.isUp();
        checks.put("database", dbUp ? "UP" : "DOWN");
        long freeMb = freeMb(spool);
        boolean spaceOk = freeMb >= minFreeMb;
        checks.put("spool", Map.of("status", spaceOk ? "UP" : "DOWN", "free_mb", freeMb, "min_free_mb", minFreeMb));
        checks.put("model", model.get());
        boolean all = dbUp && spaceOk;
        for (Map.Entry<String, BooleanSupplier> c : this.checks.entrySet()) {
            boolean up = c.getValue().getAsBoolean();
            checks.put(c.getKey(), up ? "UP" : "DOWN");
            all &= up;
        }
        for (Map.Entry<String, Supplier<Status>> c : detailed.entrySet()) {
            Status st = c.getValue().get();
            Map<String, Object> shown = new LinkedHashMap<>();
            shown.put("status", st.up() ? "UP" : "DOWN");
            shown.putAll(st.details());
            checks.put(c.getKey(), shown);
            all &= st.up();
        }
        return new Report(all, checks);
    }

    static long freeMb(Path dir) {
        try {
            Path p = dir;
            while (p != null && !Files.exists(p)) {
                p = p.getParent();
            }
            return p == null ? -1 : Files.getFileStore(p).getUsableSpace() / (1024 * 1024);
        } catch (IOException e) {
            return -1;
        }
    }
}
