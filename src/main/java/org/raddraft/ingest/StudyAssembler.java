package org.raddraft.ingest;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.raddraft.store.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Groups instances into studies: a study collects until it has been quiet for
 * {@code study.quiet-seconds}, then the scope gate settles it as STABLE or OUT_OF_SCOPE.
 * State lives in the database only, so it survives restarts.
 */
public class StudyAssembler {

    private static final Logger log = LoggerFactory.getLogger(StudyAssembler.class);

    /** A study that changed state, as the assemble route logs it: internal id, never patient data. */
    public record Settled(long studyId, StudyState state, String reason) {
    }

    private final Database db;
    private final ScopeGate gate;
    private final Duration quiet;
    private final Clock clock;

    public StudyAssembler(Database db, ScopeGate gate, Duration quiet, Clock clock) {
        this.db = db;
        this.gate = gate;
        this.quiet = quiet;
        this.clock = clock;
    }

    /**
     * Records an instance arrival for the study inside the caller's transaction and returns the
     * study's id. A study that had already settled (stable, out of scope, drafted, failed) is
     * re-opened: a late instance is never dropped, it makes the study collect again.
     */
    static long touchStudy(Connection c, String studyUid, Instant now) throws SQLException {
        OffsetDateTime at = now.atOffset(ZoneOffset.UTC);
        // the usual case in one statement: the study exists and is collecting (the UPDATE takes the
        // row lock that SELECT ... FOR UPDATE below would)
        // (the driver's generated keys: H2's FINAL TABLE and PostgreSQL's RETURNING alike)
        try (PreparedStatement touch = c.prepareStatement("UPDATE study SET last_instance_at = ?"
                + " WHERE study_instance_uid = ? AND state = 'COLLECTING'", new String[] {"id"})) {
            touch.setObject(1, at);
            touch.setString(2, studyUid);
            if (touch.executeUpdate() == 1) {
                try (ResultSet rs = touch.getGeneratedKeys()) {
                    if (rs.next()) {
                        return rs.getLong(1);
                    }
                }
            }
        }
        for (int attempt = 0; ; attempt++) {
            try (PreparedStatement sel = c.prepareStatement(
                    "SELECT id, state FROM study WHERE study_instance_uid = ? FOR UPDATE")) {
                sel.setString(1, studyUid);
                try (ResultSet rs = sel.executeQuery()) {
                    if (rs.next()) {
                        long id = rs.getLong(1);
                        StudyState state = StudyState.valueOf(rs.getString(2));
                        if (state == StudyState.COLLECTING) {
                            update(c, "UPDATE study SET last_instance_at = ? WHERE id = ?", at, id);
                        } else {
                            try (PreparedStatement up = c.prepareStatement("""
                                    UPDATE study SET state = 'COLLECTING', reopened = reopened + 1,
                                      reason = ?, last_instance_at = ?, state_changed_at = ? WHERE id = ?""")) {
                                up.setString(1, "re-opened: new instance after " + state);
                                up.setObject(2, at);
                                up.setObject(3, at);
                                up.setLong(4, id);
                                up.executeUpdate();
                            }
                            if (state == StudyState.DRAFTED) {
                                // the draft no longer covers the whole study: off the worklist until redrafted
                                try (PreparedStatement sup = c.prepareStatement(
                                        "UPDATE draft SET state = 'SUPERSEDED' WHERE study_id = ? AND state = 'DRAFTED'")) {
                                    sup.setLong(1, id);
                                    sup.executeUpdate();
                                }
                            }
                            log.info("study {} re-opened: new instance after {}", id, state);
                        }
                        return id;
                    }
                }
            }
            // PostgreSQL aborts the whole transaction at a failed statement: the insert runs in a savepoint
            java.sql.Savepoint beforeInsert = c.getAutoCommit() ? null : c.setSavepoint();
            try (PreparedStatement ins = c.prepareStatement("""
                    INSERT INTO study (study_instance_uid, state, first_instance_at, last_instance_at, state_changed_at)
                    VALUES (?, 'COLLECTING', ?, ?, ?)""", new String[] {"id"})) {
                ins.setString(1, studyUid);
                ins.setObject(2, at);
                ins.setObject(3, at);
                ins.setObject(4, at);
                ins.executeUpdate();
                try (ResultSet keys = ins.getGeneratedKeys()) {
                    keys.next();
                    long id = keys.getLong(1);
                    log.info("study {} collecting", id);
                    return id;
                }
            } catch (SQLException raced) {
                if (attempt > 2 || !(raced instanceof SQLIntegrityConstraintViolationException
                        || org.raddraft.store.Database.isDuplicateKey(raced))) {
                    throw raced;
                }
                if (beforeInsert != null) {
                    c.rollback(beforeInsert);
                }
                // another association created the study first: loop and update it instead
            }
        }
    }

    private static void update(Connection c, String sql, OffsetDateTime at, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, at);
            ps.setLong(2, id);
            ps.executeUpdate();
        }
    }

    /** Settles every collecting study that has been quiet long enough; returns what changed. */
    public List<Settled> settleQuietStudies() throws SQLException {
        OffsetDateTime cutoff = clock.instant().minus(quiet).atOffset(ZoneOffset.UTC);
        List<long[]> due = new ArrayList<>();
        List<OffsetDateTime> seen = new ArrayList<>();
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(
                "SELECT id, last_instance_at FROM study WHERE state = 'COLLECTING' AND last_instance_at <= ? ORDER BY id")) {
            ps.setObject(1, cutoff);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    due.add(new long[] {rs.getLong(1)});
                    seen.add(rs.getObject(2, OffsetDateTime.class));
                }
            }
        }
        List<Settled> settled = new ArrayList<>();
        for (int i = 0; i < due.size(); i++) {
            long id = due.get(i)[0];
            ScopeGate.Decision d = gate.decide(ScopeGate.factsOf(db, id));
            StudyState next = d.inScope() ? StudyState.STABLE : StudyState.OUT_OF_SCOPE;
            try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("""
                    UPDATE study SET state = ?, reason = ?, state_changed_at = ?, stable_at = ?, draft_attempts = 0
                    WHERE id = ? AND state = 'COLLECTING' AND last_instance_at = ?""")) {
                ps.setString(1, next.name());
                ps.setString(2, d.reason());
                OffsetDateTime now = clock.instant().atOffset(ZoneOffset.UTC);
                ps.setObject(3, now);
                ps.setObject(4, now);
                ps.setLong(5, id);
                ps.setObject(6, seen.get(i)); // an instance that arrived meanwhile keeps it collecting
                if (ps.executeUpdate() == 1) {
                    settled.add(new Settled(id, next, d.reason()));
                }
            }
        }
        return settled;
    }
}
