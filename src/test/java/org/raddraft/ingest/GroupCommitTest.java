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
 * go, or fails it once (stand-ins for that timing and that fault only); the database, the files and the
 * renames are real. A file's fsync that takes its time is a {@link ReceivedInstance.ContentSync} held
 * by the test, likewise.
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
    private final AtomicInteger connectionsTaken = new AtomicInteger();
    private final AtomicInteger connectionsClosed = new AtomicInteger();
    private final AtomicInteger commitsToFail = new AtomicInteger();
    private final CountDownLatch instanceInsertPrepared = new CountDownLatch(1);

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

    /**
     * A real connection whose commit() waits, the first time, until the test releases it (or fails while
     * {@link #commitsToFail} is positive); counts how many are taken and closed, and notes the instance
     * row's INSERT being prepared.
     */
    private Connection heldConnection() throws java.sql.SQLException {
        Connection real = db.connection();
        connectionsTaken.incrementAndGet();
        return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("commit")) {
                        commits.incrementAndGet();
                        commitEntered.countDown();
                        releaseCommit.await();
                        if (commitsToFail.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                            throw new java.sql.SQLException("commit failed (test)", "08006");
                        }
                    }
                    if (method.getName().equals("close")) {
                        connectionsClosed.incrementAndGet();
                    }
                    if (method.getName().equals("prepareStatement") && ((String) args[0]).contains("INSERT INTO instance")) {
                        instanceInsertPrepared.countDown();
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

    @Test
    void theWriterKeepsItsConnectionFromBatchToBatch() throws Exception {
        releaseCommit.countDown();
        for (int i = 0; i < 5; i++) {
            record(received("s" + i, PA, "1.2.3.20" + i));
        }
        assertEquals(5, commits.get(), "one association: a batch, and a commit, per instance");
        assertEquals(1, connectionsTaken.get(), "one connection (one session) for all five batches, not one each");
        assertEquals(5, count("instance"));
    }

    @Test
    void theKeptConnectionGoesBackWhenTheBurstEndsOrAtClose() throws Exception {
        releaseCommit.countDown();
        record(received("burst", PA, "1.2.3.60"));
        assertEquals(0, connectionsClosed.get(), "kept for the next instance of the burst");
        long deadline = System.currentTimeMillis() + 10_000;
        while (connectionsClosed.get() == 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(1, connectionsClosed.get(), "given back once no instance came for a while");
        record(received("again", PA, "1.2.3.61"));
        index.close();
        assertEquals(2, connectionsClosed.get(), "close (the receiver stopped) gives it back at once");
        assertEquals(2, count("instance"));
    }

    @Test
    void aFailedBatchGivesBackItsConnectionAndTheNextTakesAnother() throws Exception {
        releaseCommit.countDown();
        commitsToFail.set(1);
        assertThrows(IllegalStateException.class, () -> record(received("fails", PA, "1.2.3.30")),
                "the commit failed: no success");
        assertEquals(1, connectionsClosed.get(), "the connection that failed went back");
        record(received("next", PA, "1.2.3.31"));
        assertEquals(2, connectionsTaken.get(), "the next batch on a fresh connection");
        assertEquals(1, count("instance"), "the failed one rolled back, the next one committed");
    }

    @Test
    void anInstanceForAnIdleWriterIsIndexedDuringItsFsyncButRenamedOnlyAfterIt() throws Exception {
        releaseCommit.countDown();
        CountDownLatch fsyncDone = new CountDownLatch(1);
        ReceivedInstance in = held(received("slow-disk", PA, "1.2.3.40"), fsyncDone);
        CompletableFuture<Void> store = CompletableFuture.runAsync(() -> record(in));
        assertTrue(instanceInsertPrepared.await(10, TimeUnit.SECONDS),
                "the idle writer inserts the row while the file's fsync still runs");
        Thread.sleep(200);
        assertFalse(store.isDone(), "no answer before the fsync");
        assertEquals(0, placedFiles(), "not renamed into place before its content is on disk");
        assertTrue(Files.exists(in.tempFile()));
        fsyncDone.countDown();
        store.get(10, TimeUnit.SECONDS);
        assertEquals(1, placedFiles());
        assertEquals(1, count("instance"));
    }

    @Test
    void anInstanceForABusyWriterWaitsForItsFsyncBeforeItQueues() throws Exception {
        CompletableFuture<Void> first = CompletableFuture.runAsync(() -> record(received("first", PA, "1.2.3.50")));
        assertTrue(commitEntered.await(10, TimeUnit.SECONDS));
        CountDownLatch fsyncDone = new CountDownLatch(1);
        CompletableFuture<Void> second = CompletableFuture.runAsync(
                () -> record(held(received("second", PA, "1.2.3.51"), fsyncDone)));
        Thread.sleep(300);
        assertEquals(0, index.queuedForCommit(), "not queued (where it would hold up the next batch) before its fsync");
        fsyncDone.countDown();
        long deadline = System.currentTimeMillis() + 10_000;
        while (index.queuedForCommit() < 1 && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(1, index.queuedForCommit(), "queued once its fsync completed");
        releaseCommit.countDown();
        first.get(10, TimeUnit.SECONDS);
        second.get(10, TimeUnit.SECONDS);
        assertEquals(2, count("instance"));
    }

    /** {@code in} with a content fsync that completes when {@code done} is counted down. */
    private static ReceivedInstance held(ReceivedInstance in, CountDownLatch done) {
        return new ReceivedInstance(in.tempFile(), in.transferSyntaxUid(), in.callingAeTitle(), in.remoteHost(),
                in.attributes(), () -> {
                    try {
                        done.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(e);
                    }
                });
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
