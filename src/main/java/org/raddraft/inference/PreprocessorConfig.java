package org.raddraft.inference;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;

/**
 * What {@code preprocessor_config.json} says: pad to square with {@code padValue}, resize to
 * {@code size} (box, or Pillow's bilinear for a Hugging Face {@code ViTImageProcessor} config), multiply
 * by {@code rescaleFactor}, then {@code (x - mean[channel]) / std[channel]}. One mean/std per channel
 * of {@code pixel_values}: per view, or (single-view models such as ViT) the grey image repeated.
 *
 * @param resample Pillow filter: 4 = BOX (area average), 2 = BILINEAR (antialiased, 8-bit result, what
 *                 Hugging Face image processors do to an 8-bit image)
 */
public record PreprocessorConfig(int size, boolean padSquare, int padValue, boolean rescale, float rescaleFactor,
                                 boolean normalize, float[] mean, float[] std, int inputBitDepth, int resample) {

    public static final int BOX = 4;
    public static final int BILINEAR = 2;

    public PreprocessorConfig(int size, boolean padSquare, int padValue, boolean rescale, float rescaleFactor,
                              boolean normalize, float[] mean, float[] std, int inputBitDepth) {
        this(size, padSquare, padValue, rescale, rescaleFactor, normalize, mean, std, inputBitDepth, BOX);
    }

    /** Channels of {@code pixel_values}: one per entry of {@code image_mean}. */
    public int channels() {
        return mean.length;
    }

    public static PreprocessorConfig of(Path dir, JsonNode p) throws InferenceException {
        String f = ModelDirectory.PREPROCESSOR_CONFIG;
        JsonNode size = p.path("size");
        int h = size.isInt() ? size.asInt() : size.path("height").asInt(-1);
        int w = size.isInt() ? size.asInt() : size.path("width").asInt(-1);
        if (h <= 0 || h != w) {
            throw ModelDirectory.problem(dir, f + ": size is " + size + " (expected {\"height\": S, \"width\": S}, square)");
        }
        int resample = p.path("resample").asInt(BOX);
        if (resample != BOX && resample != BILINEAR) {
            throw ModelDirectory.problem(dir, f + ": resample " + resample
                    + " is not supported (expected 4, box / area average, or 2, bilinear)");
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
        if (mean.length != std.length) {
            throw ModelDirectory.problem(dir, f + ": image_mean has " + mean.length + " values but image_std "
                    + std.length + " (expected one of each per channel)");
        }
        // Hugging Face image processors do not pad: without the field, a config with image_processor_type does not
        boolean pad = p.path("do_pad_square").asBoolean(!p.has("image_processor_type"));
        return new PreprocessorConfig(h, pad, p.path("pad_value").asInt(0),
                p.path("do_rescale").asBoolean(true), (float) p.path("rescale_factor").asDouble(1 / 255.0),
                p.path("do_normalize").asBoolean(true), mean, std, bits, resample);
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
