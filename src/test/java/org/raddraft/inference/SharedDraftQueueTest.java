package org.raddraft.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.dicom.DicomAttributes;
import org.raddraft.dicom.ReceivedInstance;
import org.raddraft.ingest.DirectorySyncer;
import org.raddraft.ingest.InstanceIndex;
import org.raddraft.ingest.ScopeGate;
import org.raddraft.ingest.StudyAssembler;
import org.raddraft.store.Database;
import org.raddraft.testing.PgCluster;
import org.raddraft.testing.TestClock;

/**
 * Several nodes drafting from one database (issue 25), on PostgreSQL and on H2: each study is claimed by
 * one node; a node's claim is taken over by another only after its lease ran out, and then the first
 * node's late draft is discarded, so a study is drafted once; a node starting up leaves the other nodes'
 * claims alone.
 */
class SharedDraftQueueTest {

    static PgCluster pg;
    static int databases;

    @TempDir
    Path home;
    Database db;
    DirectorySyncer syncer;
    final TestClock clock = new TestClock(Instant.parse("2026-12-07T10:00:00Z"));
    static final Duration LEASE = Duration.ofSeconds(60);

    void open(String vendor) throws Exception {
        if (vendor.equals("postgresql")) {
            if (pg == null) {
                pg = PgCluster.start();
            }
            db = Database.open(pg.createDatabase("shared" + (++databases)), PgCluster.USER, pg.password());
        } else {
            db = Database.open("jdbc:h2:file:" + home.resolve("db/t"), "sa", "");
        }
        syncer = new DirectorySyncer(Duration.ofMillis(50));
    }

    @AfterEach
    void close() {
        if (syncer != null) {
            syncer.close();
        }
        if (db != null) {
            db.close();
        }
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (pg != null) {
            pg.close();
            pg = null;
        }
    }

    DraftQueue node(String name) {
        return new DraftQueue(db, home.resolve("spool"), clock, 4, 3, Duration.ofSeconds(30)).leasedBy(name, LEASE);
    }

    /** {@code n} stable single-view studies. */
    void stableStudies(int n) throws Exception {
        InstanceIndex index = new InstanceIndex(db, home.resolve("spool"), clock, syncer);
        for (int i = 1; i <= n; i++) {
            String study = "1.2.826.0.1." + i;
            Path tmp = Files.createDirectories(home.resolve("spool/tmp")).resolve(i + ".part");
            Files.write(tmp, new byte[] {1});
            index.record(new ReceivedInstance(tmp, "1.2.840.10008.1.2.1", "PACS", "127.0.0.1",
                    new DicomAttributes(study, study + ".1", study + ".1.1", "1.2.840.10008.5.1.4.1.1.1", "CR", "CHEST",
                            "PA", "XR CHEST", null, "050Y", null, null, null, "MONOCHROME2", 8, 8)));
        }
        clock.advance(Duration.ofSeconds(6));
        new StudyAssembler(db, new ScopeGate(18), Duration.ofSeconds(5), clock).settleQuietStudies();
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "h2"})
    void nodesClaimingAtOnceTakeDifferentStudies(String vendor) throws Exception {
        open(vendor);
        stableStudies(12);
        List<DraftQueue> nodes = List.of(node("a"), node("b"), node("c"));
        Set<Long> seen = new HashSet<>();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            for (int round = 1; seen.size() < 12 && round <= 6; round++) {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<List<StudyImages>>> claims = new ArrayList<>();
                for (DraftQueue n : nodes) {
                    Callable<List<StudyImages>> claim = () -> {
                        go.await();
                        return n.claim();
                    };
                    claims.add(pool.submit(claim));
                }
                go.countDown();
                int took = 0;
                for (Future<List<StudyImages>> f : claims) {
                    for (StudyImages s : f.get()) {
                        assertTrue(seen.add(s.studyId()), "study " + s.studyId() + " claimed by two nodes");
                        took++;
                    }
                }
                if (round == 1 && vendor.equals("postgresql")) {
                    // PostgreSQL skips the locked rows before the LIMIT: three batches of 4 at once.
                    // H2 applies the LIMIT first, so a claim racing others may come back short (one node on H2).
                    assertEquals(12, took, "three nodes with batches of 4 took all 12 studies at once");
                }
            }
            assertEquals(12, seen.size(), "every study claimed, each by one node");
        } finally {
            pool.shutdownNow();
        }
        assertEquals(12, count("SELECT COUNT(*) FROM study WHERE state = 'DRAFTING' AND lease_node IN ('a', 'b', 'c')"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "h2"})
    void aDeadNodesStudyIsTakenOverAfterItsLeaseAndDraftedOnce(String vendor) throws Exception {
        open(vendor);
        stableStudies(1);
        DraftQueue a = node("a");
        DraftQueue b = node("b");
        long id = a.claim().get(0).studyId();
        assertEquals(List.of(), b.claim(), "held by a while its lease runs");
        b.recover(); // b (re)starting does not take a's claim either
        assertEquals("DRAFTING", text("SELECT state FROM study"));
        assertEquals("a", text("SELECT lease_node FROM study"));

        clock.advance(LEASE.plusSeconds(1)); // a died: its lease runs out
        List<StudyImages> taken = b.claim();
        assertEquals(1, taken.size());
        assertEquals(id, taken.get(0).studyId());
        b.store(List.of(DraftOutcome.drafted(id, DraftQueueTest.draft("Drafted by b."))));
        // a was only slow, and comes back with its draft: discarded
        a.store(List.of(DraftOutcome.drafted(id, DraftQueueTest.draft("Drafted by a."))));
        assertEquals(1, count("SELECT COUNT(*) FROM draft"));
        assertEquals("b", text("SELECT drafted_by FROM draft"));
        assertEquals("Drafted by b.", text("SELECT findings FROM draft"));
        assertEquals(2, count("SELECT draft_attempts FROM study"), "the interrupted attempt counts");
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "h2"})
    void aStudyWhoseNodesKeepDyingFailsAfterMaxAttempts(String vendor) throws Exception {
        open(vendor);
        stableStudies(1);
        for (String n : List.of("a", "b", "c")) {
            assertEquals(1, node(n).claim().size(), n + " claims it");
            clock.advance(LEASE.plusSeconds(1)); // and dies
        }
        assertEquals(List.of(), node("d").claim());
        assertEquals("FAILED", text("SELECT state FROM study"));
        assertTrue(text("SELECT reason FROM study").startsWith("drafting interrupted (its node stopped"),
                text("SELECT reason FROM study"));
    }

    private long count(String sql) throws Exception {
        try (Connection c = db.connection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private String text(String sql) throws Exception {
        try (Connection c = db.connection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
