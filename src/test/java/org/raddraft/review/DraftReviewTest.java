package org.raddraft.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.report.ReportLabeller;
import org.raddraft.store.Database;

/** Approve/reject on a real H2 database: the state change, locking, feedback, audit and the hand-over. */
class DraftReviewTest {

    static final String FINDINGS = "The heart is normal in size. There is a small right pleural effusion. No pneumothorax.";
    static final String IMPRESSION = "Small right pleural effusion.";
    static final ReportLabeller LABELLER = ReportLabeller.withDefaultLexicon();

    @TempDir
    Path dir;
    Database db;
    final List<Long> handedOver = new CopyOnWriteArrayList<>();
    DraftReview review;
    Actor drA;
    Actor drB;

    @BeforeEach
    void open() throws Exception {
        db = ReviewDb.open(dir);
        Users users = new Users(db, Clock.systemUTC());
        drA = radiologist(users, "dr-a");
        drB = radiologist(users, "dr-b");
        review = new DraftReview(db, Clock.systemUTC(), (c, id, correction) -> handedOver.add(id), LABELLER);
    }

    private Actor radiologist(Users users, String name) throws Exception {
        Users.User u = users.add(Actor.commandLine(), name, Role.RADIOLOGIST, List.of(), "a long enough pass".toCharArray()).user();
        return new Actor(new Principal(u.id(), u.name(), Role.RADIOLOGIST, "session"), u, "10.1.1.1");
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void approveAsDraftedIsFinalAuditedAndHandedOver() throws Exception {
        long id = ReviewDb.draft(db, "1.2.3.1", FINDINGS, IMPRESSION);
        DraftReview.Decision d = review.approve(id, 1, drA, null, null);
        assertEquals("APPROVED", d.state());
        assertEquals(2, d.version());
        assertEquals(List.of(id), handedOver);
        assertEquals(FINDINGS, ReviewDb.value(db, "SELECT final_findings FROM draft WHERE id = ?", id));
        assertEquals(drA.principal().userId(), ((Number) ReviewDb.value(db, "SELECT reviewer_id FROM draft WHERE id = ?", id)).longValue());
        assertEquals(1, ReviewDb.count(db, "SELECT COUNT(*) FROM audit_event WHERE action = 'approve' AND draft_id = ? AND outcome = '0'", id));
        assertEquals("APPROVED", ReviewDb.value(db, "SELECT decision FROM feedback WHERE draft_id = ?", id));
    }

    @Test
    void editedApprovalKeepsBothTextsAndTheStructuredDiff() throws Exception {
        long id = ReviewDb.draft(db, "1.2.3.2", FINDINGS, IMPRESSION);
        String edited = "The heart is normal in size. No pleural effusion. No pneumothorax.";
        DraftReview.Decision d = review.approve(id, null, drA, edited, "No acute cardiopulmonary abnormality.");
        assertEquals("APPROVED_WITH_EDITS", d.state());
        assertEquals(FINDINGS, ReviewDb.value(db, "SELECT findings FROM draft WHERE id = ?", id), "the draft text stays");
        assertEquals(edited, ReviewDb.value(db, "SELECT final_findings FROM draft WHERE id = ?", id));
        JsonNode diff = new ObjectMapper().readTree((String) ReviewDb.value(db, "SELECT diff FROM feedback WHERE draft_id = ?", id));
        assertTrue(diff.toString().contains("\"observation\":\"Pleural Effusion\",\"draft\":\"PRESENT\",\"result\":\"ABSENT\""), diff.toString());
        assertTrue(diff.toString().contains("{\"section\":\"FINDINGS\",\"op\":\"-\",\"text\":\"There is a small right pleural effusion.\"}"), diff.toString());
        assertTrue(diff.toString().contains("{\"section\":\"FINDINGS\",\"op\":\"+\",\"text\":\"No pleural effusion.\"}"), diff.toString());
        assertTrue(!diff.toString().contains("The heart is normal"), "unchanged sentences are not in the diff");
    }

    @Test
    void staleVersionIsRefusedAndChangesNothing() throws Exception {
        long id = ReviewDb.draft(db, "1.2.3.3", FINDINGS, IMPRESSION);
        ReviewRefused r = assertThrows(ReviewRefused.class, () -> review.approve(id, 7, drA, null, null));
        assertEquals(ReviewRefused.Why.STALE_VERSION, r.why());
        assertEquals("DRAFTED", ReviewDb.value(db, "SELECT state FROM draft WHERE id = ?", id));
        assertEquals(1, ((Number) ReviewDb.value(db, "SELECT version FROM draft WHERE id = ?", id)).intValue());
        assertEquals(0, ReviewDb.count(db, "SELECT COUNT(*) FROM feedback"));
        assertTrue(handedOver.isEmpty());
        assertEquals(1, ReviewDb.count(db, "SELECT COUNT(*) FROM audit_event WHERE action = 'approve' AND outcome = '4'"));
    }

    @Test
    void secondApprovalOfAFinalReportIsRefused() throws Exception {
        long id = ReviewDb.draft(db, "1.2.3.4", FINDINGS, IMPRESSION);
        review.approve(id, null, drA, null, null);
        ReviewRefused r = assertThrows(ReviewRefused.class, () -> review.approve(id, null, drB, null, null));
        assertEquals(ReviewRefused.Why.NOT_REVIEWABLE, r.why());
        assertTrue(r.getMessage().contains("already final") && r.getMessage().contains("dr-a"), r.getMessage());
        assertEquals(1, handedOver.size());
    }

    @Test
    void rejectNeedsAReasonAndIsNeverHandedOver() throws Exception {
        long id = ReviewDb.draft(db, "1.2.3.5", FINDINGS, IMPRESSION);
        ReviewRefused r = assertThrows(ReviewRefused.class, () -> review.reject(id, null, drA, "  "));
        assertEquals(ReviewRefused.Why.INVALID_INPUT, r.why());
        assertTrue(r.getMessage().contains("'reason'"), r.getMessage());
        assertEquals("REJECTED", review.reject(id, 1, drA, "wrong side: the effusion is on the left").state());
        assertEquals("wrong side: the effusion is on the left", ReviewDb.value(db, "SELECT reject_reason FROM draft WHERE id = ?", id));
        assertNull(ReviewDb.value(db, "SELECT final_findings FROM draft WHERE id = ?", id));
        assertTrue(handedOver.isEmpty());
    }

    @Test
    void aFailingHandOverRollsTheApprovalBack() throws Exception {
        long id = ReviewDb.draft(db, "1.2.3.6", FINDINGS, IMPRESSION);
        DraftReview failing = new DraftReview(db, Clock.systemUTC(), (c, d, corr) -> {
            throw new SQLException("outbox unavailable");
        }, LABELLER);
        assertThrows(SQLException.class, () -> failing.approve(id, null, drA, null, null));
        assertEquals("DRAFTED", ReviewDb.value(db, "SELECT state FROM draft WHERE id = ?", id));
        assertEquals(0, ReviewDb.count(db, "SELECT COUNT(*) FROM feedback"));
        assertEquals(0, ReviewDb.count(db, "SELECT COUNT(*) FROM audit_event WHERE action = 'approve'"));
    }

    @Test
    void ofTwoSimultaneousApprovalsExactlyOneWins() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 50; round++) {
                long id = ReviewDb.draft(db, "1.2.4." + round, FINDINGS, IMPRESSION);
                CyclicBarrier start = new CyclicBarrier(2);
                List<Future<String>> results = new ArrayList<>();
                for (Actor a : List.of(drA, drB)) {
                    Callable<String> approve = () -> {
                        start.await();
                        try {
                            return review.approve(id, a == drA ? 1 : null, a, null, null).state();
                        } catch (ReviewRefused r) {
                            return r.why().name();
                        }
                    };
                    results.add(pool.submit(approve));
                }
                List<String> outcomes = new ArrayList<>();
                for (Future<String> f : results) {
                    outcomes.add(f.get());
                }
                assertEquals(1, outcomes.stream().filter("APPROVED"::equals).count(), "round " + round + ": " + outcomes);
                assertEquals(1, ReviewDb.count(db, "SELECT COUNT(*) FROM feedback WHERE draft_id = ?", id));
                assertEquals(2, ((Number) ReviewDb.value(db, "SELECT version FROM draft WHERE id = ?", id)).intValue());
            }
            assertEquals(50, handedOver.size());
            assertEquals(50, handedOver.stream().distinct().count());
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        }
    }
}
