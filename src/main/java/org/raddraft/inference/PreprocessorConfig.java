package org.raddraft.inference;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;

/**
 * What {@code preprocessor_config.json} says: pad to square with {@code padValue}, box resize to
 * {@code size}, multiply by {@code rescaleFactor}, then {@code (x - mean[view]) / std[view]}.
 */
public record PreprocessorConfig(int size, boolean padSquare, int padValue, boolean rescale, float rescaleFactor,
                                 boolean normalize, float[] mean, float[] std, int inputBitDepth) {

    public static PreprocessorConfig of(Path dir, JsonNode p) throws InferenceException {
        String f = ModelDirectory.PREPROCESSOR_CONFIG;
        JsonNode size = p.path("size");
        int h = size.isInt() ? size.asInt() : size.path("height").asInt(-1);
        int w = size.isInt() ? size.asInt() : size.path("width").asInt(-1);
        if (h <= 0 || h != w) {
            throw ModelDirectory.problem(dir, f + ": size is " + size + " (expected {\"height\": S, \"width\": S}, square)");
        }
        int resample = p.path("resample").asInt(4);
        if (resample != 4) {
            throw ModelDirectory.problem(dir, f + ": resample " + resample + " is not supported (expected 4, box / area average)");
        }
        int bits = p.path("input_bit_depth").asInt(8);
        if (bits != 8) {
            throw ModelDirectory.problem(dir, f + ": input_bit_depth " + bits + " is not supported (expected 8)");
        }
        float[] mean = floats(dir, p, "image_mean");
        float[] std = floats(dir, p, "image_std");
        for (float s : std) {
            if (!(s > 0)) {
                throw ModelDirectory.problem(dir, f + ": image_std must be positive, found " + s);
            }
        }
        return new PreprocessorConfig(h, p.path("do_pad_square").asBoolean(true), p.path("pad_value").asInt(0),
                p.path("do_rescale").asBoolean(true), (float) p.path("rescale_factor").asDouble(1 / 255.0),
                p.path("do_normalize").asBoolean(true), mean, std, bits);
    }

    private static float[] floats(Path dir, JsonNode p, String field) throws InferenceException {
        JsonNode a = p.get(field);
        if (a == null || !a.isArray() || a.isEmpty()) {
            throw ModelDirectory.problem(dir, ModelDirectory.PREPROCESSOR_CONFIG + ": field '" + field
                    + "' is missing (expected one number per view)");
        }
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) a.get(i).asDouble();
        }
        return out;
    }
}
