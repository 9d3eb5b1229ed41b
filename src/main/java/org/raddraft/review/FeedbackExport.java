package org.raddraft.review;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Writer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import org.raddraft.store.Database;

/**
 * The feedback records as JSON lines for the learning loop: draft and final text, the structured
 * diff, flags, decision and time to decision. Nothing that identifies a patient or study is read
 * (no Study Instance UID, accession, patient id or DICOM attribute); the draft id is RadDraft's
 * internal number and the reviewer its internal account id.
 */
public final class FeedbackExport {

    private static final ObjectMapper JSON = new ObjectMapper();

    private FeedbackExport() {
    }

    /** Writes one JSON object per line; returns how many. */
    public static int write(Database db, Writer out) throws SQLException, IOException {
        int n = 0;
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("""
                SELECT draft_id, decision, model_name, model_version, draft_findings, draft_impression,
                       final_findings, final_impression, diff, flags, reject_reason, reviewer_id,
                       seconds_to_decision, decided_at
                FROM feedback ORDER BY id""")) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ObjectNode o = JSON.createObjectNode();
                    o.put("draft_id", rs.getLong("draft_id"));
                    o.put("decision", rs.getString("decision"));
                    o.put("model_name", rs.getString("model_name"));
                    o.put("model_version", rs.getString("model_version"));
                    o.put("draft_findings", rs.getString("draft_findings"));
                    o.put("draft_impression", rs.getString("draft_impression"));
                    o.put("final_findings", rs.getString("final_findings"));
                    o.put("final_impression", rs.getString("final_impression"));
                    o.set("diff", json(rs.getString("diff")));
                    o.set("flags", json(rs.getString("flags")));
                    o.put("reject_reason", rs.getString("reject_reason"));
                    o.put("reviewer_id", rs.getLong("reviewer_id"));
                    o.put("seconds_to_decision", rs.getLong("seconds_to_decision"));
                    o.put("decided_at", rs.getObject("decided_at", OffsetDateTime.class).toInstant().toString());
                    out.write(JSON.writeValueAsString(o));
                    out.write('\n');
                    n++;
                }
            }
        }
        return n;
    }

    private static JsonNode json(String s) throws IOException {
        return s == null ? JSON.nullNode() : JSON.readTree(s);
    }
}
