package org.raddraft.fhir;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.filter.FilteringParserDelegate;
import com.fasterxml.jackson.core.filter.JsonPointerBasedFilter;
import com.fasterxml.jackson.core.filter.TokenFilter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Resource;
import org.raddraft.store.Database;

/** Reads the published versions in {@code fhir_version}: exactly what was validated and stored. */
final class FhirVersions {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TokenFilter FIRST_ENTRY = new JsonPointerBasedFilter("/entry/0/resource");

    private final Database db;
    private final FhirContext ctx;

    FhirVersions(Database db, FhirContext ctx) {
        this.db = db;
        this.ctx = ctx;
    }

    /** The resources of the draft's latest version (DiagnosticReport first), or null when it has none. */
    List<Resource> latest(long draftId) throws SQLException {
        return one("SELECT resources FROM fhir_version WHERE draft_id = ? ORDER BY version DESC LIMIT 1", draftId, -1);
    }

    /**
     * The DiagnosticReport alone of each draft's latest version, in the order of {@code draftIds}
     * (drafts without a version left out): one query for a whole search page, and of each stored
     * Bundle only its first entry is read and parsed. A worklist page (200 of 1,000 drafts) spent more
     * than half its time here when each report took a query, a tree of its whole Bundle (13
     * resources) and a parse.
     */
    List<DiagnosticReport> latestReports(List<Long> draftIds) throws SQLException {
        Map<Long, String> reports = new HashMap<>();
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("""
                SELECT v.draft_id, v.resources FROM fhir_version v
                WHERE v.draft_id = ANY(?) AND v.version = (SELECT MAX(w.version) FROM fhir_version w WHERE w.draft_id = v.draft_id)""")) {
            ps.setObject(1, draftIds.toArray(Long[]::new));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    reports.put(rs.getLong(1), firstEntry(rs.getLong(1), rs.getString(2)));
                }
            }
        }
        List<DiagnosticReport> out = new ArrayList<>();
        for (long id : draftIds) {
            String json = reports.get(id);
            if (json != null) {
                out.add(ctx.newJsonParser().parseResource(DiagnosticReport.class, json));
            }
        }
        return out;
    }

    /** The JSON text of {@code entry[0].resource} of a stored Bundle, read no further than its end. */
    private static String firstEntry(long draftId, String bundle) throws SQLException {
        try (JsonParser p = new FilteringParserDelegate(JSON.getFactory().createParser(bundle),
                FIRST_ENTRY, TokenFilter.Inclusion.ONLY_INCLUDE_ALL, false)) {
            JsonNode report = JSON.readTree(p);
            if (report == null || !report.isObject()) {
                throw new SQLException("fhir_version of draft " + draftId + " holds no resource in its first entry");
            }
            return report.toString();
        } catch (IOException e) {
            throw new SQLException("fhir_version of draft " + draftId + " is not JSON: " + e.getMessage(), e);
        }
    }

    /** The resources of one version, or null. */
    List<Resource> version(long draftId, int version) throws SQLException {
        return one("SELECT resources FROM fhir_version WHERE draft_id = ? AND version = ?", draftId, version);
    }

    /** Every version of the draft, newest first (each one's resources, DiagnosticReport first). */
    List<List<Resource>> history(long draftId) throws SQLException {
        List<List<Resource>> all = new ArrayList<>();
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(
                "SELECT resources FROM fhir_version WHERE draft_id = ? ORDER BY version DESC")) {
            ps.setLong(1, draftId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    all.add(parse(rs.getString(1)));
                }
            }
        }
        return all;
    }

    /** The latest published draft of this model (its Device), or null. */
    Long draftOfDevice(String deviceId) throws SQLException {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(
                "SELECT model_name, model_version, MAX(id) FROM draft d WHERE EXISTS (SELECT 1 FROM fhir_version v"
                        + " WHERE v.draft_id = d.id) GROUP BY model_name, model_version");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                if (DiagnosticReportMapper.deviceId(rs.getString(1), rs.getString(2)).equals(deviceId)) {
                    return rs.getLong(3);
                }
            }
        }
        return null;
    }

    /**
     * Draft ids whose latest version matches, in worklist order: priority (critical first), then
     * oldest first.
     *
     * @param statuses  DiagnosticReport.status codes, or empty for any
     * @param accession the study's accession number, or null for any
     * @param newestFirst order by issued (drafted) time only, newest first, instead of the worklist order
     */
    List<Long> search(List<String> statuses, String accession, Boolean newestFirst) throws SQLException {
        StringBuilder sql = new StringBuilder("""
                SELECT d.id FROM draft d JOIN fhir_version v ON v.draft_id = d.id
                  AND v.version = (SELECT MAX(w.version) FROM fhir_version w WHERE w.draft_id = d.id)
                WHERE 1 = 1""");
        if (!statuses.isEmpty()) {
            sql.append(" AND v.status IN (").append(String.join(",", statuses.stream().map(s -> "?").toList())).append(')');
        }
        if (accession != null) {
            sql.append(" AND v.accession = ?");
        }
        sql.append(newestFirst == null ? " ORDER BY d.priority DESC, d.drafted_at, d.id"
                : newestFirst ? " ORDER BY d.drafted_at DESC, d.id DESC" : " ORDER BY d.drafted_at, d.id");
        List<Long> ids = new ArrayList<>();
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(sql.toString())) {
            int i = 0;
            for (String s : statuses) {
                ps.setString(++i, s);
            }
            if (accession != null) {
                ps.setString(++i, accession);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                }
            }
        }
        return ids;
    }

    private List<Resource> one(String sql, long draftId, int version) throws SQLException {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, draftId);
            if (version >= 0) {
                ps.setInt(2, version);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? parse(rs.getString(1)) : null;
            }
        }
    }

    private List<Resource> parse(String json) {
        Bundle b = ctx.newJsonParser().parseResource(Bundle.class, json);
        List<Resource> rs = new ArrayList<>();
        b.getEntry().forEach(e -> rs.add(e.getResource()));
        return rs;
    }
}
