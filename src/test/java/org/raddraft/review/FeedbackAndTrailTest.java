package org.raddraft.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.report.ReportLabeller;
import org.raddraft.store.Database;

/** The feedback export and a study's audit trail, after real decisions on a real database. */
class FeedbackAndTrailTest {

    @TempDir
    Path dir;
    Database db;
    DraftReview review;
    Actor dr;

    @BeforeEach
    void open() throws Exception {
        db = ReviewDb.open(dir);
        Users.User u = new Users(db, Clock.systemUTC()).add(Actor.commandLine(), "dr-a", Role.RADIOLOGIST, List.of(),
                "a long enough pass".toCharArray()).user();
        dr = new Actor(new Principal(u.id(), u.name(), Role.RADIOLOGIST, "session"), u, "10.1.1.1");
        review = new DraftReview(db, Clock.systemUTC(), (c, id, corr) -> { }, ReportLabeller.withDefaultLexicon());
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void feedbackExportHasTextsDiffAndDecisionButNoStudyIdentifiers() throws Exception {
        long a = ReviewDb.draft(db, "1.2.826.0.1.3680043.99.1", "Heart size normal. Lungs are clear.", "No acute disease.");
        long b = ReviewDb.draft(db, "1.2.826.0.1.3680043.99.2", "Small left effusion.", "Left pleural effusion.");
        review.approve(a, null, dr, null, "Normal chest.");
        review.reject(b, null, dr, "image quality too poor to report");
        StringWriter out = new StringWriter();
        assertEquals(2, FeedbackExport.write(db, out));
        String text = out.toString();
        assertFalse(text.contains("1.2.826.0.1.3680043.99"), "no Study Instance UID in the export");
        String[] lines = text.split("\n");
        JsonNode first = new ObjectMapper().readTree(lines[0]);
        assertEquals("APPROVED_WITH_EDITS", first.get("decision").asText());
        assertEquals("No acute disease.", first.get("draft_impression").asText());
        assertEquals("Normal chest.", first.get("final_impression").asText());
        assertEquals("+", first.get("diff").get("sentences").get(1).get("op").asText());
        assertTrue(first.get("flags").isArray());
        JsonNode second = new ObjectMapper().readTree(lines[1]);
        assertEquals("REJECTED", second.get("decision").asText());
        assertEquals("image quality too poor to report", second.get("reject_reason").asText());
        assertTrue(second.get("final_findings").isNull());
    }

    @Test
    void trailRunsFromDraftToDecision() throws Exception {
        long id = ReviewDb.draft(db, "1.2.3.77", "Lungs are clear.", "Normal.");
        new AuditLog(Clock.systemUTC()).record(db, AuditEntry.of(dr, "read", "DiagnosticReport", String.valueOf(id))
                .draft(((Number) ReviewDb.value(db, "SELECT study_id FROM draft WHERE id = ?", id)).longValue(), id));
        review.approve(id, 1, dr, null, null);
        List<StudyTrail.Step> steps = StudyTrail.of(db, "1.2.3.77");
        List<String> what = steps.stream().map(StudyTrail.Step::what).toList();
        assertEquals(List.of("study STABLE (draft " + id + " started)", "draft " + id + " drafted",
                "read DiagnosticReport/" + id, "approve DiagnosticReport/" + id), what);
        assertTrue(steps.get(3).who().startsWith("dr-a (radiologist)"), steps.get(3).who());
        assertNull(StudyTrail.of(db, "9.9.9"));
    }
}
