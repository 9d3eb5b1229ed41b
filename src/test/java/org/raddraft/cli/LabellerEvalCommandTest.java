package org.raddraft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.App;

class LabellerEvalCommandTest {

    private String out;
    private String err;

    private int run(String... args) throws Exception {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int rc = new LabellerEvalCommand(new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8)).run(args);
        out = o.toString(StandardCharsets.UTF_8);
        err = e.toString(StandardCharsets.UTF_8);
        return rc;
    }

    private static Path sharedData() {
        return Path.of(System.getProperty("raddraft.sharedData", "../shared/data"));
    }

    @Test
    void badOptionsExit2() throws Exception {
        PrintStream old = System.err;
        System.setErr(new PrintStream(new ByteArrayOutputStream(), true));
        try {
            assertEquals(2, App.run(new String[] {"labeller-eval"}));
            assertEquals(2, App.run(new String[] {"labeller-eval", "a.jsonl", "--frobnicate"}));
            assertEquals(2, App.run(new String[] {"labeller-eval", "a.jsonl", "b.jsonl"}));
        } finally {
            System.setErr(old);
        }
    }

    @Test
    void missingFileExits1(@TempDir Path dir) throws Exception {
        assertEquals(1, run(dir.resolve("nope.jsonl").toString()));
        assertTrue(err.contains("no such file"), err);
    }

    @Test
    void badJsonLineExits1NamingTheLine(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.jsonl");
        Files.writeString(f, "{\"findings\": \"No effusion.\", \"impression\": \"\", \"mesh_major\": [\"normal\"]}\n"
                + "{not json\n");
        assertEquals(1, run(f.toString()));
        assertTrue(err.contains("bad.jsonl:2:"), err);
    }

    @Test
    void jsonHasMetricKeys(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("mini.jsonl");
        Files.write(f, List.of(
                "{\"report_id\": \"A\", \"findings\": \"Heart size normal. Lungs are clear.\", \"impression\": "
                        + "\"Normal chest.\", \"mesh_major\": [\"normal\"]}",
                "{\"report_id\": \"B\", \"findings\": \"Mild cardiomegaly. No pneumothorax.\", \"impression\": "
                        + "\"Small left pleural effusion.\", \"mesh_major\": [\"Cardiomegaly/mild\", "
                        + "\"Pleural Effusion/left/small\", \"Pneumothorax\"]}",
                "{\"report_id\": \"C\", \"findings\": \"Clear.\", \"impression\": null, \"mesh_major\": [\"No Indexing\"]}",
                ""));
        assertEquals(0, run(f.toString(), "--json"));
        JsonNode j = new ObjectMapper().readTree(out);
        for (String k : List.of("micro_f1", "macro_f1", "reports", "per_observation", "negation_confusion")) {
            assertTrue(j.has(k), k + " in " + out);
        }
        assertEquals(2, j.get("reports").asInt());
        assertEquals(1, j.get("skipped_not_indexed").asInt());
        JsonNode card = j.get("per_observation").get("Cardiomegaly");
        for (String k : List.of("precision", "recall", "f1", "tp", "fp", "fn", "support")) {
            assertTrue(card.has(k), k);
        }
        assertEquals(1, card.get("tp").asInt());
        JsonNode ptx = j.get("per_observation").get("Pneumothorax");
        assertEquals(1, ptx.get("fn").asInt());
        assertEquals(1, j.get("negation_confusion").get("Pneumothorax").get("absent_but_tagged").asInt());
        // 3 true positives (No Finding in A; Cardiomegaly, Pleural Effusion in B), 1 miss (negated pneumothorax)
        assertEquals(2.0 * 3 / 7, j.get("micro_f1").asDouble(), 1e-3);
    }

    @Test
    void tableIsPrinted(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("one.jsonl");
        Files.writeString(f, "{\"findings\": \"No pneumothorax.\", \"impression\": \"Normal chest.\", "
                + "\"mesh_major\": [\"normal\"]}\n");
        assertEquals(0, run(f.toString()));
        assertTrue(out.contains("No Finding"), out);
        assertTrue(out.contains("micro:"), out);
    }

    /** The target of the labeller on held-out IU reports (tuned on iu-train only). */
    @Test
    void iuValidationMicroF1AtLeast085() throws Exception {
        Path val = sharedData().resolve("iu-reports/iu-val.jsonl");
        assumeTrue(Files.isReadable(val), "IU reports not found at " + val.toAbsolutePath()
                + " (set -Draddraft.sharedData=DIR); skipping the IU evaluation");
        assertEquals(0, run(val.toString(), "--json"));
        JsonNode j = new ObjectMapper().readTree(out);
        double micro = j.get("micro_f1").asDouble();
        assertTrue(micro >= 0.85, "micro-F1 on iu-val " + micro + " < 0.85");
        assertTrue(j.get("reports").asInt() > 300, out);
    }
}
