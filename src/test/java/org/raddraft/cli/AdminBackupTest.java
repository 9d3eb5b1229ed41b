package org.raddraft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code raddraft admin backup} and the restore docs/admin-guide.md describes (stop, unpack into db/
 * with the password file, start): a database with rows is backed up, restored into a fresh home, and
 * the rows are there.
 */
class AdminBackupTest {

    @TempDir
    Path dir;

    @Test
    void backupThenRestoreIntoAFreshHomeKeepsTheRows() throws Exception {
        Path a = Files.createDirectories(dir.resolve("a"));
        assertEquals(0, AdminCli.admin(a, "a long enough pass\n", "users", "add", "--name", "dr-a", "--role", "radiologist").exit());
        Path zip = dir.resolve("backup.zip");
        AdminCli.Run backup = AdminCli.admin(a, "", "backup", "--out", zip.toString());
        assertEquals(0, backup.exit(), backup.out());
        assertTrue(backup.out().contains("backup written: " + zip), backup.out());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(zip)), "patient data: owner only");

        // restore: unpack into the fresh home's db/, with the password file kept beside the backup
        Path b = Files.createDirectories(dir.resolve("b"));
        Path db = Files.createDirectories(b.resolve("db"));
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                Path target = db.resolve(e.getName()).normalize();
                assertTrue(target.startsWith(db), e.getName());
                Files.copy((InputStream) in, target);
            }
        }
        assertTrue(Files.exists(db.resolve("raddraft.mv.db")), "the zip holds the database file");
        Files.copy(a.resolve("db/raddraft.password"), db.resolve("raddraft.password"), StandardCopyOption.COPY_ATTRIBUTES);
        AdminCli.Run list = AdminCli.admin(b, "", "users", "list");
        assertEquals(0, list.exit(), list.out());
        assertTrue(list.out().matches("(?s).*dr-a\\s+radiologist\\s+local\\s+active.*"), list.out());
    }

    @Test
    void anExistingFileIsNeverOverwrittenAndNothingIsLeftOnRefusal() throws Exception {
        Path zip = Files.writeString(dir.resolve("old.zip"), "an older backup");
        AdminCli.Run again = AdminCli.admin(dir, "", "backup", "--out", zip.toString());
        assertEquals(1, again.exit());
        assertTrue(again.out().contains("exists; choose another --out"), again.out());
        assertEquals("an older backup", Files.readString(zip));
        AdminCli.Run notZip = AdminCli.admin(dir, "", "backup", "--out", dir.resolve("b.tar").toString());
        assertEquals(2, notZip.exit());
        assertTrue(notZip.out().contains("--out must name a .zip file"), notZip.out());
        assertFalse(Files.exists(dir.resolve("b.tar")));
    }
}
