package org.raddraft.review;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.raddraft.store.Database;

/**
 * Audits reads of a study's images by the review page (its instance list and rendered images):
 * looking at a patient's images is an access to patient data, like reading the draft.
 *
 * <p>The page asks for a new rendering at every window preset, zoom and redraw, so one row per request
 * would bury the trail in near-identical rows. Instead: one row per user (and radiologist acted for),
 * study, kind of read and outcome per {@link #WINDOW}. The first such read in a window is recorded,
 * committed before the image is sent (as {@link ReadAudit} does for drafts: nothing is shown that is
 * not in the trail); the window's later reads are covered by it, and its detail says so. What was
 * recorded is remembered in memory only: after a restart the next read is recorded again, which errs
 * on the side of one row too many, never one too few.
 */
public final class ImageReadAudit {

    /** The instance list ({@code GET /ui/studies/{uid}/instances}). */
    public static final String LIST = "study-instances";
    /** The patient and indication of the review page's header ({@code GET /ui/studies/{uid}/header}). */
    public static final String HEADER = "study-header";
    /** A rendered image ({@code .../instances/{sop}/rendered}). */
    public static final String IMAGE = "study-image";
    /** One row covers this long: the default idle timeout, the span of one sitting on a study. */
    public static final Duration WINDOW = Duration.ofMinutes(15);
    /** Above this many remembered reads, those older than the window are forgotten. */
    private static final int PRUNE_ABOVE = 10_000;

    private final Database db;
    private final AuditLog audit;
    private final Clock clock;
    private final Map<String, Instant> lastRecorded = new HashMap<>();

    public ImageReadAudit(Database db, AuditLog audit, Clock clock) {
        this.db = db;
        this.audit = audit;
        this.clock = clock;
    }

    /**
     * Records this read unless the same user's same kind of read of this study, with this outcome, was
     * recorded less than {@link #WINDOW} ago. Returns whether a row was written. Synchronized: two
     * images loading at once must not both skip the row, nor both write it; the write is the rare case.
     *
     * @param actingFor the X-Acting-For header (counts for integration accounts only), may be null
     * @param detail    internal ids and reasons only (a failure's reason), may be null
     */
    public synchronized boolean read(Principal p, String actingFor, String sourceIp, String action, long studyId,
            String outcome, String detail) throws SQLException {
        AuditEntry entry = AuditEntry.request(p, actingFor, sourceIp, action, "Study", String.valueOf(studyId))
                .study(studyId);
        String key = p.userId() + "|" + entry.actingFor() + "|" + action + "|" + studyId + "|" + outcome;
        Instant now = clock.instant();
        Instant last = lastRecorded.get(key);
        if (last != null && now.isBefore(last.plus(WINDOW))) {
            return false;
        }
        audit.record(db, entry.outcome(outcome, (detail == null ? "" : detail + "; ") + "first such read of this study "
                + "by this user in " + WINDOW.toMinutes() + " min; further ones in that time are not recorded one by one"));
        lastRecorded.put(key, now);
        if (lastRecorded.size() > PRUNE_ABOVE) {
            lastRecorded.values().removeIf(t -> !now.isBefore(t.plus(WINDOW)));
        }
        return true;
    }
}
