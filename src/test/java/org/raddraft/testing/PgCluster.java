package org.raddraft.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real PostgreSQL 15 cluster of its own for a test (Debian's postgresql-15 binaries, no Docker): initdb
 * on a fresh directory, pg_ctl start on 127.0.0.1 and a free port, password (SCRAM) logins for the
 * superuser {@code raddraft}, one database per {@link #createDatabase}. PostgreSQL refuses to run as
 * root: as root the cluster runs as the {@code postgres} system user (runuser); a test is skipped, saying
 * why, when the binaries or that user are missing.
 */
public final class PgCluster implements AutoCloseable {

    public static final Path BIN = Path.of(System.getProperty("raddraft.pg.bin", "/usr/lib/postgresql/15/bin"));
    public static final String USER = "raddraft";

    private final Path dir;
    private final String password = "pg-" + Long.toHexString(System.nanoTime());
    public final int port;
    private boolean running;

    private PgCluster(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    /** Starts a new cluster, or skips the calling test (with the reason) where none can run here. */
    public static PgCluster start() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(BIN.resolve("initdb")) && Files.isExecutable(BIN.resolve("pg_ctl")),
                "PostgreSQL 15 is not installed (" + BIN + "/initdb): apt-get install postgresql-15");
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            Assumptions.assumeTrue(run(List.of("id", "-u", "postgres"), null) == 0,
                    "running as root and there is no 'postgres' system user to run PostgreSQL as");
        }
        // not under the test's @TempDir: the postgres user must reach it, and /tmp/junit* dirs are mode 700
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "raddraft-pg-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        PgCluster pg = new PgCluster(dir, DaemonProcess.freePort());
        Path pwfile = dir.resolve("pwfile");
        Files.writeString(pwfile, pg.password + "\n", StandardCharsets.US_ASCII);
        Files.createDirectories(dir.resolve("data"));
        if (root) {
            pg.ok("chown", "-R", "postgres:postgres", dir.toString());
        }
        pg.ok(pg.asOwner(BIN.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-U", USER,
                "--pwfile=" + pwfile, "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8",
                "--locale=C.UTF-8"));
        Files.delete(pwfile);
        pg.ok(pg.asOwner(BIN.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-l",
                dir.resolve("server.log").toString(), "-w", "-t", "60", "-o",
                "-p " + pg.port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
                "start"));
        pg.running = true;
        return pg;
    }

    /** A new empty database owned by {@value #USER}; its JDBC URL. */
    public String createDatabase(String name) throws SQLException {
        try (Connection c = DriverManager.getConnection(url("postgres"), USER, password); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        }
        return url(name);
    }

    public String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    public String password() {
        return password;
    }

    public Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(url(database), USER, password);
    }

    public String log() throws IOException {
        Path f = dir.resolve("server.log");
        return Files.exists(f) ? Files.readString(f) : "";
    }

    @Override
    public void close() throws Exception {
        if (running) {
            running = false;
            ok(asOwner(BIN.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "fast", "-w",
                    "stop"));
        }
        ok(List.of("rm", "-rf", dir.toString()));
    }

    private List<String> asOwner(String... command) {
        List<String> cmd = new ArrayList<>();
        if ("root".equals(System.getProperty("user.name"))) {
            cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        cmd.addAll(List.of(command));
        return cmd;
    }

    private void ok(String... command) throws Exception {
        ok(List.of(command));
    }

    private void ok(List<String> command) throws Exception {
        Path out = Files.createTempFile("raddraft-pg", ".out");
        try {
            int rc = run(command, out);
            if (rc != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited " + rc + ":\n"
                        + Files.readString(out) + "\n" + log());
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static int run(List<String> command, Path out) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.redirectOutput(out == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.to(out.toFile()));
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
