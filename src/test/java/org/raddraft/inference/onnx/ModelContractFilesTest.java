package org.raddraft.inference.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The committed reference model meets the model contract (docs/model-contract.md): every file is
 * there, each ONNX graph has the Optimum "image-to-text-with-past" names, dtypes and shapes, and
 * ONNX Runtime reproduces the reference decodes recorded by training/ (preprocessing from the PNG,
 * encoder -> decoder -> decoder_with_past greedy loop, classifier probabilities).
 */
class ModelContractFilesTest {

    static OrtEnvironment env;
    static final Map<String, OrtSession> sessions = new HashMap<>();
    static JsonNode manifest, config, generation, preprocessor;
    static int layers, heads, headDim, hidden, vocab, size, views;

    @BeforeAll
    static void open() throws Exception {
        Path dir = ReferenceModel.modelDir();
        for (String f : List.of("raddraft-model.json", "encoder_model.onnx", "decoder_model.onnx",
                "decoder_with_past_model.onnx", "tokenizer.json", "generation_config.json",
                "preprocessor_config.json", "config.json", "classifier.onnx", "labels.json", "metrics.json")) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), "model directory lacks " + f);
        }
        manifest = ReferenceModel.readJson(dir.resolve("raddraft-model.json"));
        config = ReferenceModel.readJson(dir.resolve("config.json"));
        generation = ReferenceModel.readJson(dir.resolve("generation_config.json"));
        preprocessor = ReferenceModel.readJson(dir.resolve("preprocessor_config.json"));
        layers = config.at("/decoder/num_layers").asInt();
        heads = config.at("/decoder/num_attention_heads").asInt();
        headDim = config.at("/decoder/head_dim").asInt();
        hidden = config.at("/decoder/hidden_size").asInt();
        vocab = config.get("vocab_size").asInt();
        size = preprocessor.at("/size/height").asInt();
        views = preprocessor.get("num_channels").asInt();
        env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(1);
            for (String f : List.of("encoder_model", "decoder_model", "decoder_with_past_model", "classifier")) {
                sessions.put(f, env.createSession(dir.resolve(f + ".onnx").toString(), o));
            }
        }
    }

    @AfterAll
    static void close() throws Exception {
        for (OrtSession s : sessions.values()) s.close();
    }

    // ------------------------------------------------------------------ interface

    /** name -> shape, with -1 for every symbolic (dynamic) dimension. */
    private static Map<String, long[]> shapes(Map<String, NodeInfo> infos) {
        Map<String, long[]> m = new LinkedHashMap<>();
        infos.forEach((k, v) -> m.put(k, ((TensorInfo) v.getInfo()).getShape()));
        return m;
    }

    private static void assertTensor(Map<String, NodeInfo> infos, String name, String type, long... shape) {
        NodeInfo n = infos.get(name);
        assertTrue(n != null, "missing tensor " + name + " among " + infos.keySet());
        TensorInfo t = (TensorInfo) n.getInfo();
        assertEquals(type, t.type.toString(), name + " dtype");
        assertArrayEquals(shape, t.getShape(), name + " shape " + Arrays.toString(t.getShape()));
    }

    @Test
    void encoderInterface() throws Exception {
        OrtSession s = sessions.get("encoder_model");
        assertEquals(List.of("pixel_values"), List.copyOf(s.getInputNames()));
        assertTensor(s.getInputInfo(), "pixel_values", "FLOAT", -1, views, size, size);
        // the sequence axis is named dynamic in the contract; a fixed image size makes it static here
        long seq = ((TensorInfo) s.getOutputInfo().get("last_hidden_state").getInfo()).getShape()[1];
        assertTrue(seq == -1 || seq == config.at("/encoder/sequence_length").asLong(), "encoder sequence length " + seq);
        assertTensor(s.getOutputInfo(), "last_hidden_state", "FLOAT", -1, seq, hidden);
    }

    @Test
    void decoderInterface() throws Exception {
        OrtSession s = sessions.get("decoder_model");
        assertEquals(List.of("input_ids", "encoder_hidden_states"), List.copyOf(s.getInputNames()));
        assertTensor(s.getInputInfo(), "input_ids", "INT64", -1, -1);
        assertTensor(s.getInputInfo(), "encoder_hidden_states", "FLOAT", -1, -1, hidden);
        List<String> outs = new ArrayList<>(List.of("logits"));
        for (int i = 0; i < layers; i++) {
            for (String kind : List.of("decoder", "encoder")) {
                for (String kv : List.of("key", "value")) {
                    String n = "present." + i + "." + kind + "." + kv;
                    outs.add(n);
                    assertTensor(s.getOutputInfo(), n, "FLOAT", -1, heads, -1, headDim);
                }
            }
        }
        assertTensor(s.getOutputInfo(), "logits", "FLOAT", -1, -1, vocab);
        assertEquals(new java.util.TreeSet<>(outs), new java.util.TreeSet<>(s.getOutputNames()));
    }

    @Test
    void decoderWithPastInterface() throws Exception {
        OrtSession s = sessions.get("decoder_with_past_model");
        List<String> ins = new ArrayList<>(List.of("input_ids", "encoder_hidden_states"));
        List<String> outs = new ArrayList<>(List.of("logits"));
        for (int i = 0; i < layers; i++) {
            for (String kind : List.of("decoder", "encoder")) {
                for (String kv : List.of("key", "value")) {
                    String n = "past_key_values." + i + "." + kind + "." + kv;
                    ins.add(n);
                    assertTensor(s.getInputInfo(), n, "FLOAT", -1, heads, -1, headDim);
                }
            }
            for (String kv : List.of("key", "value")) {
                String n = "present." + i + ".decoder." + kv;
                outs.add(n);
                assertTensor(s.getOutputInfo(), n, "FLOAT", -1, heads, -1, headDim);
            }
        }
        assertEquals(new java.util.TreeSet<>(ins), new java.util.TreeSet<>(s.getInputNames()));
        assertEquals(new java.util.TreeSet<>(outs), new java.util.TreeSet<>(s.getOutputNames()));
        assertTensor(s.getOutputInfo(), "logits", "FLOAT", -1, -1, vocab);
    }

    @Test
    void classifierInterfaceAndLabels() throws Exception {
        OrtSession s = sessions.get("classifier");
        JsonNode labels = ReferenceModel.readJson(ReferenceModel.modelDir().resolve("labels.json")).get("labels");
        assertEquals(14, labels.size());
        assertEquals("No Finding", labels.get(0).asText());
        assertEquals("Support Devices", labels.get(13).asText());
        assertTensor(s.getInputInfo(), "pixel_values", "FLOAT", -1, views, size, size);
        assertTensor(s.getOutputInfo(), "logits", "FLOAT", -1, labels.size());
        assertTensor(s.getOutputInfo(), "probabilities", "FLOAT", -1, labels.size());
    }

    @Test
    void manifestAndConfigsAgree() {
        assertEquals(generation.get("decoder_start_token_id").asInt(), config.get("decoder_start_token_id").asInt());
        assertTrue(generation.get("max_length").asInt() <= config.at("/decoder/max_position_embeddings").asInt());
        assertEquals(hidden, heads * headDim);
        assertTrue(manifest.get("intended_use").asText().toLowerCase().contains("not for clinical use"));
        assertEquals(size, manifest.at("/inputs/image_size").asInt());
        assertEquals("frontal", manifest.at("/inputs/views/0/name").asText());
        assertEquals("lateral", manifest.at("/inputs/views/1/name").asText());
        assertEquals(14, manifest.get("labels").size());
        assertTrue(manifest.at("/thresholds/classifier").size() > 0);
        assertTrue(manifest.at("/evaluation/generator_seed").isNumber());
    }

    // ------------------------------------------------------------------ numerics

    @Test
    void onnxRuntimeReproducesReferenceDecodes() throws Exception {
        JsonNode ref = ReferenceModel.readJson(ReferenceModel.fixtureDir().resolve("reference-decodes.json"));
        float mean = (float) preprocessor.get("image_mean").get(0).asDouble();
        float std = (float) preprocessor.get("image_std").get(0).asDouble();
        int bos = generation.get("decoder_start_token_id").asInt();
        int eos = generation.get("eos_token_id").asInt();
        int maxLength = generation.get("max_length").asInt();
        assertTrue(ref.get("cases").size() >= 2);
        for (JsonNode c : ref.get("cases")) {
            float[] px = new float[views * size * size];
            for (int v = 0; v < views; v++) {
                int[][] grey = ReferenceModel.readGrey(ReferenceModel.fixtureDir().resolve(c.get("images").get(v).asText()));
                System.arraycopy(ReferenceModel.preprocessView(grey, size, mean, std), 0, px, v * size * size, size * size);
            }
            assertEquals(c.get("input_sha256").asText(), ReferenceModel.sha256(px),
                    c.get("study_id").asText() + ": preprocessed pixel_values differ from training/data.py");

            Decoded d = greedy(px, bos, eos, maxLength);
            long[] expected = StreamSupport.longs(c.get("token_ids"));
            assertArrayEquals(expected, d.ids, c.get("study_id").asText() + " token ids");
            assertEquals(c.get("sum_logprob").asDouble(), d.sumLogprob, 2e-3, "sum of token log-probs");

            try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(px), new long[]{1, views, size, size});
                 OrtSession.Result r = sessions.get("classifier").run(Map.of("pixel_values", x))) {
                float[] p = ((float[][]) r.get("probabilities").get().getValue())[0];
                JsonNode exp = c.get("classifier_probabilities");
                for (int i = 0; i < p.length; i++) assertEquals(exp.get(i).asDouble(), p[i], 1e-4, "classifier p[" + i + "]");
            }
        }
    }

    record Decoded(long[] ids, double sumLogprob) {
    }

    /** Greedy decode with the KV cache, batch 1: the loop docs/model-contract.md describes. */
    private Decoded greedy(float[] px, int bos, int eos, int maxLength) throws Exception {
        List<Long> ids = new ArrayList<>(List.of((long) bos));
        double sum = 0;
        try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(px), new long[]{1, views, size, size});
             OrtSession.Result enc = sessions.get("encoder_model").run(Map.of("pixel_values", x))) {
            OnnxTensor hiddenStates = (OnnxTensor) enc.get("last_hidden_state").get();
            Map<String, OnnxTensor> past = new HashMap<>();
            OrtSession.Result prev = null;
            try {
                for (int step = 0; ids.size() < maxLength; step++) {
                    OrtSession.Result r;
                    try (OnnxTensor in = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[]{ids.get(ids.size() - 1)}), new long[]{1, 1})) {
                        Map<String, OnnxTensor> feeds = new HashMap<>();
                        feeds.put("input_ids", in);
                        feeds.put("encoder_hidden_states", hiddenStates);
                        if (step == 0) {
                            r = sessions.get("decoder_model").run(feeds);
                        } else {
                            feeds.putAll(past);
                            r = sessions.get("decoder_with_past_model").run(feeds);
                        }
                    }
                    float[] logits = ((float[][][]) r.get("logits").get().getValue())[0][0];
                    int best = 0;
                    for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
                    double max = logits[best], z = 0;
                    for (float l : logits) z += Math.exp(l - max);
                    sum += -Math.log(z);
                    ids.add((long) best);
                    // carry the cache: decoder self-attention from this step, encoder K/V from step 0
                    Map<String, OnnxTensor> next = new HashMap<>();
                    for (int i = 0; i < layers; i++) {
                        for (String kv : List.of("key", "value")) {
                            next.put("past_key_values." + i + ".decoder." + kv, (OnnxTensor) r.get("present." + i + ".decoder." + kv).get());
                            String e = "past_key_values." + i + ".encoder." + kv;
                            next.put(e, step == 0 ? (OnnxTensor) r.get("present." + i + ".encoder." + kv).get() : past.get(e));
                        }
                    }
                    if (step == 0) {
                        prev = r; // owns the encoder K/V for the whole loop
                    } else if (step > 1) {
                        lastStep.close();
                    }
                    if (step > 0) lastStep = r;
                    past = next;
                    if (best == eos) break;
                }
            } finally {
                if (lastStep != null) lastStep.close();
                lastStep = null;
                if (prev != null) prev.close();
            }
        }
        return new Decoded(ids.stream().mapToLong(Long::longValue).toArray(), sum);
    }

    private OrtSession.Result lastStep;

    private static final class StreamSupport {
        static long[] longs(JsonNode arr) {
            long[] out = new long[arr.size()];
            for (int i = 0; i < out.length; i++) out[i] = arr.get(i).asLong();
            return out;
        }
    }
}
