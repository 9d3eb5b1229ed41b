package org.raddraft.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.store.Database;

/** Correcting an approved report on a real H2 database: the text, the record of the change, the audit and the hand-over. */
class DraftAmendmentTest {

    @TempDir
    Path dir;
    Database db;
    /** What was handed to delivery: draft id and whether as a correction. */
    final List<String> handedOver = new CopyOnWriteArrayList<>();
    DraftReview review;
    Actor drA;
    Actor drB;
    long id;

    @BeforeEach
    void open() throws Exception {
        db = ReviewDb.open(dir);
        Users users = new Users(db, Clock.systemUTC());
        drA = actor(users, "dr-a", Role.RADIOLOGIST);
        drB = actor(users, "dr-b", Role.RADIOLOGIST);
        review = new DraftReview(db, Clock.systemUTC(),
                (c, draft, correction) -> handedOver.add(draft + (correction ? " correction" : " approval")),
                DraftReviewTest.LABELLER);
        id = ReviewDb.draft(db, "1.2.3.9", DraftReviewTest.FINDINGS, DraftReviewTest.IMPRESSION);
    }

    private static Actor actor(Users users, String name, Role role) throws Exception {
        Users.User u = users.add(Actor.commandLine(), name, role, List.of(), "a long enough pass".toCharArray()).user();
        return new Actor(new Principal(u.id(), u.name(), role, "session"), u, "10.1.1.1");
    }

    @AfterEach
    void close() {
        db.close();
    }

    private long count(String sql) throws Exception {
        return ReviewDb.count(db, sql, id);
    }

    @Test
    void amendedReportKeepsWhatItReplacesIsAuditedAndQueuedAsACorrection() throws Exception {
        review.approve(id, 1, drA, null, null);
        DraftReview.Decision d = review.amend(id, 2, drB, "The heart is normal in size. No pleural effusion.",
                "No acute abnormality.", "effusion was a skin fold");
        assertEquals(3, d.version());
        assertEquals("APPROVED_WITH_EDITS", d.state());
        assertEquals(List.of(id + " approval", id + " correction"), handedOver);
        assertEquals("The heart is normal in size. No pleural effusion.",
                ReviewDb.value(db, "SELECT final_findings FROM draft WHERE id = ?", id));
        assertEquals(1, count("SELECT amendments FROM draft WHERE id = ?"));
        assertEquals(drB.principal().userId(), count("SELECT reviewer_id FROM draft WHERE id = ?"),
                "the correcting radiologist signs the corrected report");
        assertEquals(DraftReviewTest.FINDINGS,
                ReviewDb.value(db, "SELECT previous_findings FROM draft_amendment WHERE draft_id = ?", id));
        assertEquals("effusion was a skin fold", ReviewDb.value(db, "SELECT reason FROM draft_amendment WHERE draft_id = ?", id));
        assertEquals(1, count("SELECT COUNT(*) FROM audit_event WHERE action = 'amend' AND draft_id = ? AND outcome = '0'"));

        // a second correction: the impression only, on the version now current
        review.amend(id, 3, drA, null, "Normal chest.", "wording");
        assertEquals(2, count("SELECT amendments FROM draft WHERE id = ?"));
        assertEquals("The heart is normal in size. No pleural effusion.",
                ReviewDb.value(db, "SELECT final_findings FROM draft WHERE id = ?", id), "findings kept");
        assertEquals(3, handedOver.size());
    }

    @Test
    void onlyAnApprovedReportAtTheVersionReadCanBeAmended() throws Exception {
        ReviewRefused notYet = assertThrows(ReviewRefused.class, () -> review.amend(id, 1, drA, "x.", null, "why"));
        assertEquals(ReviewRefused.Why.NOT_REVIEWABLE, notYet.why());
        assertTrue(notYet.getMessage().contains("not approved yet: approve it (with edits) instead"), notYet.getMessage());

        review.approve(id, 1, drA, null, null);
        ReviewRefused stale = assertThrows(ReviewRefused.class, () -> review.amend(id, 1, drA, "x.", null, "why"));
        assertEquals(ReviewRefused.Why.STALE_VERSION, stale.why());
        assertEquals(0, count("SELECT amendments FROM draft WHERE id = ?"), "nothing changed");
        assertEquals(List.of(id + " approval"), handedOver, "nothing queued");
        assertEquals(2, count("SELECT COUNT(*) FROM audit_event WHERE action = 'amend' AND draft_id = ? AND outcome = '4'"),
                "refusals are audited");
    }

    @Test
    void anAmendmentNeedsAReasonNewTextAndARadiologist() throws Exception {
        review.approve(id, 1, drA, null, null);
        ReviewRefused noReason = assertThrows(ReviewRefused.class, () -> review.amend(id, 2, drA, "x.", null, " "));
        assertTrue(noReason.getMessage().startsWith("parameter 'reason' is required"), noReason.getMessage());
        ReviewRefused noText = assertThrows(ReviewRefused.class, () -> review.amend(id, 2, drA, null, null, "why"));
        assertTrue(noText.getMessage().startsWith("give 'findings', 'impression' or both"), noText.getMessage());
        ReviewRefused same = assertThrows(ReviewRefused.class,
                () -> review.amend(id, 2, drA, DraftReviewTest.FINDINGS, DraftReviewTest.IMPRESSION, "why"));
        assertTrue(same.getMessage().contains("nothing to amend"), same.getMessage());
        Actor admin = actor(new Users(db, Clock.systemUTC()), "it-admin", Role.ADMIN);
        ReviewRefused notRadiologist = assertThrows(ReviewRefused.class, () -> review.amend(id, 2, admin, "x.", null, "why"));
        assertTrue(notRadiologist.getMessage().startsWith("only a radiologist can amend a report"), notRadiologist.getMessage());
        assertEquals(0, count("SELECT amendments FROM draft WHERE id = ?"));
        assertEquals(List.of(id + " approval"), handedOver);
    }
}
