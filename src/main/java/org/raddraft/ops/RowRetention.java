package org.raddraft.ops;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.raddraft.store.Database;

/**
 * Retention of database rows (issue 25), by group, each on its own number of days (0 = kept forever):
 * <ul>
 * <li><b>studies</b> ({@code retention.rows.study-days}): a study and everything about it (instances,
 * drafts, served FHIR versions, feedback, amendments, outbox rows, SR identities), once it is done as
 * {@link SpoolRetention} defines it longer ago than that, and every file of it already purged. A study
 * not yet delivered on every enabled channel, awaiting review, drafting or failed is never touched.</li>
 * <li><b>audit</b> ({@code retention.rows.audit-days}): audit events recorded longer ago; kept longest
 * (check-config refuses fewer days than the other groups).</li>
 * <li><b>sessions</b> ({@code retention.rows.session-days}): sessions expired and login throttles
 * last failed longer ago.</li>
 * </ul>
 * A dry run counts, per table, what would go. Each study goes in its own transaction.
 */
public final class RowRetention {

    /** Days each group is kept; 0 = forever. */
    public record Days(int studies, int audit, int sessions) {
    }

    /**
     * What went (or, dry, would go): rows per table, the internal ids of the studies, and the cutoff of
     * each group (null: kept forever).
     */
    public record Result(boolean dryRun, Days days, Map<String, Instant> cutoffs, List<Long> studies,
                         Map<String, Long> rows) {
    }

    /** The tables of a study's rows, children first: each DELETE names the study's rows by id. */
    private static final Map<String, String> STUDY_TABLES = studyTables();

    private static Map<String, String> studyTables() {
        String drafts = "(SELECT id FROM draft WHERE study_id = ?)";
        Map<String, String> t = new LinkedHashMap<>();
        t.put("sr_document", "draft_id IN " + drafts);
        t.put("outbox", "draft_id IN " + drafts);
        t.put("fhir_version", "draft_id IN " + drafts);
        t.put("feedback", "draft_id IN " + drafts);
        t.put("draft_amendment", "draft_id IN " + drafts);
        t.put("model_agreement", "draft_id IN " + drafts);   // shadow mode and monitoring (V20)
        t.put("shadow_draft", "study_id = ?");
        t.put("draft", "study_id = ?");
        t.put("instance", "study_id = ?");
        t.put("study", "id = ?");
        return t;
    }

    private static final String STUDIES = "SELECT s.id FROM study s WHERE"
            + " NOT EXISTS (SELECT 1 FROM instance i WHERE i.study_id = s.id AND i.purged_at IS NULL) AND"
            + SpoolRetention.DONE_BEFORE_CUTOFF + " ORDER BY s.id";

    private RowRetention() {
    }

    /** The days of each group from {@code retention.rows.*}. */
    public static Days days(org.raddraft.Settings s) {
        return new Days(s.getInt("retention.rows.study-days"), s.getInt("retention.rows.audit-days"),
                s.getInt("retention.rows.session-days"));
    }

    /** Removes (or with {@code dryRun} counts) the rows older than each group's days. */
    public static Result purge(Database db, Days days, Instant now, boolean dryRun) throws SQLException {
        return purge(db, days, now, dryRun, PurgeAudit.commandLine());
    }

    /** As above; {@code by} names who purged in the audit trail (one {@code study-purge} per study). */
    public static Result purge(Database db, Days days, Instant now, boolean dryRun, String by) throws SQLException {
        Map<String, Instant> cutoffs = new LinkedHashMap<>();
        Map<String, Long> rows = new LinkedHashMap<>();
        List<Long> studies = new ArrayList<>();
        try (Connection c = db.connection()) {
            if (days.studies() > 0) {
                Instant cutoff = cutoff(now, days.studies());
                cutoffs.put("studies", cutoff);
                studies.addAll(doneStudies(c, cutoff));
                STUDY_TABLES.keySet().forEach(t -> rows.put(t, 0L));
                for (long study : studies) {
                    removeStudy(c, study, dryRun, rows, by, days.studies());
                }
            } else {
                cutoffs.put("studies", null);
            }
            if (days.audit() > 0) {
                Instant cutoff = cutoff(now, days.audit());
                cutoffs.put("audit", cutoff);
                rows.put("audit_event", rows(c, "audit_event", "recorded_at < ?", cutoff, dryRun));
            } else {
                cutoffs.put("audit", null);
            }
            if (days.sessions() > 0) {
                Instant cutoff = cutoff(now, days.sessions());
                cutoffs.put("sessions", cutoff);
                rows.put("app_session", rows(c, "app_session", "expires_at < ?", cutoff, dryRun));
                rows.put("login_throttle", rows(c, "login_throttle",
                        "last_failure_at < ? AND blocked_until < CURRENT_TIMESTAMP", cutoff, dryRun));
            } else {
                cutoffs.put("sessions", null);
            }
        }
        return new Result(dryRun, days, cutoffs, studies, rows);
    }

    private static Instant cutoff(Instant now, int days) {
        return now.minus(Duration.ofDays(days));
    }

    private static List<Long> doneStudies(Connection c, Instant cutoff) throws SQLException {
        List<Long> ids = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(STUDIES)) {
            Timestamp t = Timestamp.from(cutoff);
            for (int i = 1; i <= 3; i++) {
                ps.setTimestamp(i, t);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                }
            }
        }
        return ids;
    }

    /** One study's rows, children first, in one transaction (counted only, when dry). */
    private static void removeStudy(Connection c, long study, boolean dryRun, Map<String, Long> rows, String by,
                                    int days) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            if (!dryRun) {
                // references inside a table (a superseded draft, a corrected SR) go before the rows do
                update(c, "UPDATE sr_document SET replaces_outbox_id = NULL WHERE draft_id IN"
                        + " (SELECT id FROM draft WHERE study_id = ?)", study);
                update(c, "UPDATE draft SET superseded_by = NULL WHERE study_id = ?", study);
            }
            StringBuilder removed = new StringBuilder("rows removed:");
            for (Map.Entry<String, String> t : STUDY_TABLES.entrySet()) {
                String where = t.getValue();
                String sql = (dryRun ? "SELECT COUNT(*) FROM " : "DELETE FROM ") + t.getKey() + " WHERE " + where;
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    ps.setLong(1, study);
                    long n;
                    if (dryRun) {
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            n = rs.getLong(1);
                        }
                    } else {
                        n = ps.executeUpdate();
                    }
                    rows.merge(t.getKey(), n, Long::sum);
                    removed.append(' ').append(t.getKey()).append('=').append(n);
                }
            }
            if (!dryRun) {
                PurgeAudit.record(c, by, "study-purge", study, removed + " (retention.rows.study-days=" + days + ")");
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }

    private static void update(Connection c, String sql, long study) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, study);
            ps.executeUpdate();
        }
    }

    private static long rows(Connection c, String table, String where, Instant cutoff, boolean dryRun)
            throws SQLException {
        String sql = (dryRun ? "SELECT COUNT(*) FROM " : "DELETE FROM ") + table + " WHERE " + where;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setTimestamp(1, Timestamp.from(cutoff));
            if (!dryRun) {
                return ps.executeUpdate();
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
