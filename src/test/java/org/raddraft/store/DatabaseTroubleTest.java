package org.raddraft.store;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Database trouble at start-up (issue 24): a corrupt database file stops the open with RadDraft's
 * message naming the file and what to do, and the file is left as it was (never re-initialised).
 * Before, H2's message went out as it was ("use the recovery tool"). A file held by another process
 * needs another JVM (H2 shares a file within one): the test starts one that holds it open.
 */
class DatabaseTroubleTest {

    @TempDir
    Path dir;

    String url() {
        return "jdbc:h2:file:" + dir.resolve("raddraft");
    }

    @Test
    void aCorruptDatabaseIsNamedAndNotReinitialised() throws Exception {
        Database.open(url(), "raddraft", "pw").close();
        Path file = dir.resolve("raddraft.mv.db");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            byte[] noise = new byte[16384];
            new java.util.Random(24).nextBytes(noise);
            f.write(noise);
        }
        byte[] before = Files.readAllBytes(file);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Database.open(url(), "raddraft", "pw"));
        assertTrue(e.getMessage().startsWith("database " + file + " is corrupt; RadDraft does not re-initialise it"),
                e.getMessage());
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(file)), "the file is left as it was");
    }

    /**
     * Another process holds the database (a second RadDraft on the same raddraft.home, an H2 console left
     * open): RadDraft's message names the file and says to stop the other process, instead of H2's advice
     * to use its server mode; the holder's data is untouched.
     */
    @Test
    void aDatabaseInUseByAnotherProcessIsNamedWithWhatToDo() throws Exception {
        Database.open(url(), "raddraft", "pw").close();
        Path holder = dir.resolve("Holder.java");
        Files.writeString(holder, """
                public class Holder {
                    public static void main(String[] a) throws Exception {
                        try (var c = java.sql.DriverManager.getConnection(a[0], "raddraft", "pw")) {
                            System.out.println("holding");
                            System.out.flush();
                            System.in.read(); // until the test closes our stdin
                        }
                    }
                }
                """);
        Path h2 = Path.of(org.h2.Driver.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Process other = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", h2.toString(), holder.toString(), url()).redirectErrorStream(true).start();
        try {
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(other.getInputStream()));
            String first = out.readLine();
            assertTrue("holding".equals(first), "the other process could not open the database: " + first);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Database.open(url(), "raddraft", "pw"));
            assertTrue(e.getMessage().startsWith("database " + dir.resolve("raddraft.mv.db")
                    + " is in use by another process (another RadDraft on the same raddraft.home?): stop it"), e.getMessage());
        } finally {
            other.getOutputStream().close();
            if (!other.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                other.destroyForcibly();
            }
        }
        Database.open(url(), "raddraft", "pw").close(); // free again once the other process ended
    }

    /**
     * The database on a file system mounted read-only (as root, the only way the service user's process
     * cannot write it: root ignores file modes; skipped with a message where mounting needs more rights).
     * H2 would open such a file read-only without a word, and the daemon would fail at its first write.
     */
    @Test
    void aReadOnlyDatabaseIsNamedWithWhatToDo() throws Exception {
        Path mnt = Files.createDirectories(dir.resolve("ro"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mnt.toString())
                .redirectErrorStream(true).start();
        String said = new String(mount.getInputStream().readAllBytes()).trim();
        org.junit.jupiter.api.Assumptions.assumeTrue(mount.waitFor() == 0,
                "read-only case skipped: mounting a tmpfs needs root (mount said: " + said + ")");
        try {
            String url = "jdbc:h2:file:" + mnt.resolve("raddraft");
            Database.open(url, "raddraft", "pw").close();
            Path file = mnt.resolve("raddraft.mv.db");
            byte[] before = Files.readAllBytes(file);
            assertTrue(new ProcessBuilder("mount", "-o", "remount,ro", mnt.toString()).inheritIO().start().waitFor() == 0);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Database.open(url, "raddraft", "pw"));
            assertTrue(e.getMessage().startsWith("database " + file + " is read-only: give the service user write access"),
                    e.getMessage());
            assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(file)), "the file is left as it was");
        } finally {
            new ProcessBuilder("umount", mnt.toString()).inheritIO().start().waitFor();
        }
    }
}
