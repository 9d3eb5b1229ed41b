package org.raddraft.inference;

import org.raddraft.inference.onnx.OnnxDrafter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A wrong model directory is refused with one message naming the file / tensor and what was expected. */
class ModelDirectoryValidationTest {

    @TempDir
    Path tmp;

    private String failure(Path dir) {
        InferenceException e = assertThrows(InferenceException.class,
                () -> OnnxDrafter.open(dir, OnnxDrafter.Options.defaults().withThreads(1)).close());
        return e.getMessage();
    }

    @Test
    void refusesDirectoryWithoutDecoderWithPast() throws Exception {
        Path dir = TestModels.copyOf(TestModels.modelDir(), tmp);
        Files.delete(dir.resolve("decoder_with_past_model.onnx"));
        assertEquals("model directory " + dir + ": missing file decoder_with_past_model.onnx (the model contract requires "
                + "raddraft-model.json, encoder_model.onnx, decoder_model.onnx, decoder_with_past_model.onnx, "
                + "tokenizer.json, generation_config.json, preprocessor_config.json)", failure(dir));
    }

    @Test
    void refusesEncoderWithWrongInputName() throws Exception {
        Path dir = TestModels.copyOf(TestModels.modelDir(), tmp);
        TestModels.patchBytes(dir.resolve("encoder_model.onnx"), "pixel_values", "pixel_valuez");
        assertEquals("model directory " + dir + ": encoder_model.onnx: no input tensor 'pixel_values' (expected "
                + "pixel_values [batch, 2, S, S]; the file has inputs [pixel_valuez])"
                        .replace("S, S", size(dir) + ", " + size(dir)), failure(dir));
    }

    @Test
    void refusesDecoderWithPastWithoutCacheInput() throws Exception {
        Path dir = TestModels.copyOf(TestModels.modelDir(), tmp);
        TestModels.patchBytes(dir.resolve("decoder_with_past_model.onnx"), "past_key_values.1.encoder.value",
                "past_key_values.1.encoder.vaxue");
        assertEquals("model directory " + dir + ": decoder_with_past_model.onnx: no input tensor "
                + "'past_key_values.1.encoder.value' (expected past_key_values.1.encoder.value "
                + "[batch, heads, sequence, head_dim]; the file has inputs " + inputsWithTypo(dir) + ")", failure(dir));
    }

    @Test
    void refusesManifestWithWrongInputSize() throws Exception {
        Path dir = TestModels.copyOf(TestModels.modelDir(), tmp);
        int size = size(dir);
        ObjectMapper json = new ObjectMapper();
        for (String f : new String[] {"raddraft-model.json", "preprocessor_config.json"}) {
            ObjectNode n = (ObjectNode) json.readTree(dir.resolve(f).toFile());
            if (f.startsWith("raddraft")) {
                ((ObjectNode) n.get("inputs")).put("image_size", size * 2);
            } else {
                ((ObjectNode) n.get("size")).put("height", size * 2).put("width", size * 2);
            }
            json.writeValue(dir.resolve(f).toFile(), n);
        }
        assertEquals("model directory " + dir + ": encoder_model.onnx: input 'pixel_values' has shape [?, 2, " + size
                + ", " + size + "], expected [batch, 2, " + 2 * size + ", " + 2 * size + "] (2 channels of " + 2 * size
                + "x" + 2 * size + " per preprocessor_config.json image_mean and raddraft-model.json inputs)", failure(dir));
    }

    @Test
    void refusesPreprocessorSizeThatDisagreesWithManifest() throws Exception {
        Path dir = TestModels.copyOf(TestModels.modelDir(), tmp);
        int size = size(dir);
        ObjectMapper json = new ObjectMapper();
        ObjectNode n = (ObjectNode) json.readTree(dir.resolve("preprocessor_config.json").toFile());
        ((ObjectNode) n.get("size")).put("height", 224).put("width", 224);
        json.writeValue(dir.resolve("preprocessor_config.json").toFile(), n);
        assertEquals("model directory " + dir + ": preprocessor_config.json: size 224x224 differs from "
                + "raddraft-model.json inputs.image_size " + size, failure(dir));
    }

    @Test
    void refusesAPathThatIsNotADirectory() {
        Path missing = tmp.resolve("nowhere");
        assertEquals("model directory " + missing + ": is not a directory (expected a model directory holding "
                + "raddraft-model.json, encoder_model.onnx, decoder_model.onnx, decoder_with_past_model.onnx, "
                + "tokenizer.json, generation_config.json, preprocessor_config.json)", failure(missing));
    }

    private static int size(Path dir) throws Exception {
        return new ObjectMapper().readTree(dir.resolve("raddraft-model.json").toFile()).path("inputs").path("image_size").asInt();
    }

    private static String inputsWithTypo(Path dir) throws Exception {
        int layers = new ObjectMapper().readTree(dir.resolve("config.json").toFile()).path("decoder").path("num_layers").asInt(2);
        java.util.TreeSet<String> names = new java.util.TreeSet<>();
        names.add("input_ids");
        names.add("encoder_hidden_states");
        for (int i = 0; i < layers; i++) {
            for (String s : new String[] {"decoder.key", "decoder.value", "encoder.key", "encoder.value"}) {
                names.add("past_key_values." + i + "." + s);
            }
        }
        names.remove("past_key_values.1.encoder.value");
        names.add("past_key_values.1.encoder.vaxue");
        return names.toString();
    }
}
