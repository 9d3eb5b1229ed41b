package org.raddraft.inference.onnx;

import org.raddraft.inference.TestModels;
import org.raddraft.inference.Preprocessor;
import org.raddraft.inference.GenerationConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The committed model decodes the saved inputs of training/evaluate.py (reference-decodes.json:
 * the phantom PNGs the Python side read, its input hash and its greedy token ids) to the same ids
 * through {@link OnnxDrafter}'s preprocessing and generation; beam search never does worse.
 */
class ReferenceDecodeTest {

    static OnnxDrafter drafter;
    static JsonNode cases;
    static Path fixtures;

    @BeforeAll
    static void open() throws Exception {
        Path model = TestModels.modelDir();
        fixtures = TestModels.fixtureDir();
        cases = new ObjectMapper().readTree(fixtures.resolve("reference-decodes.json").toFile()).get("cases");
        drafter = OnnxDrafter.open(model, OnnxDrafter.Options.defaults().withThreads(1));
    }

    @AfterAll
    static void close() {
        if (drafter != null) {
            drafter.close();
        }
    }

    /** pixel_values of one fixture case, from its PNGs, through the production resize + normalise. */
    static float[] input(JsonNode c) throws Exception {
        Preprocessor p = drafter.preprocessor();
        int plane = p.size() * p.size();
        float[] px = new float[2 * plane];
        for (int v = 0; v < 2; v++) {
            BufferedImage img = ImageIO.read(fixtures.resolve(c.get("images").get(v).asText()).toFile());
            int[] grey = img.getRaster().getPixels(0, 0, img.getWidth(), img.getHeight(), (int[]) null);
            float[] view = p.normalise(p.boxResize(grey, img.getWidth(), img.getHeight()), v);
            System.arraycopy(view, 0, px, v * plane, plane);
        }
        return px;
    }

    @Test
    void preprocessingOfTheSavedPngsIsBitIdenticalToPython() throws Exception {
        for (JsonNode c : cases) {
            assertEquals(c.get("input_sha256").asText(), sha256(input(c)), c.get("study_id").asText());
        }
    }

    @Test
    void greedyDecodeReproducesPythonTokenIds() throws Exception {
        for (JsonNode c : cases) {
            List<Decoding.Sequence> seqs = Decoding.greedy(drafter.runtime(), input(c), 1, drafter.model().generation(),
                    drafter.maxNewTokens(), false);
            int[] expected = ids(c.get("token_ids"));
            int[] got = new int[seqs.get(0).ids().length + 1];
            got[0] = drafter.model().generation().decoderStartTokenId();
            System.arraycopy(seqs.get(0).ids(), 0, got, 1, got.length - 1);
            assertArrayEquals(expected, got, c.get("study_id").asText());
            assertEquals(c.get("sum_logprob").asDouble(), seqs.get(0).sumLogProb(), 1e-2, c.get("study_id").asText());
            assertEquals(c.get("text").asText(), drafter.text().decode(seqs.get(0).ids()));
        }
    }

    @Test
    void batchedGreedyEqualsOneByOne() throws Exception {
        List<float[]> inputs = inputs();
        float[] batch = batchOf(inputs);
        List<Decoding.Sequence> together = Decoding.greedy(drafter.runtime(), batch, inputs.size(),
                drafter.model().generation(), drafter.maxNewTokens(), false);
        for (int i = 0; i < inputs.size(); i++) {
            List<Decoding.Sequence> alone = Decoding.greedy(drafter.runtime(), inputs.get(i), 1,
                    drafter.model().generation(), drafter.maxNewTokens(), false);
            assertArrayEquals(alone.get(0).ids(), together.get(i).ids());
        }
    }

    @Test
    void beamSearchLogProbIsAtLeastGreedys() throws Exception {
        for (JsonNode c : cases) {
            float[] x = input(c);
            GenerationConfig g = drafter.model().generation();
            Decoding.Sequence greedy = Decoding.greedy(drafter.runtime(), x, 1, g, drafter.maxNewTokens(), false).get(0);
            Decoding.Sequence beam = Decoding.beam(drafter.runtime(), x, 1, g, drafter.maxNewTokens(), 4, 0.0).get(0);
            assertTrue(beam.sumLogProb() >= greedy.sumLogProb() - 1e-4,
                    c.get("study_id").asText() + ": beam " + beam.sumLogProb() + " < greedy " + greedy.sumLogProb());
            assertEquals(beam.ids().length, beam.logProbs().length);
        }
    }

    @Test
    void batchedBeamSearchEqualsOneByOne() throws Exception {
        List<float[]> inputs = inputs();
        float[] batch = batchOf(inputs);
        GenerationConfig g = drafter.model().generation();
        List<Decoding.Sequence> together = Decoding.beam(drafter.runtime(), batch, inputs.size(), g,
                drafter.maxNewTokens(), 3, 1.0);
        for (int i = 0; i < inputs.size(); i++) {
            Decoding.Sequence alone = Decoding.beam(drafter.runtime(), inputs.get(i), 1, g, drafter.maxNewTokens(), 3, 1.0)
                    .get(0);
            assertArrayEquals(alone.ids(), together.get(i).ids());
        }
    }

    private static int[] ids(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    static String sha256(float[] data) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : data) {
            b.putFloat(f);
        }
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
    }

    private List<float[]> inputs() throws Exception {
        List<float[]> inputs = new ArrayList<>();
        for (JsonNode c : cases) {
            inputs.add(input(c));
        }
        return inputs;
    }

    /** The inputs side by side as one batch tensor. */
    private static float[] batchOf(List<float[]> inputs) {
        int per = inputs.get(0).length;
        float[] batch = new float[inputs.size() * per];
        for (int i = 0; i < inputs.size(); i++) {
            System.arraycopy(inputs.get(i), 0, batch, i * per, per);
        }
        return batch;
    }
}
