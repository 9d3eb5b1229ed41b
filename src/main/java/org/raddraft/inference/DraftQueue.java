package org.raddraft.inference;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.raddraft.flags.Assessment;
import org.raddraft.flags.FlagCode;
import org.raddraft.ingest.ScopeGate;
import org.raddraft.store.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The drafting work list in the database: STABLE studies (and FAILED ones due for a retry) are
 * claimed as DRAFTING, drafted in a batch, and settled as DRAFTED with their text or FAILED with the
 * reason. Every step commits before the next, so a restart resumes where it stopped.
 */
public class DraftQueue {

    private static final Logger log = LoggerFactory.getLogger(DraftQueue.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Database db;
    private final Path spool;
    private final Clock clock;
    private final int batchSize;
    private final int maxAttempts;
    private final Duration retryDelay;
    private final DraftPublisher publisher;
    private final Drafter drafter;
    /** This node (node.id) and how long its claim of a study holds (draft.lease-seconds); see {@link #leasedBy}. */
    private String node = "local";
    private Duration lease = Duration.ofMinutes(10);
    private final Timer latency = Timer.builder("raddraft.draft.latency")
            .description("from study STABLE to draft stored").publishPercentileHistogram().register(Metrics.globalRegistry);
    private final Counter drafted = Metrics.counter("raddraft.drafts", "outcome", "drafted");
    private final Counter failed = Metrics.counter("raddraft.drafts", "outcome", "failed");
    private final Counter waiting = Metrics.counter("raddraft.drafts", "outcome", "waiting");

    public DraftQueue(Database db, Path spool, Clock clock, int batchSize, int maxAttempts, Duration retryDelay) {
        this(db, spool, clock, batchSize, maxAttempts, retryDelay, DraftPublisher.NONE);
    }

    /** @param publisher stores the draft's FHIR resources in the drafting transaction, or refuses the draft */
    public DraftQueue(Database db, Path spool, Clock clock, int batchSize, int maxAttempts, Duration retryDelay,
            DraftPublisher publisher) {
        this(db, spool, clock, batchSize, maxAttempts, retryDelay, publisher, null);
    }

    /** @param drafter drafts what {@link #draftClaimed} is given (routes/draft.yaml) */
    public DraftQueue(Database db, Path spool, Clock clock, int batchSize, int maxAttempts, Duration retryDelay,
            DraftPublisher publisher, Drafter drafter) {
        this.drafter = drafter;
        this.publisher = publisher;
        this.db = db;
        this.spool = spool;
        this.clock = clock;
        this.batchSize = batchSize;
        this.maxAttempts = maxAttempts;
        this.retryDelay = retryDelay;
        for (FlagCode code : FlagCode.values()) {
            Metrics.counter("raddraft.flags", "code", code.name()); // listed in /metrics from the start, at 0
        }
    }

    private OffsetDateTime now() {
        return clock.instant().atOffset(ZoneOffset.UTC);
    }

    /**
     * Several nodes on one database (issue 25): this queue claims studies as {@code node}, for {@code lease};
     * a study another node claimed is taken over once its lease has run out (that node died or hangs), and
     * a node stores a draft only for a study it still holds, so no study is drafted twice.
     */
    public DraftQueue leasedBy(String node, Duration lease) {
        this.node = node;
        this.lease = lease;
        return this;
    }

    /**
     * Start-up: studies left DRAFTING by a crash go back to STABLE, their interrupted attempt counted
     * (the claim counted it); one that has used {@code draft.max-attempts} is FAILED instead, so that a
     * study whose images kill the JVM is not drafted again at every start.
     */
    public int recover() throws SQLException {
        // only this node's own claims (and those made before leases): other nodes may be drafting theirs
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("""
                UPDATE study SET state = CASE WHEN draft_attempts < ? THEN 'STABLE' ELSE 'FAILED' END,
                  reason = CASE WHEN draft_attempts < ? THEN reason
                    ELSE CONCAT('drafting interrupted (the daemon stopped while drafting it) (attempt ', draft_attempts,
                                ' of ', CAST(? AS INT), ', not retried)') END,
                  next_attempt_at = ?, state_changed_at = ?, lease_node = NULL, lease_until = NULL
                WHERE state = 'DRAFTING' AND (lease_node IS NULL OR lease_node = ?)""")) {
            OffsetDateTime now = now();
            ps.setInt(1, maxAttempts);
            ps.setInt(2, maxAttempts);
            ps.setInt(3, maxAttempts);
            ps.setObject(4, now);
            ps.setObject(5, now);
            ps.setString(6, node);
            int n = ps.executeUpdate();
            if (n > 0) {
                log.info("recovery: {} study(ies) interrupted while drafting are STABLE again, or FAILED after"
                        + " draft.max-attempts ({})", n, maxAttempts);
            }
            return n;
        }
    }

    /**
     * Claims up to a batch of studies to draft and picks their views: STABLE ones, FAILED ones due for a
     * retry, and DRAFTING ones whose node's lease ran out. One transaction: {@code SELECT ... FOR UPDATE
     * SKIP LOCKED} passes over rows another node is claiming at the same moment, so parallel nodes take
     * different studies instead of waiting for each other; each is marked DRAFTING with this node's lease.
     */
    public List<StudyImages> claim() throws SQLException {
        List<long[]> ids = new ArrayList<>();
        OffsetDateTime now = now();
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            try {
                failExpired(c, now);
                try (PreparedStatement ps = c.prepareStatement("""
                        SELECT id, CASE WHEN state = 'DRAFTING' THEN 1 ELSE 0 END FROM study
                        WHERE ((state = 'STABLE' AND draft_attempts < ?)
                           OR (state = 'FAILED' AND draft_attempts < ? AND next_attempt_at <= ?)
                           OR (state = 'DRAFTING' AND draft_attempts < ? AND lease_until < ?))
                        ORDER BY last_instance_at LIMIT ? FOR UPDATE SKIP LOCKED""")) {
                    ps.setInt(1, maxAttempts);
                    ps.setInt(2, maxAttempts);
                    ps.setObject(3, now);
                    ps.setInt(4, maxAttempts);
                    ps.setObject(5, now);
                    ps.setInt(6, batchSize);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            ids.add(new long[] {rs.getLong(1), rs.getInt(2)});
                        }
                    }
                }
                try (PreparedStatement ps = c.prepareStatement("""
                        UPDATE study SET state = 'DRAFTING', draft_attempts = draft_attempts + 1, state_changed_at = ?,
                          lease_node = ?, lease_until = ?
                        WHERE id = ?""")) {
                    for (long[] id : ids) {
                        ps.setObject(1, now);
                        ps.setString(2, node);
                        ps.setObject(3, now.plus(lease));
                        ps.setLong(4, id[0]);
                        ps.executeUpdate();
                    }
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
        List<StudyImages> claimed = new ArrayList<>();
        for (long[] id : ids) {
            if (id[1] == 1) {
                log.warn("study {} taken over by node {}: the node drafting it let its lease run out", id[0], node);
            }
            claimed.add(views(id[0]));
        }
        return claimed;
    }

    /** Studies whose node's lease ran out on their last allowed attempt: FAILED, as {@link #recover} does at start. */
    private void failExpired(Connection c, OffsetDateTime now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                UPDATE study SET state = 'FAILED', next_attempt_at = ?, state_changed_at = ?,
                  reason = CONCAT('drafting interrupted (its node stopped or hung while drafting it) (attempt ',
                                  draft_attempts, ' of ', CAST(? AS INT), ', not retried)'),
                  lease_node = NULL, lease_until = NULL
                WHERE state = 'DRAFTING' AND lease_until < ? AND draft_attempts >= ?""")) {
            ps.setObject(1, now);
            ps.setObject(2, now);
            ps.setInt(3, maxAttempts);
            ps.setObject(4, now);
            ps.setInt(5, maxAttempts);
            int n = ps.executeUpdate();
            if (n > 0) {
                log.warn("{} study(ies) FAILED: their node's lease ran out on the last allowed attempt", n);
            }
        }
    }

    /** The frontal view (PA before AP) and the lateral, among the instances that pass the scope gate. */
    StudyImages views(long studyId) throws SQLException {
        Path frontal = null;
        String frontalView = null;
        Path lateral = null;
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("""
                SELECT modality, body_part_examined, view_position, study_description, series_description,
                       patient_age, patient_birth_date, study_date, path FROM instance WHERE study_id = ? ORDER BY id""")) {
            ps.setLong(1, studyId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String view = ScopeGate.draftingView(new ScopeGate.InstanceFacts(rs.getString(1), rs.getString(2),
                            rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7),
                            rs.getString(8)));
                    Path file = spool.resolve(rs.getString(9));
                    if ("LATERAL".equals(view) && lateral == null) {
                        lateral = file;
                    } else if (("PA".equals(view) && !"PA".equals(frontalView)) || ("AP".equals(view) && frontal == null)) {
                        frontal = file;
                        frontalView = view;
                    }
                }
            }
        }
        return new StudyImages(studyId, frontal, lateral);
    }

    /**
     * Drafts claimed studies with the daemon's drafter and stores each outcome as the drafter hands it
     * over (a remote backend: as each answer comes in). An exception is the model's failure: the route
     * then fails what is still DRAFTING ({@link #failBatch}); what was stored stays stored.
     */
    public void draftClaimed(List<StudyImages> claimed) throws Exception {
        drafter.draft(claimed, o -> store(List.of(o)));
    }

    /** Stores each outcome: the draft (superseding earlier drafts of the study) or the failure. */
    public void store(List<DraftOutcome> outcomes) throws Exception {
        for (DraftOutcome o : outcomes) {
            if (o.ok()) {
                storeDraft(o.studyId(), o.draft());
            } else if (o.waits()) {
                await(o.studyId(), o.failure());
            } else {
                fail(o.studyId(), o.failure());
            }
        }
    }

    /** The model itself failed for the whole batch: every claimed study is FAILED with the reason. */
    public void failBatch(List<StudyImages> studies, Exception e) throws SQLException {
        String why = "model error: " + modelError(e);
        StringBuilder chain = new StringBuilder();
        for (Throwable t = e; t != null && chain.length() < 300; t = t.getCause() == t ? null : t.getCause()) {
            chain.append(chain.length() == 0 ? "" : " <- ").append(t.getClass().getName());
        }
        log.warn("drafting batch of {} failed: {} [{}]", studies.size(), why, chain);
        for (StudyImages s : studies) {
            fail(s.studyId(), why);
        }
    }

    /**
     * What failed, in RadDraft's words: an {@link InferenceException}'s own message (ours), else the
     * type of what was thrown under Camel's wrapper ("Exception occurred during execution on the
     * exchange" tells an admin nothing; a library's message may quote values).
     */
    static String modelError(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t && !(t instanceof InferenceException)) {
            t = t.getCause();
        }
        if (t instanceof InferenceException) {
            return t.getMessage();
        }
        return t.getClass().getSimpleName() + " (see the daemon log)";
    }

    private void storeDraft(long studyId, Draft d) throws Exception {
        OffsetDateTime at = now();
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            try {
                OffsetDateTime claimedAt = claimedAt(c, studyId);
                try (PreparedStatement ps = c.prepareStatement("""
                        UPDATE study SET state = 'DRAFTED', reason = NULL, state_changed_at = ?,
                          lease_node = NULL, lease_until = NULL
                        WHERE id = ? AND state = 'DRAFTING' AND lease_node = ?""")) {
                    ps.setObject(1, at);
                    ps.setLong(2, studyId);
                    ps.setString(3, node);
                    if (ps.executeUpdate() == 0) {
                        // a new instance re-opened the study meanwhile, or this node's lease ran out and another
                        // node took it over: this draft is not the one to keep
                        c.rollback();
                        log.info("study {} re-opened or taken over by another node while drafting; draft discarded",
                                studyId);
                        return;
                    }
                }
                OffsetDateTime stableAt = stableAt(c, studyId);
                try (PreparedStatement ps = c.prepareStatement(
                        "UPDATE draft SET state = 'SUPERSEDED' WHERE study_id = ? AND state = 'DRAFTED'")) {
                    ps.setLong(1, studyId);
                    ps.executeUpdate();
                }
                Assessment a = d.assessment();
                try (PreparedStatement ps = c.prepareStatement("""
                        INSERT INTO draft (study_id, state, findings, impression, token_ids, token_logprobs, missing_view,
                          model_name, model_version, preprocess_ms, generate_ms, stable_at, drafted_at,
                          flags, risk_score, priority, classifier, unavailable, flags_ms, claimed_at,
                          inputs_sent, unavailable_reasons, engine_endpoint, engine_ms, wait_ms, drafted_by)
                        VALUES (?, 'DRAFTED', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
                    int i = 0;
                    ps.setLong(++i, studyId);
                    ps.setString(++i, d.findings());
                    ps.setString(++i, d.impression());
                    ps.setString(++i, JSON.writeValueAsString(d.tokenIds()));
                    ps.setString(++i, JSON.writeValueAsString(d.tokenLogProbs()));
                    ps.setString(++i, d.missingView());
                    ps.setString(++i, d.modelName());
                    ps.setString(++i, d.modelVersion());
                    ps.setLong(++i, d.preprocessMillis());
                    ps.setLong(++i, d.generateMillis());
                    ps.setObject(++i, stableAt);
                    ps.setObject(++i, at);
                    ps.setString(++i, JSON.writeValueAsString(a == null ? List.of() : a.flags()));
                    ps.setObject(++i, a == null ? null : a.riskScore());
                    ps.setInt(++i, a == null ? Assessment.ROUTINE : a.priority());
                    ps.setString(++i, d.signals() == null || d.signals().classifier() == null ? null
                            : JSON.writeValueAsString(d.signals().classifier()));
                    ps.setString(++i, unavailable(a));
                    ps.setLong(++i, d.flagsMillis());
                    ps.setObject(++i, claimedAt);
                    Draft.Remote r = d.remote();
                    ps.setString(++i, r == null ? null : r.inputsSent());
                    ps.setString(++i, r == null || r.unavailable().isEmpty() ? null
                            : JSON.writeValueAsString(new java.util.TreeMap<>(r.unavailable())));
                    ps.setString(++i, r == null ? null : r.endpoint());
                    ps.setObject(++i, r == null ? null : r.engineMillis());
                    ps.setObject(++i, r == null ? null : r.waitMillis());
                    ps.setString(++i, node);
                    ps.executeUpdate();
                }
                if (!published(c, studyId)) {
                    return;
                }
                c.commit();
                drafted.increment();
                if (a != null) {
                    a.flags().stream().map(f -> f.code()).distinct().forEach(code ->
                            Metrics.counter("raddraft.flags", "code", code.name()).increment());
                }
                Duration took = Duration.between(stableAt.toInstant(), at.toInstant());
                latency.record(took);
                log.info("study {} DRAFTED in {} ms (preprocess {} ms, generate {} ms, flags {} ms{}{}) {}", studyId,
                        took.toMillis(), d.preprocessMillis(), d.generateMillis(), d.flagsMillis(),
                        d.missingView() == null ? "" : ", no " + d.missingView(),
                        d.remote() == null ? "" : ", engine " + d.remote().endpoint() + " " + d.remote().engineMillis()
                                + " ms, waited " + d.remote().waitMillis() + " ms, sent " + d.remote().inputsSent(),
                        flagSummary(a));
            } catch (Exception e) {
                c.rollback();
                throw e;
            }
        }
    }

    /** Flag codes this draft's model cannot compute, comma-separated; every code when it has no calibration. */
    private static String unavailable(Assessment a) {
        List<FlagCode> codes = a == null ? List.of(FlagCode.values()) : a.unavailable();
        return codes.isEmpty() ? null : String.join(",", codes.stream().map(Enum::name).toList());
    }

    /** For the DRAFTED log line: priority, risk and the flag codes (findings are observation names, no patient data). */
    static String flagSummary(Assessment a) {
        if (a == null) {
            return "flags off (no calibration)";
        }
        String p = a.priority() == Assessment.CRITICAL ? "critical" : a.priority() == Assessment.FLAGGED ? "flagged" : "routine";
        String codes = a.flags().stream().map(f -> f.finding() == null ? f.code().name() : f.code() + "(" + f.finding() + ")")
                .distinct().collect(java.util.stream.Collectors.joining(" "));
        return "priority " + p + ", risk " + String.format(java.util.Locale.ROOT, "%.2f", a.riskScore())
                + (codes.isEmpty() ? ", no flags" : ", flags " + codes);
    }

    /**
     * Publishes the study's new draft (the one DRAFTED row) in the caller's transaction; when the
     * publisher refuses it, rolls back and FAILS the study with the reason (and returns false).
     */
    private boolean published(Connection c, long studyId) throws SQLException {
        long draftId;
        try (PreparedStatement ps = c.prepareStatement("SELECT id FROM draft WHERE study_id = ? AND state = 'DRAFTED'")) {
            ps.setLong(1, studyId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                draftId = rs.getLong(1);
            }
        }
        try {
            publisher.publish(c, draftId);
            return true;
        } catch (Exception refused) {
            c.rollback();
            c.setAutoCommit(true);
            fail(studyId, "draft not published: " + refused.getMessage());
            return false;
        }
    }

    /** A FAILED study put back on the work list by {@link #requeueFailed}; {@code reason} is why it had failed. */
    public record Requeued(long id, String studyInstanceUid, String reason) {
    }

    /**
     * An admin's retry ({@code raddraft admin retry}): FAILED studies, all of them or the one with
     * this Study Instance UID, become STABLE with their attempts reset, so the running daemon drafts
     * them again with a fresh {@code draft.max-attempts} (after the model or its input was fixed).
     * Other states are left alone: they are not failures.
     *
     * @param studyInstanceUid one study, or null for every FAILED one
     */
    public static List<Requeued> requeueFailed(Database db, Clock clock, String studyInstanceUid) throws SQLException {
        try (Connection c = db.connection()) {
            return requeueFailed(c, clock, studyInstanceUid);
        }
    }

    /** {@link #requeueFailed(Database, Clock, String)} in the caller's transaction (the admin command audits it there). */
    public static List<Requeued> requeueFailed(Connection c, Clock clock, String studyInstanceUid) throws SQLException {
        List<Requeued> failed = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT id, study_instance_uid, reason FROM study
                WHERE state = 'FAILED' AND (CAST(? AS VARCHAR(64)) IS NULL OR study_instance_uid = ?)
                ORDER BY id FOR UPDATE""")) {
            ps.setString(1, studyInstanceUid);
            ps.setString(2, studyInstanceUid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    failed.add(new Requeued(rs.getLong(1), rs.getString(2), rs.getString(3)));
                }
            }
        }
        List<Requeued> done = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                UPDATE study SET state = 'STABLE', draft_attempts = 0, next_attempt_at = NULL, reason = NULL,
                  state_changed_at = ?, stable_at = ?
                WHERE id = ? AND state = 'FAILED'""")) {
            OffsetDateTime now = clock.instant().atOffset(ZoneOffset.UTC);
            for (Requeued r : failed) {
                ps.setObject(1, now);
                ps.setObject(2, now);
                ps.setLong(3, r.id());
                if (ps.executeUpdate() == 1) { // (without the caller's transaction a retry may have claimed it meanwhile)
                    done.add(r);
                }
            }
        }
        for (Requeued r : done) {
            log.info("study {} re-queued for drafting by an admin (was FAILED: {})", r.id(), r.reason());
        }
        return done;
    }

    /** When the study was claimed for this attempt (its DRAFTING state's start). */
    private static OffsetDateTime claimedAt(Connection c, long studyId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT state_changed_at FROM study WHERE id = ?")) {
            ps.setLong(1, studyId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getObject(1, OffsetDateTime.class) : null;
            }
        }
    }

    /**
     * The engines, not the study, failed (every remote endpoint down): FAILED with the reason and the
     * usual retry delay, but the attempt is given back, so the study waits as long as the engines are away.
     */
    private void await(long studyId, String reason) throws SQLException {
        Instant retryAt = clock.instant().plus(retryDelay);
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("""
                UPDATE study SET state = 'FAILED', next_attempt_at = ?, state_changed_at = ?,
                  draft_attempts = GREATEST(draft_attempts - 1, 0), reason = ?, lease_node = NULL, lease_until = NULL
                WHERE id = ? AND state = 'DRAFTING' AND lease_node = ?""")) {
            String r = reason.length() > 380 ? reason.substring(0, 380) : reason;
            ps.setObject(1, retryAt.atOffset(ZoneOffset.UTC));
            ps.setObject(2, now());
            ps.setString(3, r + " (waiting; retried every " + retryDelay.toSeconds() + " s)");
            ps.setLong(4, studyId);
            ps.setString(5, node);
            if (ps.executeUpdate() == 1) {
                waiting.increment();
                log.warn("study {} waits for a drafting engine: {}", studyId, r);
            }
        }
    }

    /** When the study last became STABLE: the start of stable→drafted latency. */
    private static OffsetDateTime stableAt(Connection c, long studyId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT stable_at FROM study WHERE id = ?")) {
            ps.setLong(1, studyId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getObject(1, OffsetDateTime.class);
            }
        }
    }

    private void fail(long studyId, String reason) throws SQLException {
        Instant retryAt = clock.instant().plus(retryDelay);
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("""
                UPDATE study SET state = 'FAILED', next_attempt_at = ?, state_changed_at = ?,
                  reason = CASE WHEN draft_attempts < ? THEN CONCAT(?, ' (attempt ', draft_attempts, ' of ', ?, ', retried)')
                                ELSE CONCAT(?, ' (attempt ', draft_attempts, ' of ', ?, ', not retried)') END,
                  lease_node = NULL, lease_until = NULL
                WHERE id = ? AND state = 'DRAFTING' AND lease_node = ?""")) {
            String r = reason.length() > 400 ? reason.substring(0, 400) : reason;
            ps.setObject(1, retryAt.atOffset(ZoneOffset.UTC));
            ps.setObject(2, now());
            ps.setInt(3, maxAttempts);
            ps.setString(4, r);
            ps.setInt(5, maxAttempts);
            ps.setString(6, r);
            ps.setInt(7, maxAttempts);
            ps.setLong(8, studyId);
            ps.setString(9, node);
            if (ps.executeUpdate() == 1) {
                failed.increment();
                log.warn("study {} FAILED: {}", studyId, r);
            }
        }
    }
}
