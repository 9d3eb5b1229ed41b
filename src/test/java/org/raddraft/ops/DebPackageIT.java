package org.raddraft.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issue 25: the Debian package that {@code mvn verify -Pdeb} built installs, runs, upgrades from the
 * previous version (Flyway migrates, data and the edited conffile kept), is removed and purged on this
 * machine, by bench/deb-test.sh (its steps are listed there). Needs root (dpkg -i) and the .deb;
 * skipped, saying which is missing, otherwise.
 */
class DebPackageIT {

    static final Path APP = Path.of(System.getProperty("raddraft.app", ".")).toAbsolutePath();

    @Test
    void theDebInstallsRunsUpgradesWithTheDataAndConffileKeptAndIsRemoved() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "skipped: dpkg -i needs root");
        Path deb;
        try (Stream<Path> files = Files.list(APP.resolve("target"))) {
            deb = files.filter(f -> f.getFileName().toString().matches("raddraft_.*_all\\.deb"))
                    .max((a, b) -> Long.compare(a.toFile().lastModified(), b.toFile().lastModified())).orElse(null);
        }
        assumeTrue(deb != null, "skipped: no target/raddraft_*_all.deb; build it with mvn verify -Pdeb");
        // a plain `mvn verify` rebuilds the jar but not the package: never install a stale .deb
        Path jar;
        try (Stream<Path> files = Files.list(APP.resolve("target"))) {
            jar = files.filter(f -> f.getFileName().toString().matches("raddraft-.*\\.jar")).findFirst().orElse(null);
        }
        assumeTrue(jar == null || Files.getLastModifiedTime(deb).compareTo(Files.getLastModifiedTime(jar)) >= 0,
                "skipped: " + deb.getFileName() + " is older than the jar; build it with mvn verify -Pdeb");
        Path log = Files.createTempFile("deb-test", ".log");
        Process p = new ProcessBuilder(List.of("bash", APP.resolve("bench/deb-test.sh").toString(), deb.toString()))
                .directory(Path.of("/").toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean done = p.waitFor(15, TimeUnit.MINUTES);
        if (!done) {
            p.destroy();
        }
        String out = Files.readString(log);
        assertTrue(done, "deb-test.sh did not finish in 15 minutes:\n" + out);
        List<String> lines = out.strip().lines().toList();
        assertEquals(0, p.exitValue(), out);
        assertTrue(lines.get(lines.size() - 1).startsWith("deb-test: OK "), out);
        for (String step : List.of("systemd-analyze verify /lib/systemd/system/raddraft.service: clean",
                "upgraded: migrated at start, 1 study, 2 instances, 2 spool files kept, edited conffile kept",
                "class-data archive: written at a clean stop (",
                "removed: program and unit gone; configuration, database, spool"
                        + " and user kept", "purged: configuration and enablement gone; data moved to")) {
            assertTrue(out.contains(step), step + " in\n" + out);
        }
        Files.delete(log);
    }
}
