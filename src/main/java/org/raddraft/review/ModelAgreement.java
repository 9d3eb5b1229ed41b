package org.raddraft.review;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.raddraft.report.Observation;
import org.raddraft.report.Report;
import org.raddraft.report.ReportLabeller;
import org.raddraft.report.ReportLabels;
import org.raddraft.report.Status;

/**
 * How far each model's text agreed with the radiologist's final report, written in the decision's
 * transaction ({@code model_agreement}): for the draft that was shown (ACTIVE) and for every shadow
 * draft of the study (SHADOW). Agreement is measured with the report labeller: label F1 over the
 * positive observations (present or uncertain), the critical observations stated differently, and
 * the word edit distance. The study's subgroup (sex, age band, view, manufacturer, calling AE) is
 * stored with it as bands and equipment names, never as identifiers.
 */
public final class ModelAgreement {

    /** Statuses counted as a positive finding (CheXpert's U-Ones). */
    private static final Set<Status> POSITIVE = EnumSet.of(Status.PRESENT, Status.UNCERTAIN);

    private final ReportLabeller labeller;
    private final Set<Observation> critical;

    /**
     * @param critical the observations whose disagreement is a critical error (the model's manifest,
     *                 flags.critical)
     */
    public ModelAgreement(ReportLabeller labeller, Set<Observation> critical) {
        this.labeller = labeller;
        this.critical = critical.isEmpty() ? EnumSet.noneOf(Observation.class) : EnumSet.copyOf(critical);
    }

    /** One text's agreement with the final text. */
    public record Score(double labelF1, double editDistance, int criticalErrors, Set<Observation> disagreed) {
    }

    /** Scores {@code findings}/{@code impression} against the final text. */
    public Score score(String findings, String impression, String finalFindings, String finalImpression) {
        ReportLabels a = labeller.label(Report.of(findings, impression));
        ReportLabels b = labeller.label(Report.of(finalFindings, finalImpression));
        Set<Observation> pa = a.with(POSITIVE);
        Set<Observation> pb = b.with(POSITIVE);
        int tp = (int) pa.stream().filter(pb::contains).count();
        double f1 = pa.isEmpty() && pb.isEmpty() ? 1.0 : 2.0 * tp / (pa.size() + pb.size());
        Set<Observation> disagreed = EnumSet.noneOf(Observation.class);
        for (Observation o : Observation.values()) {
            if (pa.contains(o) != pb.contains(o)) {
                disagreed.add(o);
            }
        }
        int crit = (int) disagreed.stream().filter(critical::contains).count();
        return new Score(f1, editDistance(words(findings + " " + impression), words(finalFindings + " " + finalImpression)),
                crit, disagreed);
    }

    /**
     * Records the decision on draft {@code draftId}: the shown draft's row and one per shadow draft of it.
     *
     * @param finalFindings null when rejected (then only the shown draft's row, without scores)
     */
    void record(Connection c, long draftId, String decision, String draftFindings, String draftImpression,
            String modelName, String modelVersion, boolean flagged, String finalFindings, String finalImpression,
            OffsetDateTime at) throws SQLException {
        Subgroup g = subgroup(c, draftId);
        boolean rejected = finalFindings == null && finalImpression == null;
        Score shown = rejected ? null : score(draftFindings, draftImpression, nz(finalFindings), nz(finalImpression));
        insert(c, draftId, "ACTIVE", modelName, modelVersion, decision, shown, flagged, g, at);
        if (rejected) {
            return;
        }
        List<String[]> shadows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT model_name, model_version, findings, impression FROM shadow_draft
                WHERE active_draft_id = ? ORDER BY id""")) {
            ps.setLong(1, draftId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    shadows.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)});
                }
            }
        }
        for (String[] s : shadows) {
            insert(c, draftId, "SHADOW", s[0], s[1], decision,
                    score(s[2], s[3], nz(finalFindings), nz(finalImpression)), false, g, at);
        }
    }

    private static void insert(Connection c, long draftId, String role, String name, String version, String decision,
            Score s, boolean flagged, Subgroup g, OffsetDateTime at) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO model_agreement (draft_id, role, model_name, model_version, decision, label_f1,
                  edit_distance, critical_errors, findings_disagreed, flagged, sex, age_band, view_position,
                  manufacturer, calling_ae, decided_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
            int i = 0;
            ps.setLong(++i, draftId);
            ps.setString(++i, role);
            ps.setString(++i, name);
            ps.setString(++i, version);
            ps.setString(++i, decision);
            ps.setObject(++i, s == null ? null : s.labelF1());
            ps.setObject(++i, s == null ? null : s.editDistance());
            ps.setObject(++i, s == null ? null : s.criticalErrors());
            ps.setString(++i, s == null ? null
                    : s.disagreed().stream().map(Observation::name).collect(Collectors.joining(",")));
            ps.setBoolean(++i, flagged);
            ps.setString(++i, g.sex());
            ps.setString(++i, g.ageBand());
            ps.setString(++i, g.view());
            ps.setString(++i, g.manufacturer());
            ps.setString(++i, g.callingAe());
            ps.setObject(++i, at);
            ps.executeUpdate();
        }
    }

    /** The study's subgroup: bands and equipment only. */
    record Subgroup(String sex, String ageBand, String view, String manufacturer, String callingAe) {
    }

    static final String UNKNOWN = "unknown";

    private static Subgroup subgroup(Connection c, long draftId) throws SQLException {
        String sex = null;
        String age = null;
        String view = null;
        String manufacturer = null;
        String ae = null;
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT i.patient_sex, i.patient_age, i.view_position, i.manufacturer, i.calling_ae
                FROM instance i JOIN draft d ON d.study_id = i.study_id WHERE d.id = ? ORDER BY i.id""")) {
            ps.setLong(1, draftId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    sex = sex != null ? sex : rs.getString(1);
                    age = age != null ? age : rs.getString(2);
                    String v = rs.getString(3);
                    if (v != null && (v.equalsIgnoreCase("PA") || v.equalsIgnoreCase("AP")) && !"PA".equals(view)) {
                        view = v.toUpperCase(Locale.ROOT);
                    }
                    manufacturer = manufacturer != null ? manufacturer : rs.getString(4);
                    ae = ae != null ? ae : rs.getString(5);
                }
            }
        }
        return new Subgroup(sex(sex), ageBand(age), view == null ? UNKNOWN : view, label(manufacturer, 64),
                label(ae, 16));
    }

    static String sex(String dicom) {
        return dicom == null ? UNKNOWN : switch (dicom.strip().toUpperCase(Locale.ROOT)) {
            case "M", "F", "O" -> dicom.strip().toUpperCase(Locale.ROOT);
            default -> UNKNOWN;
        };
    }

    /** Patient's Age (AS, e.g. 045Y; months, weeks and days are under a year) as a band. */
    static String ageBand(String as) {
        if (as == null || !as.matches("\\d{3}[DWMY]")) {
            return UNKNOWN;
        }
        int years = as.endsWith("Y") ? Integer.parseInt(as.substring(0, 3)) : 0;
        return years < 40 ? "<40" : years < 60 ? "40-59" : years < 80 ? "60-79" : "80+";
    }

    private static String label(String s, int max) {
        if (s == null || s.isBlank()) {
            return UNKNOWN;
        }
        String t = s.strip();
        return t.length() > max ? t.substring(0, max) : t;
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (!w.isEmpty()) {
                out.add(w);
            }
        }
        return out;
    }

    /** Word-level Levenshtein distance divided by the longer text's word count (0 equal, 1 nothing shared). */
    static double editDistance(List<String> a, List<String> b) {
        if (a.isEmpty() && b.isEmpty()) {
            return 0;
        }
        int[] prev = new int[b.size() + 1];
        int[] cur = new int[b.size() + 1];
        for (int j = 0; j <= b.size(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.size(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.size(); j++) {
                int sub = prev[j - 1] + (a.get(i - 1).equals(b.get(j - 1)) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return (double) prev[b.size()] / Math.max(a.size(), b.size());
    }

    /** The critical observations a model manifest names ({@code flags.critical[].observation}). */
    public static Set<Observation> criticalOf(com.fasterxml.jackson.databind.JsonNode manifest) {
        Set<Observation> out = EnumSet.noneOf(Observation.class);
        for (com.fasterxml.jackson.databind.JsonNode c : manifest.path("flags").path("critical")) {
            Observation.byLabel(c.path("observation").asText("")).ifPresent(out::add);
        }
        return out;
    }
}
