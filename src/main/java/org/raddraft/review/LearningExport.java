package org.raddraft.review;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.raddraft.dicom.DicomFormatException;
import org.raddraft.dicom.DicomPixels;
import org.raddraft.dicom.PixelFrame;
import org.raddraft.dicom.PngWriter;
import org.raddraft.dicom.VoiWindow;
import org.raddraft.dicom.WindowPreset;
import org.raddraft.flags.FlagCalibration;
import org.raddraft.report.Laterality;
import org.raddraft.report.Mention;
import org.raddraft.report.Observation;
import org.raddraft.report.Report;
import org.raddraft.report.ReportLabeller;
import org.raddraft.report.ReportLabels;
import org.raddraft.report.Sentence;
import org.raddraft.report.Status;

/**
 * The learning-loop export (docs/learning-export.md): from the reviewed drafts, an SFT set, preference
 * pairs weighted by the clinical relevance of the edit, the rejected drafts with their reasons, and
 * generated negatives in the manner of clinical-aware preference optimisation (MMedPO): image-side
 * (the finding's region noised; the region is an anatomical approximation from the text, since a
 * site's images carry no drawn regions) and finding-side (a stated finding removed, or moved to the
 * other side). Images are written as 8-bit grey PNGs (the model contract's steps 1–4) under
 * {@code images/}, named by the internal draft id: pixels only, no DICOM header, so no patient or
 * study identifier leaves (burned-in annotations excepted, which the scope gate keeps out of drafting).
 */
public final class LearningExport {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** A pair whose edit changed no finding (wording only) still teaches something, a little. */
    static final double WORDING_WEIGHT = 0.1;
    /** A critical finding counts this many times its relevance. */
    static final double CRITICAL_FACTOR = 2.0;

    private final ReportLabeller labeller = ReportLabeller.withDefaultLexicon();
    private final FlagCalibration weights;
    private final Path spool;

    /** How many records of each file were written; {@code skipped}: reviewed drafts left out (no readable frontal view). */
    public record Counts(int sft, int pairs, int rejected, int negatives, int images, int skipped) {
    }

    public LearningExport(FlagCalibration weights, Path spool) {
        this.weights = weights;
        this.spool = spool;
    }

    /** Writes sft.jsonl, pairs.jsonl, rejected.jsonl, negatives.jsonl and images/ into {@code dir}. */
    public Counts write(Connection c, Path dir) throws SQLException, IOException {
        Files.createDirectories(dir.resolve("images"));
        int sft = 0;
        int pairs = 0;
        int rejected = 0;
        int negatives = 0;
        int images = 0;
        int skipped = 0;
        try (Writer sftW = writer(dir, "sft.jsonl"); Writer pairW = writer(dir, "pairs.jsonl");
             Writer rejW = writer(dir, "rejected.jsonl"); Writer negW = writer(dir, "negatives.jsonl");
             PreparedStatement ps = c.prepareStatement("""
                SELECT f.draft_id, f.decision, f.model_name, f.model_version, f.draft_findings, f.draft_impression,
                       f.final_findings, f.final_impression, f.reject_reason, d.study_id
                FROM feedback f JOIN draft d ON d.id = f.draft_id ORDER BY f.id""")) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long draftId = rs.getLong("draft_id");
                    ObjectNode imgs = images(c, rs.getLong("study_id"), draftId, dir);
                    if (imgs == null) { // no readable frontal view any more (e.g. purged from the spool)
                        skipped++;
                        continue;
                    }
                    images += imgs.size();
                    Report draft = Report.of(rs.getString("draft_findings"), rs.getString("draft_impression"));
                    String decision = rs.getString("decision");
                    ObjectNode base = JSON.createObjectNode();
                    base.put("draft_id", draftId);
                    base.put("model", rs.getString("model_name") + " " + rs.getString("model_version"));
                    base.set("images", imgs);
                    if ("REJECTED".equals(decision)) {
                        ObjectNode o = base.deepCopy();
                        o.put("draft", text(draft));
                        o.put("reason", rs.getString("reject_reason"));
                        line(rejW, o);
                        rejected++;
                        continue;
                    }
                    Report fin = Report.of(rs.getString("final_findings"), rs.getString("final_impression"));
                    ObjectNode s = base.deepCopy();
                    s.put("decision", decision);
                    s.put("text", text(fin));
                    line(sftW, s);
                    sft++;
                    ReportLabels finLabels = labeller.label(fin);
                    if ("APPROVED_WITH_EDITS".equals(decision) && !text(fin).equals(text(draft))) {
                        ObjectNode p = base.deepCopy();
                        p.put("source", "review");
                        p.put("chosen", text(fin));
                        p.put("rejected", text(draft));
                        ArrayNode changed = p.putArray("changed");
                        p.put("weight", weigh(labeller.label(draft), finLabels, changed));
                        line(pairW, p);
                        pairs++;
                    }
                    for (ObjectNode n : negatives(fin, finLabels)) {
                        ObjectNode o = base.deepCopy();
                        o.setAll(n);
                        line(negW, o);
                        negatives++;
                    }
                }
            }
        }
        return new Counts(sft, pairs, rejected, negatives, images, skipped);
    }

    /**
     * The clinical relevance of an edit: the sum, over the observations whose label the labeller reads
     * differently in draft and final text (including a changed side), of the manifest's relevance
     * weight, critical findings counted {@link #CRITICAL_FACTOR} times; {@link #WORDING_WEIGHT} when
     * no finding changed. Each change is listed in {@code changed}.
     */
    double weigh(ReportLabels draft, ReportLabels fin, ArrayNode changed) {
        double w = 0;
        for (Observation o : Observation.values()) {
            boolean status = positive(draft, o) != positive(fin, o);
            boolean side = !status && positive(fin, o) && side(draft, o) != side(fin, o);
            if (!status && !side) {
                continue;
            }
            boolean critical = weights.isCritical(o.label());
            double rel = weights.relevanceOf(o.label());
            double x = rel * (critical ? CRITICAL_FACTOR : 1.0);
            ObjectNode ch = changed.addObject();
            ch.put("observation", o.label());
            ch.put("draft", side ? side(draft, o).name() : draft.status(o).name());
            ch.put("final", side ? side(fin, o).name() : fin.status(o).name());
            ch.put("relevance", rel);
            ch.put("critical", critical);
            w += x;
        }
        return w == 0 ? WORDING_WEIGHT : Math.round(w * 1000) / 1000.0;
    }

    private static boolean positive(ReportLabels l, Observation o) {
        return l.status(o).positive();
    }

    private static Laterality side(ReportLabels l, Observation o) {
        Laterality side = Laterality.UNSTATED;
        for (Mention m : l.mentionsOf(o)) {
            if (m.status().positive() && m.laterality() != Laterality.UNSTATED) {
                side = m.laterality();
            }
        }
        return side;
    }

    // ---- generated negatives ------------------------------------------------------------------

    private static final Pattern SIDE_WORD = Pattern.compile("\\b(left|right)\\b", Pattern.CASE_INSENSITIVE);
    /** Observations whose region the image-side negative noises (devices and "no finding" have none). */
    private static final Set<Observation> REGIONAL = EnumSet.complementOf(EnumSet.of(
            Observation.NO_FINDING, Observation.SUPPORT_DEVICES, Observation.PNEUMONIA, Observation.LUNG_OPACITY));

    /**
     * For each finding the final text states: an image-side negative (the same text; the image with the
     * finding's region noised, so the text should lose likelihood), a finding-side "removed" negative
     * (the sentences stating it dropped) and, when it has a side, a "moved" one (left and right swapped
     * in its sentences). A generated text is kept only if the labeller reads the intended change in it.
     */
    List<ObjectNode> negatives(Report fin, ReportLabels labels) {
        List<ObjectNode> out = new ArrayList<>();
        List<Sentence> sentences = fin.sentences();
        for (Observation o : Observation.values()) {
            if (!labels.status(o).positive() || o == Observation.NO_FINDING) {
                continue;
            }
            Laterality side = side(labels, o);
            Set<Integer> stating = new java.util.TreeSet<>();
            for (Mention m : labels.mentionsOf(o)) {
                if (m.status().positive()) {
                    stating.add(m.sentenceIndex());
                }
            }
            double weight = weights.relevanceOf(o.label()) * (weights.isCritical(o.label()) ? CRITICAL_FACTOR : 1.0);
            if (REGIONAL.contains(o)) {
                ObjectNode n = JSON.createObjectNode();
                n.put("kind", "image_region_noised");
                n.put("observation", o.label());
                n.put("text", text(fin));
                double[] box = region(o, side);
                ArrayNode b = n.putObject("region").put("view", "frontal").put("approximation", "anatomical zone")
                        .putArray("box");
                for (double v : box) {
                    b.add(v);
                }
                n.put("weight", weight);
                out.add(n);
            }
            Report removed = rewrite(fin, sentences, stating, null);
            if (!removed.isEmpty() && !labeller.label(removed).status(o).positive()) {
                out.add(finding(o, "finding_removed", fin, removed, weight));
            }
            if (side == Laterality.LEFT || side == Laterality.RIGHT) {
                Report moved = rewrite(fin, sentences, stating, LearningExport::swapSides);
                ReportLabels ml = labeller.label(moved);
                if (ml.status(o).positive() && side(ml, o) != side) {
                    out.add(finding(o, "finding_side_swapped", fin, moved, weight));
                }
            }
        }
        return out;
    }

    private static ObjectNode finding(Observation o, String kind, Report chosen, Report rejected, double weight) {
        ObjectNode n = JSON.createObjectNode();
        n.put("kind", kind);
        n.put("observation", o.label());
        n.put("chosen", text(chosen));
        n.put("rejected", text(rejected));
        n.put("weight", weight);
        return n;
    }

    /** The report with the sentences in {@code which} dropped (edit null) or rewritten by {@code edit}. */
    private static Report rewrite(Report r, List<Sentence> sentences, Set<Integer> which,
                                  java.util.function.UnaryOperator<String> edit) {
        StringBuilder f = new StringBuilder();
        StringBuilder i = new StringBuilder();
        for (Sentence s : sentences) {
            String t = s.text();
            if (which.contains(s.index())) {
                if (edit == null) {
                    continue;
                }
                t = edit.apply(t);
            }
            StringBuilder into = s.section() == org.raddraft.report.Section.FINDINGS ? f : i;
            into.append(into.length() == 0 ? "" : " ").append(t);
        }
        if (i.length() == 0 && f.length() > 0) {
            i.append("No acute cardiopulmonary abnormality.");
        }
        return Report.of(f.toString(), i.toString());
    }

    static String swapSides(String s) {
        Matcher m = SIDE_WORD.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String w = m.group(1);
            String other = w.equalsIgnoreCase("left") ? "right" : "left";
            if (Character.isUpperCase(w.charAt(0))) {
                other = Character.toUpperCase(other.charAt(0)) + other.substring(1);
            }
            m.appendReplacement(sb, other);
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /**
     * The anatomical zone of an observation on a frontal chest radiograph, {x0, y0, x1, y1} normalised
     * (x to the image right = the patient's left). An approximation: RadDraft does not know where on a
     * site's image a finding lies; the phantom generator's exact boxes (phantoms.jsonl frontal_box) are
     * used by the training scripts when they are given the phantom set.
     */
    static double[] region(Observation o, Laterality side) {
        double[] right = {0.10, 0.15, 0.50, 0.90};
        double[] left = {0.50, 0.15, 0.90, 0.90};
        double[] both = {0.10, 0.15, 0.90, 0.90};
        double[] lung = side == Laterality.RIGHT ? right : side == Laterality.LEFT ? left : both;
        return switch (o) {
            case CARDIOMEGALY -> new double[]{0.30, 0.45, 0.80, 0.85};
            case ENLARGED_CARDIOMEDIASTINUM -> new double[]{0.35, 0.10, 0.65, 0.50};
            case PLEURAL_EFFUSION -> new double[]{lung[0], 0.55, lung[2], 0.95};
            default -> lung;
        };
    }

    // ---- images and output ----------------------------------------------------------------------

    /** The frontal (PA before AP) and lateral views as 8-bit PNGs; null when the frontal cannot be read. */
    private ObjectNode images(Connection c, long studyId, long draftId, Path dir) throws SQLException, IOException {
        Map<String, Path> views = new LinkedHashMap<>();
        String frontalView = null;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT view_position, path FROM instance WHERE study_id = ? ORDER BY id")) {
            ps.setLong(1, studyId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String v = rs.getString(1) == null ? "" : rs.getString(1).trim().toUpperCase(Locale.ROOT);
                    Path p = spool.resolve(rs.getString(2));
                    if (("PA".equals(v) && !"PA".equals(frontalView)) || ("AP".equals(v) && frontalView == null)) {
                        views.put("frontal", p);
                        frontalView = v;
                    } else if (Set.of("LL", "RL", "LATERAL").contains(v) && !views.containsKey("lateral")) {
                        views.put("lateral", p);
                    }
                }
            }
        }
        if (!views.containsKey("frontal")) {
            return null;
        }
        ObjectNode out = JSON.createObjectNode();
        for (Map.Entry<String, Path> e : views.entrySet()) {
            String name = "images/" + draftId + "-" + e.getKey() + ".png";
            try {
                PixelFrame f = DicomPixels.decode(e.getValue());
                int[] g = VoiWindow.of(f, WindowPreset.DEFAULT).gray8(f);
                byte[] b = new byte[g.length];
                for (int k = 0; k < g.length; k++) {
                    b[k] = (byte) g[k];
                }
                Files.write(dir.resolve(name), PngWriter.encode(b, f.columns(), f.rows()));
                out.put(e.getKey(), name);
            } catch (DicomFormatException | IOException ex) {
                if ("frontal".equals(e.getKey())) {
                    return null;
                }
            }
        }
        return out;
    }

    static String text(Report r) {
        return "FINDINGS: " + r.findings() + " IMPRESSION: " + r.impression();
    }

    private static Writer writer(Path dir, String name) throws IOException {
        return Files.newBufferedWriter(dir.resolve(name), StandardCharsets.UTF_8);
    }

    private static void line(Writer w, JsonNode o) throws IOException {
        w.write(JSON.writeValueAsString(o));
        w.write('\n');
    }
}
