package org.raddraft.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ca.uhn.fhir.rest.param.StringParam;
import ca.uhn.fhir.rest.param.TokenParam;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.hl7.fhir.r4.model.AuditEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.store.Database;
import org.raddraft.testing.TestClock;

/** The review page's image reads in the audit trail: one row per user, study, kind and outcome per window. */
class ImageReadAuditTest {

    @TempDir
    Path dir;
    Database db;
    final TestClock clock = new TestClock(Instant.parse("2026-12-03T10:00:00Z"));
    ImageReadAudit audit;
    Principal drA;
    Principal drB;
    long study;

    @BeforeEach
    void open() throws Exception {
        db = ReviewDb.open(dir);
        audit = new ImageReadAudit(db, new AuditLog(clock), clock);
        Users users = new Users(db, clock);
        drA = principal(users.add(Actor.commandLine(), "dr-a", Role.RADIOLOGIST, List.of(), "a long enough pass".toCharArray()));
        drB = principal(users.add(Actor.commandLine(), "dr-b", Role.RADIOLOGIST, List.of(), "a long enough pass".toCharArray()));
        long draft = ReviewDb.draft(db, "1.2.3.4", "No acute findings.", "Normal.");
        study = ReviewDb.count(db, "SELECT study_id FROM draft WHERE id = ?", draft);
    }

    @AfterEach
    void close() {
        db.close();
    }

    static Principal principal(Users.Created c) {
        return new Principal(c.user().id(), c.user().name(), c.user().role(), "session");
    }

    boolean image(Principal p, String outcome) throws Exception {
        return audit.read(p, null, "10.0.0.5", ImageReadAudit.IMAGE, study, outcome, null);
    }

    @Test
    void windowChangesOfOneStudyAreOneRowPerUserAndWindow() throws Exception {
        assertTrue(image(drA, AuditEntry.SUCCESS), "the first image read is recorded");
        for (int i = 0; i < 20; i++) { // presets, zoom, the second view
            clock.advance(Duration.ofSeconds(30));
            assertFalse(image(drA, AuditEntry.SUCCESS));
        }
        assertTrue(image(drB, AuditEntry.SUCCESS), "another user's read is their own row");
        assertTrue(audit.read(drA, null, "10.0.0.5", ImageReadAudit.LIST, study, AuditEntry.SUCCESS, null),
                "the instance list is a read of its own kind");
        assertTrue(image(drA, AuditEntry.SERIOUS_FAILURE), "a failed read is not hidden behind a success");
        clock.advance(ImageReadAudit.WINDOW);
        assertTrue(image(drA, AuditEntry.SUCCESS), "the next window starts a new row");
        assertEquals(3, ReviewDb.count(db, "SELECT COUNT(*) FROM audit_event WHERE action = 'study-image' "
                + "AND user_name = 'dr-a' AND study_id = ?", study));
        assertEquals(5, ReviewDb.count(db, "SELECT COUNT(*) FROM audit_event WHERE action LIKE 'study-%'"));
    }

    @Test
    void servedAsAFhirAuditEventOfDicomInstancesAccessed() throws Exception {
        image(drA, AuditEntry.SUCCESS);
        List<AuditEvent> found = new AuditEventProvider(db).search(null, new StringParam("dr-a"), null,
                new TokenParam(AuditEventProvider.ACTION_SYSTEM, ImageReadAudit.IMAGE), null);
        assertEquals(1, found.size());
        AuditEvent e = found.get(0);
        assertEquals("110103", e.getType().getCode());
        assertEquals(AuditEvent.AuditEventAction.R, e.getAction());
        assertEquals(AuditEvent.AuditEventOutcome._0, e.getOutcome());
        assertEquals("dr-a", e.getAgentFirstRep().getWho().getIdentifier().getValue());
        assertEquals(String.valueOf(study), e.getEntityFirstRep().getDetailFirstRep().getValueStringType().getValue());
        assertTrue(e.getOutcomeDesc().contains("not recorded one by one"), e.getOutcomeDesc());
        assertNull(ReviewDb.value(db, "SELECT detail FROM audit_event WHERE detail LIKE '%1.2.3.4%'"),
                "internal ids only");
    }

    @Test
    void anIntegrationAccountsReadNamesTheRadiologistItActsFor() throws Exception {
        Users.Created ris = new Users(db, clock).add(Actor.commandLine(), "ris", Role.INTEGRATION, List.of(), null);
        Principal p = principal(ris);
        assertTrue(audit.read(p, "dr-a", "10.0.0.9", ImageReadAudit.IMAGE, study, AuditEntry.SUCCESS, null));
        assertTrue(audit.read(p, "dr-b", "10.0.0.9", ImageReadAudit.IMAGE, study, AuditEntry.SUCCESS, null),
                "acting for someone else is another reader");
        assertEquals("dr-a", ReviewDb.value(db, "SELECT acting_for FROM audit_event WHERE user_name = 'ris' ORDER BY id LIMIT 1"));
        assertTrue(audit.read(drA, "dr-b", "x", ImageReadAudit.LIST, study, AuditEntry.SUCCESS, null));
        assertNull(ReviewDb.value(db, "SELECT acting_for FROM audit_event WHERE user_name = 'dr-a'"),
                "a radiologist's X-Acting-For is not taken");
    }
}
