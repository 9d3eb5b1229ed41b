package org.raddraft.cli;

import org.raddraft.inference.TestModels;
import org.raddraft.inference.DicomPreprocessingTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The metrics of `raddraft eval`, computed as training/evaluate.py does, and the command's JSON. */
class EvalMetricsTest {

    @Test
    void wordsAreLowerCasedPreTokens() {
        assertEquals(List.of("findings", ":", "small", "left", "pleural", "effusion", "."),
                TextMetrics.words("FINDINGS: Small left pleural effusion."));
    }

    @Test
    void bleuAndRougeOfIdenticalTextAreOne() {
        List<String> a = TextMetrics.words("The heart is normal in size. No pleural effusion or pneumothorax.");
        assertEquals(1.0, TextMetrics.bleu4(List.of(a), List.of(a)), 1e-12);
        assertEquals(1.0, TextMetrics.rougeL(a, a), 1e-12);
    }

    @Test
    void bleuMatchesAHandComputedCase() {
        // ref 6 words, hyp 5 words: p1 = 5/5, p2 = 4/4, p3 = 3/3, p4 = 2/2, BP = exp(1 - 6/5)
        List<String> r = List.of("a", "b", "c", "d", "e", "f");
        List<String> h = List.of("a", "b", "c", "d", "e");
        assertEquals(Math.exp(1 - 6.0 / 5), TextMetrics.bleu4(List.of(r), List.of(h)), 1e-12);
        // LCS 5: P = 1, R = 5/6, F(beta 1.2) = (1 + 1.44) P R / (R + 1.44 P)
        double p = 1;
        double rc = 5.0 / 6;
        assertEquals(2.44 * p * rc / (rc + 1.44 * p), TextMetrics.rougeL(r, h), 1e-12);
    }

    @Test
    void macroF1CountsOnlyObservationsPresentInTheTruth() {
        var counts = new java.util.EnumMap<org.raddraft.report.Observation, int[]>(org.raddraft.report.Observation.class);
        for (var o : org.raddraft.report.Observation.values()) {
            counts.put(o, new int[] {0, 0, 0});
        }
        counts.put(org.raddraft.report.Observation.CARDIOMEGALY, new int[] {1, 0, 0});
        counts.put(org.raddraft.report.Observation.EDEMA, new int[] {0, 1, 1});
        counts.put(org.raddraft.report.Observation.FRACTURE, new int[] {0, 3, 0}); // no support: not in macro
        double[] s = EvalCommand.scores(counts, List.of(org.raddraft.report.Observation.values()));
        assertEquals(0.5, s[0], 1e-12);
        assertEquals(EvalCommand.f1(1, 4, 1), s[1], 1e-12);
    }

    @Test
    void evalJsonHasTheDocumentedFields() throws Exception {
        java.nio.file.Path model = TestModels.modelDir();
        java.nio.file.Path data = DicomPreprocessingTest.phantomTestdata();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = new EvalCommand(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true))
                .run(new String[] {"--model", model.toString(), "--data", data.toString(), "--studies", "3",
                        "--threads", "1", "--json"});
        assertEquals(0, rc, err.toString());
        JsonNode n = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
        for (String f : List.of("label_f1_macro", "label_f1_micro", "bleu4", "rouge_l", "latency_p50_ms",
                "latency_p95_ms", "studies_per_second")) {
            assertTrue(n.has(f) && n.get(f).isNumber(), f + " missing in " + n);
        }
        assertEquals(3, n.get("studies").asInt());
        // the report labeller reproduces the phantom ground truth from the reference reports
        assertEquals(1.0, n.get("labeller_ceiling_macro").asDouble(), 1e-9);
    }

    @Test
    void generatedSetAndJsonOnStdoutOnly() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = new EvalCommand(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true))
                .run(new String[] {"--model", TestModels.modelDir().toString(), "--studies", "4", "--threads", "1",
                        "--json"});
        assertEquals(0, rc, err.toString());
        String stdout = out.toString(StandardCharsets.UTF_8);
        assertTrue(stdout.startsWith("{"), "stdout is the JSON object alone (generator output goes to stderr): " + stdout);
        assertEquals(4, new ObjectMapper().readTree(stdout).get("studies").asInt());
        assertTrue(err.toString().contains("phantoms: 4 studies"), err.toString());
    }

    /**
     * Issue "Inference engine", done-when 1: the Java path (DICOM files through the daemon's
     * preprocessing and ONNX Runtime) and the training script's Python path agree on the held-out set.
     */
    @Test
    void javaEvaluationMatchesTheTrainingScriptOnTheHeldOutSet() throws Exception {
        java.nio.file.Path model = TestModels.modelDir();
        JsonNode python = new ObjectMapper().readTree(model.resolve("metrics.json").toFile());
        JsonNode set = python.get("evaluation_set");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = new EvalCommand(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true))
                .run(new String[] {"--model", model.toString(), "--studies", set.get("studies").asText(), "--seed",
                        set.get("seed").asText(), "--json", "--no-flags"}); // text metrics only: flags have their own tests
        assertEquals(0, rc, err.toString());
        JsonNode java = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
        JsonNode d = python.get("drafter");
        assertEquals(d.get("label_f1_macro_14").asDouble(), java.get("label_f1_macro").asDouble(), 0.02, "macro label-F1");
        assertEquals(d.get("label_f1_micro_14").asDouble(), java.get("label_f1_micro").asDouble(), 0.02, "micro label-F1");
        assertEquals(d.get("bleu4").asDouble(), java.get("bleu4").asDouble(), 0.02, "BLEU-4");
        assertEquals(d.get("rouge_l").asDouble(), java.get("rouge_l").asDouble(), 0.02, "ROUGE-L");
    }
}
