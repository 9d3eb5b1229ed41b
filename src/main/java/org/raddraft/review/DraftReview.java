package org.raddraft.review;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Metrics;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.raddraft.report.Report;
import org.raddraft.report.ReportLabeller;
import org.raddraft.store.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The radiologist's decision on a draft: approve (as drafted or edited) or reject with a reason, and
 * later amend an approved report (a correction). One transaction changes the draft (a conditional
 * UPDATE on its version and state, so of two simultaneous decisions exactly one wins), writes the
 * feedback record (decisions) or the amendment record, the audit row, and for an approval or an
 * amendment hands the report to delivery. A refused decision changes nothing and is audited.
 */
public final class DraftReview {

    private static final Logger log = LoggerFactory.getLogger(DraftReview.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int MAX_REASON = 1000;

    /** Delivery's side of the approval: {@code org.raddraft.delivery.Outbox#enqueue}, in the caller's transaction. */
    @FunctionalInterface
    public interface HandOver {
        void enqueue(Connection c, long draftId, boolean correction) throws SQLException;
    }

    /**
     * FHIR's side: publishes the draft's next DiagnosticReport version (final, or entered-in-error) in
     * the decision's transaction; throwing (an invalid resource) rolls the decision back.
     */
    @FunctionalInterface
    public interface Publisher {
        Publisher NONE = (c, draftId) -> { };

        void publish(Connection c, long draftId) throws Exception;
    }

    /** The draft after the decision; {@code version} is the DiagnosticReport's new versionId. */
    public record Decision(long draftId, long studyId, String state, int version) {
    }

    /** The columns a decision needs. */
    private record DraftRow(long id, long studyId, String state, int version, String findings, String impression,
            String flags, String modelName, String modelVersion, Instant draftedAt, String reviewer,
            Instant reviewedAt) {
    }

    private final Database db;
    private final Clock clock;
    private final HandOver handOver;
    private final Publisher publisher;
    private final ReportLabeller labeller;
    private final AuditLog audit;
    private final ModelAgreement agreement;

    public DraftReview(Database db, Clock clock, HandOver handOver, ReportLabeller labeller) {
        this(db, clock, Publisher.NONE, handOver, labeller);
    }

    public DraftReview(Database db, Clock clock, Publisher publisher, HandOver handOver, ReportLabeller labeller) {
        this(db, clock, publisher, handOver, labeller, null);
    }

    /** @param agreement records each model's agreement with the decision (issue 26), or null for none */
    public DraftReview(Database db, Clock clock, Publisher publisher, HandOver handOver, ReportLabeller labeller,
            ModelAgreement agreement) {
        this.agreement = agreement;
        this.db = db;
        this.clock = clock;
        this.publisher = publisher;
        this.handOver = handOver;
        this.labeller = labeller;
        this.audit = new AuditLog(clock);
    }

    /**
     * Approves draft {@code draftId}; {@code findings}/{@code impression} replace the draft's text when
     * given (then the state is APPROVED_WITH_EDITS if they differ).
     *
     * @param ifMatch the version the reviewer saw (If-Match); null = the current one
     */
    public Decision approve(long draftId, Integer ifMatch, Actor actor, String findings, String impression)
            throws ReviewRefused, SQLException {
        return decide(draftId, ifMatch, actor, "approve", DraftReview::checkReviewable, (c, d) -> {
            String f = edited("findings", findings, d.findings());
            String i = edited("impression", impression, d.impression());
            Report draft = Report.of(d.findings(), d.impression());
            Report result = Report.of(f, i);
            boolean edits = !draft.equals(result);
            String state = edits ? "APPROVED_WITH_EDITS" : "APPROVED";
            int version = update(c, d, ifMatch, actor, state, f, i, null);
            feedback(c, d, actor, state, f, i, ReportDiff.between(labeller, draft, result), null);
            publish(c, d.id());
            handOver.enqueue(c, d.id(), false);
            return version;
        });
    }

    /** Rejects draft {@code draftId}; the reason is required and goes into the audit trail and feedback. */
    public Decision reject(long draftId, Integer ifMatch, Actor actor, String reason) throws ReviewRefused, SQLException {
        return decide(draftId, ifMatch, actor, "reject", DraftReview::checkReviewable, (c, d) -> {
            if (reason == null || reason.isBlank()) {
                throw new ReviewRefused(ReviewRefused.Why.INVALID_INPUT,
                        "parameter 'reason' is required: say why the draft is rejected");
            }
            if (reason.length() > MAX_REASON) {
                throw new ReviewRefused(ReviewRefused.Why.INVALID_INPUT,
                        "parameter 'reason' is longer than " + MAX_REASON + " characters; shorten it");
            }
            int version = update(c, d, ifMatch, actor, "REJECTED", null, null, reason.strip());
            feedback(c, d, actor, "REJECTED", null, null, new ReportDiff(java.util.List.of(), java.util.List.of()),
                    reason.strip());
            publish(c, d.id());
            return version;
        });
    }

    /**
     * Corrects the final text of an approved report: {@code findings}/{@code impression} replace it
     * (at least one, and the result must differ), {@code reason} says why (required). The report stays
     * approved, its version goes up, the amendment is recorded with the text it replaces, and the
     * correction is queued on every delivery channel (HL7 OBR-25 C, FHIR status corrected, a new SR that
     * names the one it replaces). Only a radiologist, or an integration account acting for one, amends.
     */
    public Decision amend(long draftId, Integer ifMatch, Actor actor, String findings, String impression, String reason)
            throws ReviewRefused, SQLException {
        return decide(draftId, ifMatch, actor, "amend", DraftReview::checkAmendable, (c, d) -> {
            if (actor.reviewer().role() != Role.RADIOLOGIST) {
                throw new ReviewRefused(ReviewRefused.Why.INVALID_INPUT, "only a radiologist can amend a report; "
                        + actor.reviewer().name() + " is " + actor.reviewer().role());
            }
            if (reason == null || reason.isBlank() || reason.length() > MAX_REASON) {
                throw new ReviewRefused(ReviewRefused.Why.INVALID_INPUT, reason == null || reason.isBlank()
                        ? "parameter 'reason' is required: say why the approved report is corrected"
                        : "parameter 'reason' is longer than " + MAX_REASON + " characters; shorten it");
            }
            if (findings == null && impression == null) {
                throw new ReviewRefused(ReviewRefused.Why.INVALID_INPUT,
                        "give 'findings', 'impression' or both: the corrected text");
            }
            String[] current = finalText(c, d.id());
            String f = edited("findings", findings, current[0]);
            String i = edited("impression", impression, current[1]);
            if (Report.of(f, i).equals(Report.of(current[0], current[1]))) {
                throw new ReviewRefused(ReviewRefused.Why.INVALID_INPUT,
                        "the corrected text is the same as the approved text; nothing to amend");
            }
            String state = Report.of(f, i).equals(Report.of(d.findings(), d.impression())) ? "APPROVED"
                    : "APPROVED_WITH_EDITS";
            int version = amendUpdate(c, d, ifMatch, actor, state, f, i);
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO draft_amendment (draft_id, previous_findings, previous_impression, findings, impression,
                        reason, radiologist_id, acting_user_id, amended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
                ps.setLong(1, d.id());
                ps.setString(2, current[0]);
                ps.setString(3, current[1]);
                ps.setString(4, f);
                ps.setString(5, i);
                ps.setString(6, reason.strip());
                ps.setLong(7, actor.reviewer().id());
                AuditLog.setLong(ps, 8, actingUser(actor));
                ps.setObject(9, now());
                ps.executeUpdate();
            }
            publish(c, d.id());
            handOver.enqueue(c, d.id(), true);
            return version;
        });
    }

    private interface Check {
        void check(DraftRow d, Integer ifMatch) throws ReviewRefused;
    }

    private void publish(Connection c, long draftId) throws SQLException {
        try {
            publisher.publish(c, draftId);
        } catch (SQLException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("the decided DiagnosticReport/" + draftId + " was not published: "
                    + e.getMessage(), e);
        }
    }

    private interface Step {
        int apply(Connection c, DraftRow d) throws ReviewRefused, SQLException;
    }

    private Decision decide(long draftId, Integer ifMatch, Actor actor, String action, Check check, Step step)
            throws ReviewRefused, SQLException {
        if (actor.reviewer() == null) {
            throw new IllegalArgumentException("a decision needs the radiologist it is made by");
        }
        AuditEntry entry = AuditEntry.of(actor, action, "DiagnosticReport", String.valueOf(draftId));
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            DraftRow d = null;
            try {
                d = load(c, draftId);
                if (d == null) {
                    throw new ReviewRefused(ReviewRefused.Why.NOT_FOUND, "no DiagnosticReport/" + draftId);
                }
                check.check(d, ifMatch);
                int version = step.apply(c, d);
                audit.record(c, entry.draft(d.studyId(), d.id()).outcome(AuditEntry.SUCCESS,
                        "version " + d.version() + " -> " + version));
                c.commit();
                Metrics.counter("raddraft.review.decisions", "action", action).increment();
                log.info("draft {} {} by user {} (version {})", draftId, switch (action) {
                    case "approve" -> "approved";
                    case "reject" -> "rejected";
                    default -> "amended";
                }, actor.reviewer().id(), version);
                return new Decision(d.id(), d.studyId(), load(c, draftId).state(), version);
            } catch (ReviewRefused r) {
                c.rollback();
                recordRefusal(c, d, entry, r.getMessage());
                throw r;
            } catch (RuntimeException e) {
                c.rollback();
                throw e;
            } catch (SQLException e) {
                c.rollback();
                if (!isConcurrentUpdate(e)) {
                    throw e;
                }
                // another decision on the same row committed while we waited for its lock
                ReviewRefused r = new ReviewRefused(ReviewRefused.Why.STALE_VERSION, "DiagnosticReport/" + draftId
                        + " was changed by a concurrent request; read it again and decide on the current version");
                recordRefusal(c, d, entry, r.getMessage());
                throw r;
            }
        }
    }

    private void recordRefusal(Connection c, DraftRow d, AuditEntry entry, String why) throws SQLException {
        audit.record(c, (d == null ? entry : entry.draft(d.studyId(), d.id())).outcome(AuditEntry.MINOR_FAILURE, why));
        c.commit();
    }

    private static void checkReviewable(DraftRow d, Integer ifMatch) throws ReviewRefused {
        if (ifMatch != null && ifMatch != d.version()) {
            throw new ReviewRefused(ReviewRefused.Why.STALE_VERSION, "If-Match names version " + ifMatch
                    + " but DiagnosticReport/" + d.id() + " is at version " + d.version()
                    + "; read it again and decide on what it says now");
        }
        switch (d.state()) {
            case "DRAFTED" -> {
            }
            case "APPROVED", "APPROVED_WITH_EDITS" -> throw new ReviewRefused(ReviewRefused.Why.NOT_REVIEWABLE,
                    "DiagnosticReport/" + d.id() + " is already final (approved by " + d.reviewer() + " at "
                            + d.reviewedAt() + "); nothing was changed");
            case "REJECTED" -> throw new ReviewRefused(ReviewRefused.Why.NOT_REVIEWABLE,
                    "DiagnosticReport/" + d.id() + " was rejected by " + d.reviewer() + " at " + d.reviewedAt()
                            + "; nothing was changed");
            case "SUPERSEDED" -> throw new ReviewRefused(ReviewRefused.Why.NOT_REVIEWABLE,
                    "DiagnosticReport/" + d.id() + " was superseded by a newer draft of the same study "
                            + "(more images arrived); review the current draft instead");
            default -> throw new ReviewRefused(ReviewRefused.Why.NOT_REVIEWABLE,
                    "DiagnosticReport/" + d.id() + " is " + d.state() + " and cannot be reviewed");
        }
    }

    /** Only an approved report can be amended, and only at the version the radiologist read. */
    private static void checkAmendable(DraftRow d, Integer ifMatch) throws ReviewRefused {
        if (ifMatch != null && ifMatch != d.version()) {
            throw new ReviewRefused(ReviewRefused.Why.STALE_VERSION, "If-Match names version " + ifMatch
                    + " but DiagnosticReport/" + d.id() + " is at version " + d.version()
                    + "; read it again and amend what it says now");
        }
        if (!d.state().equals("APPROVED") && !d.state().equals("APPROVED_WITH_EDITS")) {
            throw new ReviewRefused(ReviewRefused.Why.NOT_REVIEWABLE, "DiagnosticReport/" + d.id() + " is "
                    + d.state() + (d.state().equals("DRAFTED") ? ", not approved yet: approve it (with edits) instead"
                    : "; only an approved report can be amended") + "; nothing was changed");
        }
    }

    private static String edited(String name, String given, String drafted) throws ReviewRefused {
        if (given == null) {
            return drafted;
        }
        if (given.isBlank()) {
            throw new ReviewRefused(ReviewRefused.Why.INVALID_INPUT, "parameter '" + name
                    + "' is empty; leave it out to keep the draft's " + name + ", or write the corrected text");
        }
        return given.strip();
    }

    /** The conditional UPDATE: succeeds only on the version and state checked above. */
    private int update(Connection c, DraftRow d, Integer ifMatch, Actor actor, String state, String findings,
            String impression, String reason) throws SQLException, ReviewRefused {
        try (PreparedStatement ps = c.prepareStatement("""
                UPDATE draft SET state = ?, final_findings = ?, final_impression = ?, reject_reason = ?,
                    reviewer_id = ?, acting_user_id = ?, reviewed_at = ?, version = version + 1
                WHERE id = ? AND version = ? AND state = 'DRAFTED'""")) {
            ps.setString(1, state);
            ps.setString(2, findings);
            ps.setString(3, impression);
            ps.setString(4, reason);
            ps.setLong(5, actor.reviewer().id());
            AuditLog.setLong(ps, 6, actingUser(actor));
            ps.setObject(7, now());
            ps.setLong(8, d.id());
            ps.setInt(9, ifMatch == null ? d.version() : ifMatch);
            if (ps.executeUpdate() == 1) {
                return d.version() + 1;
            }
        }
        DraftRow now = load(c, d.id());
        checkReviewable(now, ifMatch == null ? d.version() : ifMatch);
        throw new ReviewRefused(ReviewRefused.Why.STALE_VERSION, "DiagnosticReport/" + d.id()
                + " changed while the decision was being made; read it again");
    }

    /** The amendment's conditional UPDATE: on the version read and an approved state. */
    private int amendUpdate(Connection c, DraftRow d, Integer ifMatch, Actor actor, String state, String findings,
            String impression) throws SQLException, ReviewRefused {
        try (PreparedStatement ps = c.prepareStatement("""
                UPDATE draft SET state = ?, final_findings = ?, final_impression = ?, reviewer_id = ?,
                    acting_user_id = ?, reviewed_at = ?, version = version + 1, amendments = amendments + 1
                WHERE id = ? AND version = ? AND state IN ('APPROVED', 'APPROVED_WITH_EDITS')""")) {
            ps.setString(1, state);
            ps.setString(2, findings);
            ps.setString(3, impression);
            ps.setLong(4, actor.reviewer().id());
            AuditLog.setLong(ps, 5, actingUser(actor));
            ps.setObject(6, now());
            ps.setLong(7, d.id());
            ps.setInt(8, ifMatch == null ? d.version() : ifMatch);
            if (ps.executeUpdate() == 1) {
                return d.version() + 1;
            }
        }
        throw new ReviewRefused(ReviewRefused.Why.STALE_VERSION, "DiagnosticReport/" + d.id()
                + " changed while the amendment was being made; read it again");
    }

    /** The approved report's final findings and impression. */
    private static String[] finalText(Connection c, long draftId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT final_findings, final_impression FROM draft WHERE id = ?")) {
            ps.setLong(1, draftId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new String[] {rs.getString(1), rs.getString(2)};
            }
        }
    }

    /** The integration account that acted for the radiologist, or null when the radiologist acted. */
    private static Long actingUser(Actor actor) {
        return actor.principal().userId() == actor.reviewer().id() ? null : actor.userId();
    }

    private void feedback(Connection c, DraftRow d, Actor actor, String decision, String findings, String impression,
            ReportDiff diff, String reason) throws SQLException {
        Instant now = clock.instant();
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO feedback (draft_id, decision, model_name, model_version, draft_findings, draft_impression,
                    final_findings, final_impression, diff, flags, reject_reason, reviewer_id, seconds_to_decision,
                    decided_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
            ps.setLong(1, d.id());
            ps.setString(2, decision);
            ps.setString(3, d.modelName());
            ps.setString(4, d.modelVersion());
            ps.setString(5, d.findings());
            ps.setString(6, d.impression());
            ps.setString(7, findings);
            ps.setString(8, impression);
            ps.setString(9, json(diff));
            ps.setString(10, d.flags());
            ps.setString(11, reason);
            ps.setLong(12, actor.reviewer().id());
            ps.setLong(13, Math.max(0, Duration.between(d.draftedAt(), now).toSeconds()));
            ps.setObject(14, now.atOffset(ZoneOffset.UTC));
            ps.executeUpdate();
        }
        if (agreement != null) {
            boolean flagged = d.flags() != null && !d.flags().isBlank() && !d.flags().strip().equals("[]");
            agreement.record(c, d.id(), decision, d.findings(), d.impression(), d.modelName(), d.modelVersion(), flagged,
                    findings, impression, now.atOffset(ZoneOffset.UTC));
        }
    }

    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static DraftRow load(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT d.id, d.study_id, d.state, d.version, d.findings, d.impression, d.flags, d.model_name,
                       d.model_version, d.drafted_at, u.name, d.reviewed_at
                FROM draft d LEFT JOIN app_user u ON u.id = d.reviewer_id WHERE d.id = ?""")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                OffsetDateTime reviewed = rs.getObject(12, OffsetDateTime.class);
                return new DraftRow(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getInt(4), rs.getString(5),
                        rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9),
                        rs.getObject(10, OffsetDateTime.class).toInstant(), rs.getString(11),
                        reviewed == null ? null : reviewed.toInstant());
            }
        }
    }

    /** H2's "concurrent update" (90131) and a lock timeout (50200); PostgreSQL's serialization failure (40001). */
    private static boolean isConcurrentUpdate(SQLException e) {
        return e.getErrorCode() == 90131 || e.getErrorCode() == 50200 || "40001".equals(e.getSQLState());
    }

    private OffsetDateTime now() {
        return clock.instant().atOffset(ZoneOffset.UTC);
    }
}
