package org.raddraft.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.raddraft.report.Observation;
import org.raddraft.report.Report;
import org.raddraft.report.ReportLabeller;
import org.raddraft.report.ReportLabels;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.Dcmtk;

/**
 * The learning loop's short form (issue 26) through a real daemon: phantom studies drafted by the
 * reference model, reviewed by the simulated radiologist (bench/simulated_radiologist.py) through the
 * FHIR API, exported by {@code raddraft admin feedback --learning}, and a tiny DPO step on the export
 * (training/check_dpo.py) that must raise the chosen texts' log-probability over the rejected ones.
 * The Python parts need Debian {@code /usr/bin/python3} with python3-torch and python3-onnx (skipped
 * with a message without them).
 */
class LearningLoopIT {

    static final Path PYTHON = Path.of("/usr/bin/python3");
    static final ObjectMapper JSON = new ObjectMapper();
    /** Seed 26 studies 0..11: the reference model 2.2.0 drafts some right, some with one wrong finding, some worse. */
    static final int STUDIES = 12;
    static DaemonProcess daemon;

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.stop();
        }
    }

    static String python(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(PYTHON.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(600, TimeUnit.SECONDS), "python timed out");
        assertEquals(0, p.exitValue(), String.join(" ", args) + ":\n" + out);
        return out;
    }

    @Test
    void simulatedReviewsThroughFhirExportAndATinyDpoStep() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(PYTHON) && new ProcessBuilder(PYTHON.toString(), "-c", "import torch, onnx, PIL")
                .start().waitFor() == 0, "no /usr/bin/python3 with torch, onnx and PIL (python3-torch, python3-onnx, "
                + "python3-pil): learning loop test skipped");
        Path work = Files.createTempDirectory("raddraft-learning");
        daemon = new DaemonProcess(work.resolve("home"), Map.of()).start();
        Path ph = work.resolve("phantoms");
        Process gen = new ProcessBuilder(DaemonProcess.javaCommand("phantoms", "--out", ph.toString(), "--studies",
                String.valueOf(STUDIES), "--seed", "26")).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertEquals(0, gen.waitFor(), "phantom generator");
        try (var dirs = Files.list(ph.resolve("dicom"))) {
            for (Path d : dirs.sorted().toList()) {
                try (var files = Files.list(d)) {
                    assertEquals(2, Dcmtk.storeAsIs(daemon.dicomPort, "PACS", files.sorted().toList()).size(), d.toString());
                }
            }
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(300)).pollInterval(Duration.ofSeconds(1))
                .until(() -> count("SELECT COUNT(*) FROM draft WHERE state = 'DRAFTED'") == STUDIES);

        // the simulated radiologist, as a RIS: integration token acting for a radiologist
        daemon.newAccount("dr-sim", "radiologist");
        Path reviews = work.resolve("reviews.jsonl");
        String out = python(DaemonProcess.APP, "bench/simulated_radiologist.py", "--base", daemon.baseUrl(), "--token",
                daemon.token("integration"), "--acting-for", "dr-sim", "--phantoms", ph.toString(), "--reject-at", "3",
                "--log", reviews.toString());
        Matcher m = Pattern.compile("reviewed=(\\d+) approved=(\\d+) edited=(\\d+) rejected=(\\d+)").matcher(out);
        assertTrue(m.find(), out);
        assertEquals(STUDIES, Integer.parseInt(m.group(1)), out);
        int approved = Integer.parseInt(m.group(2));
        int edited = Integer.parseInt(m.group(3));
        int rejected = Integer.parseInt(m.group(4));
        assertTrue(edited > 0, "the short form needs at least one edited draft: " + out);

        // every decision landed in the daemon as the radiologist's, and every edit says what the truth says
        Map<String, JsonNode> truth = new HashMap<>();
        for (String l : Files.readAllLines(ph.resolve("phantoms.jsonl"))) {
            JsonNode r = JSON.readTree(l);
            truth.put(String.format("A%d%06d", r.get("seed").asInt(), r.get("index").asInt()), r);
        }
        ReportLabeller labeller = ReportLabeller.withDefaultLexicon();
        for (String l : Files.readAllLines(reviews)) {
            JsonNode r = JSON.readTree(l);
            long id = r.get("report").asLong();
            String decision = r.get("decision").asText();
            try (Connection c = daemon.db(); PreparedStatement ps = c.prepareStatement("""
                    SELECT d.state, d.final_findings, d.final_impression, u.name FROM draft d
                    JOIN app_user u ON u.id = d.reviewer_id WHERE d.id = ?""")) {
                ps.setLong(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    assertTrue(rs.next(), "draft " + id + " reviewed");
                    assertEquals(Map.of("approved", "APPROVED", "edited", "APPROVED_WITH_EDITS", "rejected", "REJECTED")
                            .get(decision), rs.getString(1));
                    assertEquals("dr-sim", rs.getString(4));
                    if (decision.equals("edited")) {
                        ReportLabels fin = labeller.label(Report.of(rs.getString(2), rs.getString(3)));
                        JsonNode labels = truth.get(r.get("accession").asText()).get("labels");
                        for (Observation o : Observation.values()) {
                            assertEquals(labels.get(o.label()).asInt() != 0, fin.status(o).positive(),
                                    o + " of the edited draft " + id + " as the truth says");
                        }
                    }
                }
            }
        }

        // the export
        Path export = work.resolve("export");
        var admin = daemon.admin("feedback", "--out", work.resolve("feedback.jsonl").toString(), "--learning",
                export.toString(), "--model", DaemonProcess.APP.resolve("models/reference-cxr").toString());
        assertEquals(0, admin.exitCode(), admin.output());
        assertEquals(approved + edited, Files.readAllLines(export.resolve("sft.jsonl")).size());
        assertEquals(rejected, Files.readAllLines(export.resolve("rejected.jsonl")).size());
        List<String> pairs = Files.readAllLines(export.resolve("pairs.jsonl"));
        assertEquals(edited, pairs.size());
        for (String l : pairs) {
            JsonNode p = JSON.readTree(l);
            for (String f : List.of("draft_id", "model", "images", "source", "chosen", "rejected", "changed", "weight")) {
                assertTrue(p.has(f), f + " in " + p);
            }
            assertTrue(p.get("changed").size() > 0 && p.get("weight").asDouble() > LearningExport.WORDING_WEIGHT,
                    "an edit of a wrong finding weighs by its relevance: " + p);
            assertTrue(Files.size(export.resolve(p.get("images").get("frontal").asText())) > 1000);
        }
        List<String> kinds = new ArrayList<>();
        for (String l : Files.readAllLines(export.resolve("negatives.jsonl"))) {
            kinds.add(JSON.readTree(l).get("kind").asText());
        }
        assertTrue(kinds.contains("image_region_noised") && kinds.contains("finding_removed"), kinds.toString());

        // a tiny DPO step moves the model's log-probabilities towards the chosen texts
        String dpo = python(DaemonProcess.APP.resolve("training"), "check_dpo.py", "--model", "../models/reference-cxr",
                "--export", export.toString());
        Matcher d = Pattern.compile("margin_before=(-?[0-9.]+) margin_after=(-?[0-9.]+)").matcher(dpo);
        assertTrue(d.find(), dpo);
        assertTrue(Double.parseDouble(d.group(2)) > Double.parseDouble(d.group(1)), dpo);
    }

    static long count(String sql) throws Exception {
        try (Connection c = daemon.db(); PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
