package org.raddraft.store;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;
import java.util.Locale;
import org.h2.api.ErrorCode;
import org.h2.engine.SysProperties;
import org.h2.tools.Server;

/**
 * The embedded H2 database under raddraft.home/db, opened in-process by the daemon; nothing of it
 * listens on the network (issue 21 #7: H2's automatic mixed mode had started an H2 TCP server on all
 * interfaces, and whoever held the key in the lock file got SQL, and with {@code CREATE ALIAS} code
 * execution as the service user).
 *
 * <p>Admin commands reach the database while the daemon holds it through a local-only channel: the
 * daemon starts an H2 TCP server bound to 127.0.0.1 only ({@code h2.bindAddress}), on a port the
 * kernel picks, without {@code -tcpAllowOthers}, that opens only this existing database
 * ({@code -ifExists}, {@code -baseDir} db/), and writes its port to {@value #SERVER_FILE}. The database
 * has a password: {@code store.password} when set, else one generated at first use and kept in
 * {@value #PASSWORD_FILE} (mode 600, readable by the service user only). A database made by an earlier
 * version with an empty password gets it at its next open.
 */
public final class EmbeddedH2 {

    static final String NAME = "raddraft";
    static final String PASSWORD_FILE = "raddraft.password";
    static final String SERVER_FILE = "raddraft.server";
    private static final String LOOPBACK = "127.0.0.1";

    private EmbeddedH2() {
    }

    /** The in-process URL of the database in {@code dir}. */
    public static String fileUrl(Path dir) {
        // WRITE_DELAY=0: a commit reaches the OS before we answer C-STORE success, so kill -9 loses
        // nothing; power loss is covered by the fsync'd Part 10 files, re-indexed at start (see InstanceIndex).
        return "jdbc:h2:file:" + dir.resolve(NAME) + ";WRITE_DELAY=0";
    }

    /**
     * The daemon's database: opened in-process, its empty password replaced, and the loopback server for
     * admin commands started; closing the Database stops the server.
     */
    public static Database openForDaemon(Path dir, String user, String configuredPassword) throws IOException, SQLException {
        String password = password(dir, configuredPassword);
        // an admin command may hold the file for a moment (run while the daemon starts): wait for it
        Database db = whileLocked(() -> {
            setPasswordIfEmpty(dir, user, password);
            return Database.open(fileUrl(dir), user, password);
        });
        Server server;
        try {
            server = loopbackServer(dir);
        } catch (SQLException | RuntimeException e) {
            db.close();
            throw e;
        }
        Path serverFile = dir.resolve(SERVER_FILE);
        writeOwnerOnly(serverFile, Integer.toString(server.getPort()));
        return db.onClose(() -> {
            try {
                Files.deleteIfExists(serverFile);
            } catch (IOException e) {
                // a stale file only makes the next admin command try a port nobody answers on
            }
            server.stop();
        });
    }

    /** An admin command's database: the running daemon's through its loopback server, else in-process. */
    public static Database openForAdmin(Path dir, String user, String configuredPassword) throws IOException, SQLException {
        String password = password(dir, configuredPassword);
        // a daemon that is starting holds the file before its server answers: wait for one or the other
        return whileLocked(() -> {
            Integer port = runningServer(dir);
            if (port != null) {
                return Database.open(tcpUrl(port), user, password);
            }
            setPasswordIfEmpty(dir, user, password);
            return Database.open(fileUrl(dir), user, password);
        });
    }

    private interface Opening {
        Database open() throws IOException, SQLException;
    }

    /** How long an open waits while another process of RadDraft holds the database file. */
    private static final long LOCK_WAIT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(60);

    /** {@code opening}, again every 200 ms while the file is held by another process (H2 90020), up to a minute. */
    private static Database whileLocked(Opening opening) throws IOException, SQLException {
        long deadline = System.nanoTime() + LOCK_WAIT_NANOS;
        while (true) {
            try {
                return opening.open();
            } catch (SQLException | RuntimeException e) {
                if (!heldByAnother(e) || System.nanoTime() > deadline) {
                    throw e;
                }
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SQLException("interrupted while waiting for the database file", e);
            }
        }
    }

    private static boolean heldByAnother(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException sql && sql.getErrorCode() == ErrorCode.DATABASE_ALREADY_OPEN_1) {
                return true;
            }
        }
        return false;
    }

    /** The URL of the running daemon's loopback server, or null when no daemon serves {@code dir}. */
    public static String runningUrl(Path dir) throws IOException {
        Integer port = runningServer(dir);
        return port == null ? null : tcpUrl(port);
    }

    private static String tcpUrl(int port) {
        return "jdbc:h2:tcp://" + LOOPBACK + ":" + port + "/" + NAME;
    }

    private static Integer runningServer(Path dir) throws IOException {
        Path file = dir.resolve(SERVER_FILE);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        int port;
        try {
            port = Integer.parseInt(Files.readString(file, StandardCharsets.US_ASCII).strip());
        } catch (NumberFormatException e) {
            return null;
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(LOOPBACK, port), 2000);
            return port;
        } catch (IOException e) {
            return null; // left by a daemon that was killed: nobody serves it
        }
    }

    /** {@code configured} when set, else the generated password of the database in {@code dir}. */
    static String password(Path dir, String configured) throws IOException {
        if (configured != null && !configured.isEmpty()) {
            return configured;
        }
        Path file = dir.resolve(PASSWORD_FILE);
        if (!Files.exists(file)) {
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            try {
                writeOwnerOnly(file, Base64.getUrlEncoder().withoutPadding().encodeToString(random));
            } catch (FileAlreadyExistsException e) {
                // written at the same moment by the daemon or another admin command: theirs it is
            }
        }
        String password = Files.readString(file, StandardCharsets.US_ASCII).strip();
        if (password.isEmpty()) {
            throw new IOException(file + " is empty: delete it only if the database is new, else write the database's"
                    + " password in it (or set store.password)");
        }
        return password;
    }

    /** Written to a temporary file created mode 600, then moved into place: never readable by others, never half-written. */
    private static void writeOwnerOnly(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName() + ".", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(tmp, content + "\n", StandardCharsets.US_ASCII);
            if (file.getFileName().toString().equals(PASSWORD_FILE)) {
                Files.move(tmp, file); // never replaces: an existing password is the database's
            } else {
                Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** A database made with an empty password (before issue 21 #7) gets {@code password}. */
    private static void setPasswordIfEmpty(Path dir, String user, String password) throws SQLException {
        if (!Files.exists(dir.resolve(NAME + ".mv.db"))) {
            return; // a new database is created with the password
        }
        try (Connection c = DriverManager.getConnection(fileUrl(dir), user, password)) {
            return;
        } catch (SQLException e) {
            if (e.getErrorCode() != ErrorCode.WRONG_USER_OR_PASSWORD) {
                throw e;
            }
        }
        try (Connection c = DriverManager.getConnection(fileUrl(dir), user, "");
             Statement st = c.createStatement()) {
            st.execute("ALTER USER \"" + user.toUpperCase(Locale.ROOT).replace("\"", "\"\"") + "\" SET PASSWORD '"
                    + password.replace("'", "''") + "'");
        } catch (SQLException e) {
            if (e.getErrorCode() == ErrorCode.WRONG_USER_OR_PASSWORD) {
                throw new SQLException("the database in " + dir + " does not open with the password in "
                        + dir.resolve(PASSWORD_FILE) + " or store.password: write its password there", e.getSQLState(),
                        e.getErrorCode());
            }
            throw e;
        }
    }

    /** H2's TCP server for admin commands: 127.0.0.1 only, a free port, this database only. */
    private static Server loopbackServer(Path dir) throws SQLException {
        if (!LOOPBACK.equals(SysProperties.BIND_ADDRESS)) {
            // read once when H2 loads: set by App before anything touches H2
            throw new IllegalStateException("h2.bindAddress is '" + SysProperties.BIND_ADDRESS + "', not " + LOOPBACK
                    + ": the database's server for admin commands would listen beyond this host; not starting it");
        }
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        return Server.createTcpServer("-tcpPort", "0", "-ifExists", "-baseDir", dir.toString(), "-tcpPassword",
                Base64.getUrlEncoder().withoutPadding().encodeToString(random), "-tcpDaemon").start();
    }

    /** For check-config: the password and server files when others than the owner may read them. */
    public static java.util.List<String> tooOpen(Path dir) {
        java.util.List<String> w = new java.util.ArrayList<>();
        for (String name : java.util.List.of(PASSWORD_FILE, SERVER_FILE)) {
            Path f = dir.resolve(name);
            try {
                if (Files.isRegularFile(f) && Files.getFileAttributeView(f,
                        java.nio.file.attribute.PosixFileAttributeView.class) != null) {
                    String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(f));
                    if (!mode.substring(3).equals("------")) {
                        w.add(f + " is mode " + mode + ": it gives the database's password or server to other users"
                                + " of this host; run chmod 600 " + f);
                    }
                }
            } catch (IOException e) {
                w.add(f + ": its mode cannot be read (" + e.getClass().getSimpleName() + ")");
            }
        }
        return w;
    }

    /** Call before any H2 class loads (App's main): H2 binds its servers to this address. */
    public static void bindServersToLoopback() {
        System.setProperty("h2.bindAddress", LOOPBACK);
    }
}
