package org.raddraft.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.Dcmtk;

/**
 * Issue 21 #7 and #18 on a running daemon: its database listens on no network interface (H2's
 * AUTO_SERVER had served it on all of them), admin commands still work while it runs (through the
 * loopback-only server), the database has a password only the service user can read, and home, db/
 * and spool/ are closed to other users although this JVM's umask (022) would have left them open.
 */
class DatabaseChannelIT {

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    static Path tmp;
    static DaemonProcess daemon;

    @BeforeAll
    static void start() throws Exception {
        // DICOM on every interface, as in a hospital: the check below is about what else listens
        daemon = new DaemonProcess(tmp.resolve("home"), Map.of("dicom.bind", "0.0.0.0")).start();
    }

    @AfterAll
    static void stop() throws Exception {
        daemon.close();
    }

    /** A listening TCP socket of the daemon's process: its local address (hex, as /proc writes it) and port. */
    record Listener(String address, int port) {
        boolean loopback() {
            return address.equals("0100007F") // 127.0.0.1
                    || address.equals("00000000000000000000000001000000") // ::1
                    || address.equals("0000000000000000FFFF00000100007F"); // ::ffff:127.0.0.1
        }
    }

    /** The daemon's listening sockets, from /proc/<pid>/net/tcp{,6} filtered by the inodes of its file descriptors. */
    static List<Listener> listeners(long pid) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        List<Listener> out = new ArrayList<>();
        for (String table : List.of("tcp", "tcp6")) {
            List<String> lines = Files.readAllLines(Path.of("/proc", Long.toString(pid), "net", table));
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                if (f[3].equals("0A") && inodes.contains(f[9])) { // 0A: LISTEN
                    String[] local = f[1].split(":");
                    out.add(new Listener(local[0], Integer.parseInt(local[1], 16)));
                }
            }
        }
        return out;
    }

    @Test
    void nothingListensBeyondTheConfiguredPortsAndTheDatabaseOnlyOnLoopback() throws Exception {
        int dbPort = Integer.parseInt(Files.readString(daemon.home().resolve("db/raddraft.server")).strip());
        List<Listener> all = listeners(daemon.pid());
        assertTrue(all.stream().anyMatch(l -> l.port() == daemon.dicomPort), "the DICOM port is seen: " + all);
        for (Listener l : all) {
            boolean configured = l.port() == daemon.dicomPort || l.port() == daemon.httpPort;
            assertTrue(configured || l.loopback() && l.port() == dbPort,
                    "the daemon listens on " + l + " (neither dicom.port " + daemon.dicomPort + ", http.port "
                            + daemon.httpPort + " nor the database's loopback port " + dbPort + "): " + all);
        }
        assertTrue(all.stream().anyMatch(l -> l.port() == dbPort && l.loopback()), "the database's server: " + all);
    }

    @Test
    void adminCommandsWorkWhileTheDaemonRuns() throws Exception {
        Dcmtk.Result added = daemon.adminWithInput("a long enough pass\n", "users", "add", "--name", "dr-channel",
                "--role", "radiologist");
        assertEquals(0, added.exitCode(), added.output());
        Dcmtk.Result list = daemon.admin("users", "list");
        assertEquals(0, list.exitCode(), list.output());
        assertTrue(list.output().contains("dr-channel"), list.output());
        assertTrue(daemon.adminJson("studies").isArray());
    }

    @Test
    void theDatabaseHasAPasswordOnlyTheServiceUserCanRead() throws Exception {
        Path db = daemon.home().resolve("db");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(db.resolve("raddraft.password"))));
        for (Path dir : List.of(db, daemon.home().resolve("spool"))) {
            assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)), dir.toString());
        }
        // the home existed (the test made it, with this JVM's umask 022): the admin's, so warned about, not changed
        assertTrue(daemon.log().contains("chmod 750 " + daemon.home()), "start-up warns about the open home");
        String url = daemon.jdbcUrl();
        assertTrue(url.startsWith("jdbc:h2:tcp://127.0.0.1:"), url);
        SQLException empty = assertThrows(SQLException.class, () -> DriverManager.getConnection(url, "raddraft", ""));
        assertEquals(28000, empty.getErrorCode(), "no empty password: " + empty.getMessage());
        try (Connection c = daemon.db()) {
            assertTrue(c.createStatement().executeQuery("SELECT COUNT(*) FROM study").next());
        }
        // the server opens this database only: not a new one (where a caller would be admin, CREATE ALIAS...)
        String other = url.substring(0, url.lastIndexOf('/') + 1) + "other";
        SQLException created = assertThrows(SQLException.class, () -> DriverManager.getConnection(other, "sa", ""));
        assertFalse(Files.exists(db.resolve("other.mv.db")), created.getMessage());
    }
}
