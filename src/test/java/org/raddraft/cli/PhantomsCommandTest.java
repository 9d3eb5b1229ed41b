package org.raddraft.cli;

import org.raddraft.phantom.PhantomDeterminismTest;
import org.raddraft.phantom.PhantomStudy;
import org.raddraft.report.Observation;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PhantomsCommandTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "--studies 2 --seed 1",
            "--out x --seed 1",
            "--out x --studies 2",
            "--out x --studies 0 --seed 1",
            "--out x --studies two --seed 1",
            "--out x --studies 2 --seed 1 --size 10",
            "--out x --studies 2 --seed 1 --bogus",
            "--out x --studies 2 --seed",
            "--out x --studies 2 --seed 1 --no-dicom --no-training-set"})
    void badOrMissingOptionsPrintUsageAndReturn2(String line) throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] args = line.isEmpty() ? new String[0] : line.split(" ");
        int rc = new PhantomsCommand(new PrintStream(new ByteArrayOutputStream()), new PrintStream(err)).run(args);
        assertEquals(2, rc);
        assertTrue(err.toString().contains("usage: raddraft phantoms"), err.toString());
    }

    @Test
    void isRegisteredInTheApp() throws Exception {
        PrintStream old = System.err;
        try {
            System.setErr(new PrintStream(new ByteArrayOutputStream()));
            assertEquals(2, org.raddraft.App.run(new String[]{"phantoms", "--nope"}));
        } finally {
            System.setErr(old);
        }
    }

    @Test
    void writesTheDocumentedLayout(@TempDir Path tmp) throws Exception {
        PhantomDeterminismTest.run("--out", tmp.toString(), "--studies", "3", "--seed", "11", "--size", "128");
        List<String> lines = Files.readAllLines(tmp.resolve("phantoms.jsonl"));
        assertEquals(3, lines.size());
        ObjectMapper m = new ObjectMapper();
        for (int i = 0; i < 3; i++) {
            JsonNode n = m.readTree(lines.get(i));
            String id = String.format("ph-11-%06d", i);
            assertEquals(List.of("study_id", "seed", "index", "frontal", "lateral", "frontal_view", "findings",
                    "impression", "labels", "details", "difficulty"), iterable(n.fieldNames()));
            assertEquals(id, n.get("study_id").asText());
            assertEquals(11, n.get("seed").asLong());
            assertEquals(i, n.get("index").asInt());
            assertEquals("images/" + id + "_frontal.png", n.get("frontal").asText());
            assertEquals("images/" + id + "_lateral.png", n.get("lateral").asText());
            assertTrue(List.of("PA", "AP").contains(n.get("frontal_view").asText()));
            assertEquals(14, n.get("labels").size());
            for (Observation o : Observation.values()) assertTrue(n.get("labels").has(o.label()), o.label());
            assertTrue(List.of("subtle", "moderate", "obvious").contains(n.get("difficulty").asText()));
            for (String v : List.of("frontal", "lateral")) {
                BufferedImage img = ImageIO.read(tmp.resolve(n.get(v).asText()).toFile());
                assertEquals(128, img.getWidth());
                assertEquals(128, img.getHeight());
                assertEquals(BufferedImage.TYPE_BYTE_GRAY, img.getType());
            }
            Path dir = tmp.resolve("dicom").resolve(id);
            assertTrue(Files.exists(dir.resolve("1-" + n.get("frontal_view").asText() + ".dcm")));
            assertTrue(Files.exists(dir.resolve("2-LL.dcm")));
        }
    }

    @Test
    void pngIsTheDisplayImage(@TempDir Path tmp) throws Exception {
        PhantomStudy st = PhantomStudy.generate(3, 1, 96);
        Path f = tmp.resolve("x.png");
        Files.write(f, st.frontalPng());
        BufferedImage img = ImageIO.read(f.toFile());
        byte[] expected = PhantomStudy.toGray8(st.frontal());
        for (int y = 0; y < 96; y++) {
            for (int x = 0; x < 96; x++) {
                assertEquals(expected[y * 96 + x] & 0xFF, img.getRaster().getSample(x, y, 0));
            }
        }
        // bright bone/mediastinum, dark lung, black air: MONOCHROME2 sense
        float[] p = st.frontal();
        assertTrue(p[0] < 0.15f, "air outside the body is dark");
        assertTrue(p[(96 / 2) * 96 + 96 / 2] > 0.45f, "mediastinum is bright");
    }

    @Test
    void noDicomAndNoTrainingSetSkipTheirOutputs(@TempDir Path tmp) throws Exception {
        PhantomDeterminismTest.run("--out", tmp.resolve("a").toString(), "--studies", "1", "--seed", "1", "--size", "64", "--no-dicom");
        assertFalse(Files.exists(tmp.resolve("a/dicom")));
        assertTrue(Files.exists(tmp.resolve("a/phantoms.jsonl")));
        PhantomDeterminismTest.run("--out", tmp.resolve("b").toString(), "--studies", "1", "--seed", "1", "--size", "64", "--no-training-set");
        assertFalse(Files.exists(tmp.resolve("b/phantoms.jsonl")));
        assertFalse(Files.exists(tmp.resolve("b/images")));
        assertTrue(Files.exists(tmp.resolve("b/dicom/ph-1-000000")));
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> l = new java.util.ArrayList<>();
        it.forEachRemaining(l::add);
        return l;
    }
}
