package org.raddraft.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.dicom.DicomAttributes;
import org.raddraft.dicom.ReceivedInstance;
import org.raddraft.ingest.DirectorySyncer;
import org.raddraft.ingest.InstanceIndex;
import org.raddraft.ingest.ScopeGate;
import org.raddraft.ingest.StudyAssembler;
import org.raddraft.ops.StudyListing;
import org.raddraft.store.Database;
import org.raddraft.testing.TestClock;

/**
 * The drafting work list on a real H2 database. Outcomes are built by hand here: the model's
 * own behaviour is tested in the inference tests; this is about claiming, storing, failing, retrying.
 */
class DraftQueueTest {

    @TempDir
    Path home;
    Database db;
    final TestClock clock = new TestClock(Instant.parse("2026-11-22T10:00:00Z"));
    InstanceIndex index;
    DirectorySyncer syncer;
    StudyAssembler assembler;
    DraftQueue queue;

    @BeforeEach
    void open() {
        db = Database.open("jdbc:h2:file:" + home.resolve("db/t"), "sa", "");
        syncer = new DirectorySyncer(java.time.Duration.ofMillis(50));
        index = new InstanceIndex(db, home.resolve("spool"), clock, syncer);
        assembler = new StudyAssembler(db, new ScopeGate(18), Duration.ofSeconds(5), clock);
        queue = new DraftQueue(db, home.resolve("spool"), clock, 4, 2, Duration.ofSeconds(30));
    }

    @AfterEach
    void close() {
        syncer.close();
        db.close();
    }

    void receive(String study, String sop, String view) throws Exception {
        Path tmp = Files.createDirectories(home.resolve("spool/tmp")).resolve(sop + ".part");
        Files.write(tmp, new byte[] {1});
        index.record(new ReceivedInstance(tmp, "1.2.840.10008.1.2.1", "PACS", "127.0.0.1",
                new DicomAttributes(study, study + ".1", sop, "1.2.840.10008.5.1.4.1.1.1", "CR", "CHEST", view,
                        "XR CHEST", null, "050Y", null, null, null, "MONOCHROME2", 8, 8)));
    }

    void settle() throws Exception {
        clock.advance(Duration.ofSeconds(6));
        assembler.settleQuietStudies();
    }

    static Draft draft(String findings) {
        return new Draft(findings, "No acute abnormality.", List.of(5, 6, 2), List.of(-0.1f, -0.2f, -0.01f), null,
                12, 80, "reference-cxr", "1.0");
    }

    @Test
    void claimsStableStudyWithFrontalAndLateral() throws Exception {
        receive("1.2.3", "1.2.3.9.1", "LL");
        receive("1.2.3", "1.2.3.9.2", "AP");
        receive("1.2.3", "1.2.3.9.3", "PA");
        settle();
        List<StudyImages> claimed = queue.claim();
        assertEquals(1, claimed.size());
        assertTrue(claimed.get(0).frontal().toString().endsWith("1.2.3.9.3.dcm"), "PA is preferred over AP");
        assertTrue(claimed.get(0).lateral().toString().endsWith("1.2.3.9.1.dcm"));
        assertEquals("DRAFTING", StudyListing.studies(db).get(0).state());
        assertEquals(List.of(), queue.claim(), "a claimed study is not claimed twice");
    }

    @Test
    void frontalOnlyStudyIsClaimedWithoutLateral() throws Exception {
        receive("1.2.4", "1.2.4.9.1", "PA");
        settle();
        assertNull(queue.claim().get(0).lateral());
    }

    @Test
    void storedDraftKeepsTextLogProbsAndTimings() throws Exception {
        receive("1.2.3", "1.2.3.9.1", "PA");
        settle();
        long id = queue.claim().get(0).studyId();
        clock.advance(Duration.ofMillis(300));
        queue.store(List.of(DraftOutcome.drafted(id, draft("Heart size is normal."))));
        assertEquals("DRAFTED", StudyListing.studies(db).get(0).state());
        try (Connection c = db.connection(); ResultSet rs = c.createStatement().executeQuery(
                "SELECT state, findings, token_logprobs, generate_ms, DATEDIFF('MILLISECOND', stable_at, drafted_at) FROM draft")) {
            rs.next();
            assertEquals("DRAFTED", rs.getString(1));
            assertEquals("Heart size is normal.", rs.getString(2));
            assertEquals("[-0.1,-0.2,-0.01]", rs.getString(3));
            assertEquals(80, rs.getLong(4));
            assertEquals(300, rs.getLong(5), "stable→drafted latency is measured from when the study became STABLE");
        }
    }

    @Test
    void failureIsRecordedAndRetriedBoundedTimes() throws Exception {
        receive("1.2.3", "1.2.3.9.1", "PA");
        settle();
        long id = queue.claim().get(0).studyId();
        queue.store(List.of(DraftOutcome.failed(id, "pixel data cannot be decoded")));
        var row = StudyListing.studies(db).get(0);
        assertEquals("FAILED", row.state());
        assertEquals("pixel data cannot be decoded (attempt 1 of 2, retried)", row.reason());
        assertEquals(List.of(), queue.claim(), "not before the retry delay");
        clock.advance(Duration.ofSeconds(31));
        List<StudyImages> again = queue.claim();
        assertEquals(1, again.size(), "retried after the delay");
        queue.failBatch(again, new InferenceException("ORT session failed"));
        assertEquals("model error: ORT session failed (attempt 2 of 2, not retried)", StudyListing.studies(db).get(0).reason());
        clock.advance(Duration.ofSeconds(3600));
        assertEquals(List.of(), queue.claim(), "no third attempt");
    }

    @Test
    void aStudyWaitingForTheEnginesIsRetriedOnScheduleWithoutUsingUpItsAttempts() throws Exception {
        receive("1.2.3", "1.2.3.9.1", "PA");
        settle();
        for (int i = 0; i < 5; i++) { // max-attempts is 2: five engine outages in a row lose nothing
            List<StudyImages> claimed = queue.claim();
            assertEquals(1, claimed.size(), "claimed again on outage " + i);
            queue.store(List.of(DraftOutcome.waiting(claimed.get(0).studyId(), "no drafting engine answered: gpu1:8000 HTTP 503")));
            var row = StudyListing.studies(db).get(0);
            assertEquals("FAILED", row.state());
            assertEquals("no drafting engine answered: gpu1:8000 HTTP 503 (waiting; retried every 30 s)", row.reason());
            assertEquals(List.of(), queue.claim(), "not before the retry delay");
            clock.advance(Duration.ofSeconds(31));
        }
        long id = queue.claim().get(0).studyId();
        queue.store(List.of(DraftOutcome.drafted(id, draft("Heart size is normal."))));
        assertEquals("DRAFTED", StudyListing.studies(db).get(0).state());
    }

    @Test
    void adminRetryRequeuesAnExhaustedFailureWithFreshAttempts() throws Exception {
        receive("1.2.3", "1.2.3.9.1", "PA");
        receive("1.2.4", "1.2.4.9.1", "PA");
        settle();
        List<StudyImages> claimed = queue.claim();
        long failedId = claimed.get(0).studyId();
        queue.store(List.of(DraftOutcome.failed(failedId, "pixel data cannot be decoded"),
                DraftOutcome.drafted(claimed.get(1).studyId(), draft("Clear lungs."))));
        clock.advance(Duration.ofSeconds(31));
        queue.failBatch(queue.claim(), new InferenceException("ORT session failed"));
        assertEquals(List.of(), queue.claim(), "attempts exhausted");

        clock.advance(Duration.ofSeconds(60));
        assertEquals(List.of(), DraftQueue.requeueFailed(db, clock, "1.2.4"), "a DRAFTED study is not a failure to retry");
        List<DraftQueue.Requeued> requeued = DraftQueue.requeueFailed(db, clock, null);
        assertEquals(List.of(new DraftQueue.Requeued(failedId, "1.2.3",
                "model error: ORT session failed (attempt 2 of 2, not retried)")), requeued);
        var row = StudyListing.studies(db).get(0);
        assertEquals("STABLE", row.state());
        assertNull(row.reason());
        assertEquals(failedId, queue.claim().get(0).studyId(), "drafted again at once");
        queue.store(List.of(DraftOutcome.failed(failedId, "pixel data cannot be decoded")));
        assertEquals("pixel data cannot be decoded (attempt 1 of 2, retried)", StudyListing.studies(db).get(0).reason(),
                "a fresh set of attempts");
        assertEquals("DRAFTED", StudyListing.studies(db).get(1).state());
    }

    @Test
    void lateInstanceWhileDraftingDiscardsTheDraftAndRedrafts() throws Exception {
        receive("1.2.3", "1.2.3.9.1", "PA");
        settle();
        long id = queue.claim().get(0).studyId();
        receive("1.2.3", "1.2.3.9.2", "LL"); // arrives while the model runs
        queue.store(List.of(DraftOutcome.drafted(id, draft("stale"))));
        assertEquals("COLLECTING", StudyListing.studies(db).get(0).state());
        settle();
        List<StudyImages> again = queue.claim();
        assertTrue(again.get(0).lateral() != null, "redrafted with the late lateral view");
    }

    @Test
    void newDraftSupersedesTheOldOne() throws Exception {
        receive("1.2.3", "1.2.3.9.1", "PA");
        settle();
        queue.store(List.of(DraftOutcome.drafted(queue.claim().get(0).studyId(), draft("first"))));
        receive("1.2.3", "1.2.3.9.2", "LL");
        try (Connection c = db.connection(); ResultSet rs = c.createStatement().executeQuery("SELECT state FROM draft")) {
            rs.next();
            assertEquals("SUPERSEDED", rs.getString(1), "a late instance takes the old draft off the worklist at once");
        }
        settle();
        queue.store(List.of(DraftOutcome.drafted(queue.claim().get(0).studyId(), draft("second"))));
        try (Connection c = db.connection(); ResultSet rs = c.createStatement().executeQuery(
                "SELECT findings, state FROM draft ORDER BY id")) {
            rs.next();
            assertEquals("first SUPERSEDED", rs.getString(1) + " " + rs.getString(2));
            rs.next();
            assertEquals("second DRAFTED", rs.getString(1) + " " + rs.getString(2));
        }
    }

    @Test
    void draftingInterruptedByACrashIsResumed() throws Exception {
        receive("1.2.3", "1.2.3.9.1", "PA");
        settle();
        queue.claim();
        assertEquals(1, queue.recover());
        assertEquals(1, queue.claim().size());
    }

    /**
     * Issue 21 #5: a study whose images kill the JVM while drafting was set back to STABLE at every
     * start and drafted again, forever. Each interrupted attempt counts; after draft.max-attempts (2
     * here) it is FAILED with the reason and not claimed again.
     */
    @Test
    void aStudyInterruptedAtEveryStartFailsAfterMaxAttempts() throws Exception {
        receive("1.2.3", "1.2.3.9.1", "PA");
        settle();
        assertEquals(1, queue.claim().size()); // attempt 1 ... and the JVM dies
        assertEquals(1, queue.recover());
        assertEquals("STABLE", StudyListing.studies(db).get(0).state());
        assertEquals(1, queue.claim().size()); // attempt 2 ... and the JVM dies again
        assertEquals(1, queue.recover());
        StudyListing.StudyRow row = StudyListing.studies(db).get(0);
        assertEquals("FAILED", row.state());
        assertEquals("drafting interrupted (the daemon stopped while drafting it) (attempt 2 of 2, not retried)",
                row.reason());
        clock.advance(Duration.ofHours(1));
        assertTrue(queue.claim().isEmpty(), "not drafted a third time");
    }

    @Test
    void aFailedBatchSaysWhatFailedInRadDraftsWords() throws Exception {
        receive("1.2.3", "1.2.3.9.1", "PA");
        settle();
        List<StudyImages> claimed = queue.claim();
        queue.failBatch(claimed, new org.apache.camel.CamelExecutionException(
                "Exception occurred during execution on the exchange", null, new IllegalStateException("Smith^John")));
        String reason = StudyListing.studies(db).get(0).reason();
        assertTrue(reason.startsWith("model error: IllegalStateException (see the daemon log)"), reason);
    }
}
