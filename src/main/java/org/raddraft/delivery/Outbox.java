package org.raddraft.delivery;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hand-over from review to delivery: rows of the {@code outbox} table, one per approved (or
 * corrected) report per enabled channel. They are written in the approval's own transaction, so an
 * approval that commits cannot be lost before delivery, and one that rolls back leaves nothing behind.
 */
public final class Outbox {

    private static final Logger log = LoggerFactory.getLogger(Outbox.class);

    private Outbox() {
    }

    /**
     * Inserts one PENDING row per enabled channel (table {@code delivery_channel}, written by the
     * daemon at start from the {@code delivery.*} settings) for this draft, inside the caller's
     * transaction: commit and rollback are the caller's. The approval is revision 1; each correction
     * is the next revision of that channel's rows. Enqueueing the approval of a draft twice violates
     * the unique key (draft, channel, revision) and throws, so a report is never queued twice.
     *
     * @param c          the caller's connection, in its transaction (auto-commit off)
     * @param draftId    the approved draft (draft.id)
     * @param correction true when an already approved report was corrected (HL7 OBR-25 C, FHIR corrected)
     * @throws SQLException also when this approval is already in the outbox
     */
    public static void enqueue(Connection c, long draftId, boolean correction) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO outbox (draft_id, channel, revision, correction, state, attempts, next_attempt_at, created_at)
                SELECT ?, ch.name,
                       CASE WHEN ? THEN COALESCE((SELECT MAX(o.revision) FROM outbox o
                                                  WHERE o.draft_id = ? AND o.channel = ch.name), 0) + 1
                            ELSE 1 END,
                       ?, 'PENDING', 0, ?, ?
                FROM delivery_channel ch WHERE ch.enabled ORDER BY ch.name""")) {
            // plain ? parameters (H2's ?1 is not JDBC's and PostgreSQL's driver refuses it)
            OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
            ps.setLong(1, draftId);
            ps.setBoolean(2, correction);
            ps.setLong(3, draftId);
            ps.setBoolean(4, correction);
            ps.setObject(5, now);
            ps.setObject(6, now);
            int rows = ps.executeUpdate();
            log.info("draft {} {} queued for delivery on {} channel(s)", draftId,
                    correction ? "correction" : "approval", rows);
        }
    }
}
