package org.raddraft.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.dicom.DicomAttributes;
import org.raddraft.dicom.DicomStatusException;
import org.raddraft.dicom.ReceivedInstance;
import org.raddraft.store.Database;

/**
 * The order of events in {@link InstanceIndex#record}: the row is inserted while the receiver's fsync
 * runs, the file renamed only after the fsync, the row committed after the rename. A failing or slow
 * fsync cannot be caused on a real disk from a test, so these tests hand the index a
 * {@link ReceivedInstance.ContentSync} that fails or blocks (a fake for that fault only); the files,
 * the H2 database and the renames are real.
 */
class InstanceIndexTest {

    static final Path PA = RecoveryTest.PA;

    @TempDir
    Path home;
    private Database db;
    private InstanceIndex index;
    private DirectorySyncer syncer;

    @BeforeEach
    void open() {
        db = Database.open("jdbc:h2:file:" + home.resolve("db/t"), "sa", "");
        syncer = new DirectorySyncer(Duration.ofMillis(50));
        index = new InstanceIndex(db, home.resolve("spool"), Clock.systemUTC(), syncer);
    }

    @AfterEach
    void close() {
        syncer.close();
        db.close();
    }

    @Test
    void failedFsyncLeavesNoRowNoStudyAndNoPlacedFile() throws Exception {
        ReceivedInstance in = received("a", () -> {
            throw DicomStatusException.outOfResources("cannot fsync spool file: EIO");
        });
        DicomStatusException e = assertThrows(DicomStatusException.class, () -> index.record(in));
        assertTrue(e.getMessage().contains("fsync"), e.getMessage());
        assertEquals(0, count("instance"), "no row for an instance that is not on disk");
        assertEquals(0, count("study"), "nor the study it would have created");
        assertTrue(Files.exists(in.tempFile()), "the temp file is left to the receiver, which deletes it");
        assertEquals(0, placedFiles());
        // the ingest keeps working
        index.record(received("b", ReceivedInstance.ContentSync.DONE));
        assertEquals(1, count("instance"));
        assertEquals(1, placedFiles());
    }

    @Test
    void nothingIsVisibleUntilTheFsyncCompleted() throws Exception {
        CountDownLatch fsync = new CountDownLatch(1);
        ReceivedInstance in = received("slow", () -> await(fsync));
        CompletableFuture<Void> store = CompletableFuture.runAsync(() -> record(in));
        Thread.sleep(300);
        assertFalse(store.isDone(), "record waits for the fsync");
        assertEquals(0, placedFiles(), "no file under its final name before its fsync completed");
        assertEquals(0, count("instance"), "no committed row before its file is in place");
        fsync.countDown();
        store.get(10, TimeUnit.SECONDS);
        assertEquals(1, count("instance"));
        assertEquals(1, placedFiles());
        assertFalse(Files.exists(in.tempFile()), "moved, not copied");
        Path tmp = home.resolve("spool/tmp");
        try (Stream<Path> s = Files.walk(home.resolve("spool"))) {
            Path placed = s.filter(p -> p.toString().endsWith(".dcm") && !p.startsWith(tmp)).findFirst().orElseThrow();
            assertArrayEquals(Files.readAllBytes(PA), Files.readAllBytes(placed));
        }
    }

    private ReceivedInstance received(String name, ReceivedInstance.ContentSync sync) throws Exception {
        Path tmp = Files.createDirectories(home.resolve("spool/tmp")).resolve(name + ".part");
        Files.copy(PA, tmp);
        return new ReceivedInstance(tmp, "1.2.840.10008.1.2.1", "PACS", "127.0.0.1", DicomAttributes.read(tmp), sync);
    }

    private void record(ReceivedInstance in) {
        try {
            index.record(in);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private long count(String table) throws Exception {
        return count(db, table);
    }

    static long count(Database db, String table) throws Exception {
        try (Connection c = db.connection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private long placedFiles() throws Exception {
        return placedFiles(home);
    }

    /** Files under their final name in home's spool. */
    static long placedFiles(Path home) throws Exception {
        Path tmp = home.resolve("spool/tmp");
        try (Stream<Path> s = Files.walk(home.resolve("spool"))) {
            return s.filter(p -> p.toString().endsWith(".dcm") && !p.startsWith(tmp)).count();
        }
    }
}
