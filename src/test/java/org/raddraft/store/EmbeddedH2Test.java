package org.raddraft.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.App;
import org.raddraft.ConfigCheck;
import org.raddraft.Settings;

/**
 * The embedded database's password (issue 21 #7) and the modes of the state directories (#18), through
 * {@code raddraft admin} as an admin runs it before or without the daemon.
 */
class EmbeddedH2Test {

    @TempDir
    Path tmp;

    private Path config(Path home) throws Exception {
        Path cfg = tmp.resolve("r.properties");
        Files.writeString(cfg, "raddraft.home=" + home + "\n");
        return cfg;
    }

    @Test
    void aDatabaseWithAnEmptyPasswordGetsAGeneratedOneAtItsNextOpen() throws Exception {
        Path home = tmp.resolve("home");
        Path db = home.resolve("db");
        Files.createDirectories(db);
        // as every version before made it: password empty
        try (Database old = Database.open("jdbc:h2:file:" + db.resolve("raddraft"), "raddraft", "");
             Connection c = old.connection()) {
            c.createStatement().execute("INSERT INTO delivery_channel (name, enabled, updated_at)"
                    + " VALUES ('KEPT', TRUE, CURRENT_TIMESTAMP)");
        }
        assertEquals(0, App.run(new String[] {"admin", "users", "list", "--config", config(home).toString()}));

        Path file = db.resolve("raddraft.password");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        String password = Files.readString(file).strip();
        assertTrue(password.length() >= 40, "a long random password");
        SQLException e = assertThrows(SQLException.class,
                () -> DriverManager.getConnection(EmbeddedH2.fileUrl(db), "raddraft", ""));
        assertEquals(28000, e.getErrorCode(), e.getMessage());
        try (Connection c = DriverManager.getConnection(EmbeddedH2.fileUrl(db), "raddraft", password)) {
            var rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM delivery_channel WHERE name = 'KEPT'");
            assertTrue(rs.next() && rs.getInt(1) == 1, "the same database, its rows kept");
        }
        // and the next open keeps it
        assertEquals(0, App.run(new String[] {"admin", "users", "list", "--config", config(home).toString()}));
        assertEquals(password, Files.readString(file).strip());
    }

    @Test
    void homeDatabaseAndSpoolAreClosedToOthersWhateverTheUmask() throws Exception {
        Path home = tmp.resolve("new/home");
        assertEquals(0, App.run(new String[] {"admin", "users", "list", "--config", config(home).toString()}));
        for (Path dir : List.of(home, home.resolve("db"), home.resolve("spool"))) {
            assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)), dir.toString());
        }
        assertEquals(List.of(), ConfigCheck.warnings(Settings.load(config(home))).stream()
                .filter(w -> w.contains("chmod")).toList());
    }

    @Test
    void checkConfigWarnsAboutDirectoriesAndPasswordFilesOthersCanRead() throws Exception {
        Path home = tmp.resolve("home");
        assertEquals(0, App.run(new String[] {"admin", "users", "list", "--config", config(home).toString()}));
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(home.resolve("db/raddraft.password"), PosixFilePermissions.fromString("rw-r--r--"));
        List<String> w = ConfigCheck.warnings(Settings.load(config(home)));
        assertTrue(w.stream().anyMatch(x -> x.startsWith(home + " is mode rwxr-xr-x") && x.endsWith("chmod 750 " + home)), w.toString());
        assertTrue(w.stream().anyMatch(x -> x.contains("raddraft.password is mode rw-r--r--") && x.contains("chmod 600")), w.toString());
    }
}
