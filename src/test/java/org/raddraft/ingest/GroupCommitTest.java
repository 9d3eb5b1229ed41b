package org.raddraft.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.dicom.DicomAttributes;
import org.raddraft.dicom.DicomStatusException;
import org.raddraft.dicom.ReceivedInstance;
import org.raddraft.store.Database;

/**
 * The ingest's group commit ({@link GroupCommit} through {@link InstanceIndex#record}): instances of
 * several associations share one transaction, and none is acknowledged (record returns) before the
 * commit of its batch. A commit that takes its time cannot be caused on a real H2 database from a test,
 * so the index gets its connections through a proxy that holds {@code commit()} until the test lets it
 * go (a stand-in for that timing only); the database, the files and the renames are real.
 */
class GroupCommitTest {

    static final Path PA = RecoveryTest.PA;
    static final Path LL = PA.resolveSibling("2-LL.dcm");

    @TempDir
    Path home;
    private Database db;
    private DirectorySyncer syncer;
    private InstanceIndex index;
    private final AtomicInteger commits = new AtomicInteger();
    private final CountDownLatch commitEntered = new CountDownLatch(1);
    private final CountDownLatch releaseCommit = new CountDownLatch(1);

    @BeforeEach
    void open() {
        db = Database.open("jdbc:h2:file:" + home.resolve("db/t"), "sa", "");
        syncer = new DirectorySyncer(Duration.ofMillis(50));
        index = new InstanceIndex(db, home.resolve("spool"), Clock.systemUTC(), syncer, this::heldConnection);
    }

    @AfterEach
    void close() {
        releaseCommit.countDown();
        syncer.close();
        db.close();
    }

    /** A real connection whose commit() waits, the first time, until the test releases it. */
    private Connection heldConnection() throws java.sql.SQLException {
        Connection real = db.connection();
        return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("commit")) {
                        commits.incrementAndGet();
                        commitEntered.countDown();
                        releaseCommit.await();
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void noInstanceIsAcknowledgedBeforeItsBatchIsCommitted() throws Exception {
        CompletableFuture<Void> store = CompletableFuture.runAsync(() -> record(received("a", PA, "1.2.3.1")));
        assertTrue(commitEntered.await(10, TimeUnit.SECONDS), "the batch reaches its commit");
        Thread.sleep(300);
        assertFalse(store.isDone(), "record (the C-STORE's answer) waits for the commit of its batch");
        assertEquals(0, count("instance"), "the row is not committed yet");
        assertEquals(1, placedFiles(), "the file is in place (and its directory fsync'd) before the commit");
        releaseCommit.countDown();
        store.get(10, TimeUnit.SECONDS);
        assertEquals(1, count("instance"), "committed when record returned");
    }

    @Test
    void instancesQueuedBehindACommitShareTheNextOne() throws Exception {
        List<CompletableFuture<Void>> stores = new ArrayList<>();
        stores.add(CompletableFuture.runAsync(() -> record(received("first", PA, "1.2.3.100"))));
        assertTrue(commitEntered.await(10, TimeUnit.SECONDS));
        for (int i = 0; i < 7; i++) {
            String sop = "1.2.3." + i;
            stores.add(CompletableFuture.runAsync(() -> record(received("i" + sop, PA, sop))));
        }
        long deadline = System.currentTimeMillis() + 10_000;
        while (index.queuedForCommit() < 7 && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(7, index.queuedForCommit(), "seven associations wait behind the held commit");
        releaseCommit.countDown();
        for (CompletableFuture<Void> s : stores) {
            s.get(10, TimeUnit.SECONDS);
        }
        assertEquals(8, count("instance"));
        assertEquals(8, placedFiles());
        assertEquals(2, commits.get(), "the seven queued instances were committed together");
    }

    @Test
    void aRefusedInstanceLeavesTheRestOfItsBatch() throws Exception {
        CompletableFuture<Void> first = CompletableFuture.runAsync(() -> record(received("first", PA, "1.2.3.9")));
        assertTrue(commitEntered.await(10, TimeUnit.SECONDS));
        // one batch behind the held commit: another instance, the same UID with other content, and with the same
        CompletableFuture<Void> other = CompletableFuture.runAsync(() -> record(received("ok", PA, "1.2.3.10")));
        CompletableFuture<Void> conflicting = CompletableFuture.runAsync(() -> record(received("bad", LL, "1.2.3.9")));
        CompletableFuture<Void> same = CompletableFuture.runAsync(() -> record(received("same", PA, "1.2.3.9")));
        long deadline = System.currentTimeMillis() + 10_000;
        while (index.queuedForCommit() < 3 && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        releaseCommit.countDown();
        first.get(10, TimeUnit.SECONDS);
        other.get(10, TimeUnit.SECONDS);
        same.get(10, TimeUnit.SECONDS);
        ExecutionException e = assertThrows(ExecutionException.class, () -> conflicting.get(10, TimeUnit.SECONDS));
        DicomStatusException status = (DicomStatusException) e.getCause().getCause();
        assertEquals(DicomStatusException.DUPLICATE_SOP_INSTANCE, status.status());
        assertEquals(2, count("instance"), "the first copy and the other instance, once each");
        assertEquals(2, placedFiles());
        assertEquals(2, commits.get(), "the three were one batch");
    }

    private ReceivedInstance received(String name, Path content, String sop) {
        try {
            Path tmp = Files.createDirectories(home.resolve("spool/tmp")).resolve(name + ".part");
            Files.copy(content, tmp);
            DicomAttributes a = DicomAttributes.read(tmp);
            DicomAttributes withSop = new DicomAttributes(a.studyInstanceUid(), a.seriesInstanceUid(), sop,
                    a.sopClassUid(), a.modality(), a.bodyPartExamined(), a.viewPosition(), a.studyDescription(),
                    a.seriesDescription(), a.patientAge(), a.patientBirthDate(), a.studyDate(), a.accessionNumber(),
                    a.photometricInterpretation(), a.rows(), a.columns(), a.patientId(), a.issuerOfPatientId(),
                    a.patientName(), a.patientSex());
            return new ReceivedInstance(tmp, "1.2.840.10008.1.2.1", "PACS", "127.0.0.1", withSop);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void record(ReceivedInstance in) {
        try {
            index.record(in);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private long count(String table) throws Exception {
        return InstanceIndexTest.count(db, table);
    }

    private long placedFiles() throws Exception {
        return InstanceIndexTest.placedFiles(home);
    }
}
