package org.raddraft.ops;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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
import org.raddraft.dicom.DicomFormatException;
import org.raddraft.dicom.SourceHeader;
import org.raddraft.store.Database;

/**
 * Retention of the spool (issue 25): the images of a study are removed once it is done longer than
 * {@code retention.spool-days} ago, and never before. Done means: out of scope; or drafted, no draft
 * awaiting review, and every approval's report SENT on every enabled channel (each revision; no row
 * PENDING, RETRYING or DEAD) or the draft rejected. The time counted from is the latest of the
 * study's state change, review and sends. The instance rows stay, marked {@code purged_at}; the first
 * one keeps the header its reports copy ({@code source_header}), so that a correction is still delivered.
 */
public final class SpoolRetention {

    /**
     * One study whose files go: internal ids and figures only, no patient data. {@code headerKept}: what
     * a correction's delivery needs is in the database (false: its first file is not readable DICOM).
     */
    public record Purgeable(long studyId, String reason, int files, long bytes, boolean headerKept) {
    }

    /** What a purge removed (or, dry, would remove). */
    public record Result(boolean dryRun, int days, Instant cutoff, List<Purgeable> studies, int files, long bytes,
                         List<String> problems) {
    }

    /**
     * The study {@code s} is done since before the cutoff (three parameters, all the cutoff): out of
     * scope, rejected, or every approval SENT on every enabled channel; nothing waiting or awaiting review.
     */
    static final String DONE_BEFORE_CUTOFF = """
              s.state_changed_at < ?
              AND (s.state = 'OUT_OF_SCOPE'
                OR (s.state = 'DRAFTED'
                  AND EXISTS (SELECT 1 FROM draft d WHERE d.study_id = s.id
                              AND d.state IN ('APPROVED', 'APPROVED_WITH_EDITS', 'REJECTED'))
                  AND NOT EXISTS (SELECT 1 FROM draft d WHERE d.study_id = s.id
                              AND d.state NOT IN ('APPROVED', 'APPROVED_WITH_EDITS', 'REJECTED', 'SUPERSEDED'))
                  AND NOT EXISTS (SELECT 1 FROM draft d WHERE d.study_id = s.id AND d.reviewed_at >= ?)
                  AND NOT EXISTS (SELECT 1 FROM draft d JOIN outbox o ON o.draft_id = d.id WHERE d.study_id = s.id
                              AND (o.state <> 'SENT' OR o.sent_at IS NULL OR o.sent_at >= ?))
                  AND NOT EXISTS (SELECT 1 FROM draft d JOIN delivery_channel ch ON ch.enabled
                              WHERE d.study_id = s.id AND d.state IN ('APPROVED', 'APPROVED_WITH_EDITS')
                              AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.draft_id = d.id AND o.channel = ch.name
                                              AND o.state = 'SENT'))))
            """;

    private static final String DONE = "SELECT s.id, s.state FROM study s WHERE"
            + " EXISTS (SELECT 1 FROM instance i WHERE i.study_id = s.id AND i.purged_at IS NULL) AND"
            + DONE_BEFORE_CUTOFF + " ORDER BY s.id";

    private SpoolRetention() {
    }

    /**
     * Removes (or with {@code dryRun} only lists) the spool files of studies done before
     * {@code now - days}; {@code days} 0 removes nothing.
     */
    public static Result purge(Database db, Path spool, int days, Instant now, boolean dryRun) throws SQLException {
        return purge(db, spool, days, now, dryRun, PurgeAudit.commandLine());
    }

    /** As above; {@code by} names who purged in the audit trail (one {@code study-files-purge} per study). */
    public static Result purge(Database db, Path spool, int days, Instant now, boolean dryRun, String by)
            throws SQLException {
        Instant cutoff = now.minus(Duration.ofDays(days));
        List<Purgeable> studies = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        if (days <= 0) {
            return new Result(dryRun, days, cutoff, studies, 0, 0, problems);
        }
        Path root = spool.toAbsolutePath().normalize();
        int files = 0;
        long bytes = 0;
        try (Connection c = db.connection()) {
            Map<Long, String> done = new LinkedHashMap<>();
            try (PreparedStatement ps = c.prepareStatement(DONE)) {
                Timestamp t = Timestamp.from(cutoff);
                ps.setTimestamp(1, t);
                ps.setTimestamp(2, t);
                ps.setTimestamp(3, t);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        done.put(rs.getLong(1), rs.getString(2).equals("OUT_OF_SCOPE") ? "out of scope" : "done");
                    }
                }
            }
            for (Map.Entry<Long, String> study : done.entrySet()) {
                boolean headerKept = keepHeader(c, study.getKey(), root, dryRun);
                int n = 0;
                long size = 0;
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT id, path, size_bytes FROM instance WHERE study_id = ? AND purged_at IS NULL ORDER BY id")) {
                    ps.setLong(1, study.getKey());
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            long instanceId = rs.getLong(1);
                            Path file = root.resolve(rs.getString(2)).normalize();
                            if (!file.startsWith(root) || file.equals(root)) {
                                problems.add("instance " + instanceId + ": its path leaves the spool; left alone");
                                continue;
                            }
                            if (!dryRun && !remove(c, instanceId, file, now, problems)) {
                                continue;
                            }
                            n++;
                            size += rs.getLong(3);
                        }
                    }
                }
                studies.add(new Purgeable(study.getKey(), study.getValue(), n, size, headerKept));
                if (!dryRun && n > 0) {
                    PurgeAudit.record(c, by, "study-files-purge", study.getKey(), n + " files, " + size + " bytes ("
                            + study.getValue() + ", retention.spool-days=" + days + ")"
                            + (headerKept ? "" : "; header not kept: its first file is not readable DICOM"));
                }
                files += n;
                bytes += size;
            }
        }
        return new Result(dryRun, days, cutoff, studies, files, bytes, problems);
    }

    /**
     * Before the study's files go: the header of its first instance into {@code instance.source_header}
     * (what delivering a correction reads: {@link SourceHeader}). False when that file is no readable DICOM.
     */
    private static boolean keepHeader(Connection c, long studyId, Path root, boolean dryRun) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT id, path, source_header FROM instance WHERE study_id = ? ORDER BY id LIMIT 1")) {
            ps.setLong(1, studyId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return false;
                }
                if (rs.getString(3) != null) {
                    return true;
                }
                Path file = root.resolve(rs.getString(2)).normalize();
                String header;
                try {
                    header = file.startsWith(root) ? SourceHeader.capture(file) : null;
                } catch (DicomFormatException e) {
                    header = null;
                }
                if (header == null || dryRun) {
                    return header != null;
                }
                try (PreparedStatement up = c.prepareStatement("UPDATE instance SET source_header = ? WHERE id = ?")) {
                    up.setString(1, header);
                    up.setLong(2, rs.getLong(1));
                    up.executeUpdate();
                }
                return true;
            }
        }
    }

    /** Deletes the file, then marks the row; an empty study directory goes too. */
    private static boolean remove(Connection c, long instanceId, Path file, Instant now, List<String> problems)
            throws SQLException {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            problems.add("instance " + instanceId + ": its file could not be deleted (" + e.getClass().getSimpleName()
                    + "); check the spool's permissions");
            return false;
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE instance SET purged_at = ? WHERE id = ?")) {
            ps.setTimestamp(1, Timestamp.from(now));
            ps.setLong(2, instanceId);
            ps.executeUpdate();
        }
        try {
            Files.deleteIfExists(file.getParent());
        } catch (DirectoryNotEmptyException | NoSuchFileException e) {
            // other instances of the study are still there
        } catch (IOException e) {
            // an empty directory left behind costs nothing
        }
        return true;
    }
}
