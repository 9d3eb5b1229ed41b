package org.raddraft.review;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.raddraft.store.Database;

/**
 * One study's trail from arrival to decision and delivery, for {@code raddraft admin audit --study}:
 * instances received, drafts made (and superseded), every audited read and decision, outbox rows.
 * Internal ids and account names only.
 */
public final class StudyTrail {

    /** One line of the trail. */
    public record Step(Instant at, String what, String who, String detail) {
    }

    private StudyTrail() {
    }

    /** The trail, oldest first; null when no study has this UID. */
    public static List<Step> of(Database db, String studyUid) throws SQLException {
        try (Connection c = db.connection()) {
            Long studyId = null;
            try (PreparedStatement ps = c.prepareStatement("SELECT id FROM study WHERE study_instance_uid = ?")) {
                ps.setString(1, studyUid);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        studyId = rs.getLong(1);
                    }
                }
            }
            if (studyId == null) {
                return null;
            }
            List<Step> steps = new ArrayList<>();
            query(c, studyId, """
                    SELECT received_at, 'received instance ' || id, calling_ae,
                           COALESCE(modality, '?') || ' ' || COALESCE(view_position, '') FROM instance
                    WHERE study_id = ?""", steps);
            query(c, studyId, """
                    SELECT stable_at, 'study STABLE (draft ' || id || ' started)', 'raddraft', NULL FROM draft
                    WHERE study_id = ?""", steps);
            query(c, studyId, """
                    SELECT drafted_at, 'draft ' || id || ' drafted', 'model ' || model_name || ' ' || model_version,
                           'priority ' || priority || CASE WHEN state = 'SUPERSEDED' THEN ', later SUPERSEDED' ELSE '' END
                    FROM draft WHERE study_id = ?""", steps);
            query(c, studyId, """
                    SELECT recorded_at, action || ' ' || COALESCE(entity_type || '/' || entity_id, '')
                               || CASE outcome WHEN '0' THEN '' ELSE ' REFUSED' END,
                           COALESCE(user_name, '?') || COALESCE(' (' || role || ')', '')
                               || COALESCE(' for ' || acting_for, '') || COALESCE(' from ' || source_ip, ''),
                           detail
                    FROM audit_event WHERE study_id = ?""", steps);
            query(c, studyId, """
                    SELECT o.created_at, 'draft ' || o.draft_id || ' queued for delivery on ' || o.channel, 'raddraft',
                           o.state FROM outbox o JOIN draft d ON d.id = o.draft_id WHERE d.study_id = ?""", steps);
            query(c, studyId, """
                    SELECT o.sent_at, 'draft ' || o.draft_id || ' delivered on ' || o.channel, 'raddraft', o.peer_message_id
                    FROM outbox o JOIN draft d ON d.id = o.draft_id WHERE d.study_id = ? AND o.sent_at IS NOT NULL""",
                    steps);
            steps.sort(Comparator.comparing(Step::at));
            return steps;
        }
    }

    private static void query(Connection c, long studyId, String sql, List<Step> out) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, studyId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    OffsetDateTime at = rs.getObject(1, OffsetDateTime.class);
                    if (at != null) {
                        out.add(new Step(at.toInstant(), rs.getString(2), rs.getString(3), rs.getString(4)));
                    }
                }
            }
        }
    }
}
