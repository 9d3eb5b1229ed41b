package org.raddraft.inference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model directory as the model contract defines it (docs/model-contract.md,
 * docs/inference.md): {@code raddraft-model.json}, the three Optimum "image-to-text-with-past" ONNX
 * files, {@code tokenizer.json}, {@code generation_config.json} and {@code preprocessor_config.json}.
 *
 * <p>{@link #open(Path)} checks the files and the JSON only; the ONNX tensor names and shapes are
 * checked when the sessions are created ({@code onnx.OrtSeq2Seq#load}). Every problem is reported as one
 * {@link InferenceException} whose message names the file (and tensor) and what was expected, so a
 * daemon with a wrong directory refuses to start instead of drafting half-working.
 */
public final class ModelDirectory {

    public static final String MANIFEST = "raddraft-model.json";
    public static final String ENCODER = "encoder_model.onnx";
    public static final String DECODER = "decoder_model.onnx";
    public static final String DECODER_WITH_PAST = "decoder_with_past_model.onnx";
    public static final String TOKENIZER = "tokenizer.json";
    public static final String GENERATION_CONFIG = "generation_config.json";
    public static final String PREPROCESSOR_CONFIG = "preprocessor_config.json";
    /** Optional: the independent classifier and its label names (model contract). */
    public static final String CLASSIFIER = "classifier.onnx";
    public static final String LABELS = "labels.json";

    static final List<String> REQUIRED = List.of(MANIFEST, ENCODER, DECODER, DECODER_WITH_PAST, TOKENIZER,
            GENERATION_CONFIG, PREPROCESSOR_CONFIG);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ModelDirectory.class);

    private final Path dir;
    private final Manifest manifest;
    private final GenerationConfig generation;
    private final PreprocessorConfig preprocessing;

    private ModelDirectory(Path dir, Manifest manifest, GenerationConfig generation, PreprocessorConfig preprocessing) {
        this.dir = dir;
        this.manifest = manifest;
        this.generation = generation;
        this.preprocessing = preprocessing;
    }

    /**
     * What {@code raddraft-model.json} says about the model.
     *
     * @param views            view names in channel order of {@code pixel_values} (e.g. frontal, lateral)
     * @param imageSize        height = width of each view in {@code pixel_values}
     * @param missingViewFill  how a missing view is filled: "zeros" (normalised tensor 0, the default)
     * @param evalSeed         generator seed of the fixed held-out evaluation set (null when absent)
     * @param evalStudies      studies in that set (null when absent)
     * @param evalSizePx       phantom size the set is generated at (512 when absent)
     * @param metrics          recorded metrics of the training scripts (evaluation.metrics), may be empty
     * @param json             the whole manifest, for thresholds and anything else later stages read
     */
    public record Manifest(String name, String version, List<String> views, int imageSize, String missingViewFill,
                           Long evalSeed, Integer evalStudies, int evalSizePx, Map<String, Double> metrics,
                           JsonNode json) {
    }

    /** The in-process ONNX Runtime backend (this class's contract). */
    public static final String ONNX = "onnx";
    /** A remote OpenAI-compatible chat engine with images (inference.remote.RemoteModel, docs/remote-inference.md). */
    public static final String OPENAI_CHAT = "openai-chat";

    /**
     * Which backend the directory's manifest asks for: its {@code backend} field, {@value #ONNX} when it
     * has none (every model directory written before there was a choice).
     */
    public static String backend(Path dir) throws InferenceException {
        if (!Files.isRegularFile(dir.resolve(MANIFEST))) {
            throw problem(dir, "missing file " + MANIFEST + " (every model directory has one; docs/model-contract.md)");
        }
        String b = read(dir, MANIFEST).path("backend").asText(ONNX);
        if (!b.equals(ONNX) && !b.equals(OPENAI_CHAT)) {
            throw problem(dir, MANIFEST + ": backend '" + b + "' is not known; write " + ONNX + " or " + OPENAI_CHAT);
        }
        return b;
    }

    public static ModelDirectory open(Path dir) throws InferenceException {
        if (!Files.isDirectory(dir)) {
            throw problem(dir, "is not a directory (expected a model directory holding " + String.join(", ", REQUIRED) + ")");
        }
        for (String f : REQUIRED) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                throw problem(dir, "missing file " + f + " (the model contract requires " + String.join(", ", REQUIRED) + ")");
            }
        }
        JsonNode m = read(dir, MANIFEST);
        JsonNode g = read(dir, GENERATION_CONFIG);
        JsonNode p = read(dir, PREPROCESSOR_CONFIG);

        String name = text(dir, MANIFEST, m, "name");
        String version = text(dir, MANIFEST, m, "version");
        JsonNode inputs = m.path("inputs");
        int imageSize = positiveInt(dir, MANIFEST, inputs, "image_size", "inputs.image_size");
        JsonNode viewsNode = inputs.path("views");
        if (!viewsNode.isArray() || viewsNode.isEmpty()) {
            throw problem(dir, MANIFEST + ": inputs.views must be a non-empty array of views (e.g. frontal, lateral)");
        }
        List<String> views = new ArrayList<>();
        for (JsonNode v : viewsNode) {
            String vn = v.isTextual() ? v.asText() : v.path("name").asText("");
            if (vn.isEmpty()) {
                throw problem(dir, MANIFEST + ": inputs.views entries need a name");
            }
            views.add(vn);
        }
        if (!views.get(0).equals("frontal")) {
            throw problem(dir, MANIFEST + ": inputs.views[0] is '" + views.get(0) + "', expected 'frontal'");
        }
        String fill = inputs.path("missing_view_fill").asText("zeros");
        JsonNode ev = m.path("evaluation");
        Long evalSeed = ev.has("generator_seed") ? ev.get("generator_seed").asLong() : null;
        Integer evalStudies = ev.has("studies") ? ev.get("studies").asInt() : null;
        int evalSize = ev.path("size_px").asInt(512);
        Map<String, Double> metrics = new LinkedHashMap<>();
        ev.path("metrics").fields().forEachRemaining(e -> {
            if (e.getValue().isNumber()) {
                metrics.put(e.getKey(), e.getValue().asDouble());
            }
        });
        Manifest manifest = new Manifest(name, version, List.copyOf(views), imageSize, fill, evalSeed, evalStudies,
                evalSize, Map.copyOf(metrics), m);

        GenerationConfig gen = GenerationConfig.of(dir, g);
        PreprocessorConfig pre = PreprocessorConfig.of(dir, p);
        if (pre.size() != imageSize) {
            throw problem(dir, PREPROCESSOR_CONFIG + ": size " + pre.size() + "x" + pre.size() + " differs from "
                    + MANIFEST + " inputs.image_size " + imageSize);
        }
        if (pre.channels() != views.size() && views.size() != 1) {
            throw problem(dir, PREPROCESSOR_CONFIG + ": image_mean/image_std need one value per view (" + views.size()
                    + "), found " + pre.mean().length + "/" + pre.std().length
                    + " (only a single-view model may repeat its grey image in several channels)");
        }
        return new ModelDirectory(dir, manifest, gen, pre);
    }

    public Path dir() {
        return dir;
    }

    public Path file(String name) {
        return dir.resolve(name);
    }

    public Manifest manifest() {
        return manifest;
    }

    public GenerationConfig generation() {
        return generation;
    }

    public PreprocessorConfig preprocessing() {
        return preprocessing;
    }

    /**
     * The flag calibration of model directory {@code dir} ({@code flags-calibration.json}), for any
     * backend; null, with a warning, when it has none: the daemon then drafts without flags (each
     * listed as unavailable) rather than with made-up thresholds.
     */
    public static org.raddraft.flags.FlagCalibration calibration(Path dir, String name, String version)
            throws InferenceException {
        Path f = dir.resolve(org.raddraft.flags.FlagCalibration.FILE);
        if (!Files.isRegularFile(f)) {
            LOG.warn("model directory {} has no {}: drafts carry no confidence flags (write it with "
                    + "`raddraft calibrate --model {}`)", dir, org.raddraft.flags.FlagCalibration.FILE, dir);
            return null;
        }
        try {
            org.raddraft.flags.FlagCalibration c = org.raddraft.flags.FlagCalibration.read(f);
            if (!name.equals(c.model()) || !version.equals(c.version())) {
                LOG.warn("{} was calibrated for {} {}, the model is {} {}: re-run `raddraft calibrate --model {}`",
                        f, c.model(), c.version(), name, version, dir);
            }
            return c;
        } catch (IOException e) {
            throw problem(dir, e.getMessage());
        }
    }

    /** True when the directory has {@code classifier.onnx} (and so must have {@code labels.json}). */
    public boolean hasClassifier() {
        return Files.isRegularFile(file(CLASSIFIER));
    }

    /** The classifier's output columns, from {@code labels.json} {@code labels}. */
    public List<String> classifierLabels() throws InferenceException {
        return classifierLabels(dir);
    }

    /** The classifier's output columns of any model directory, from {@code labels.json} {@code labels}. */
    public static List<String> classifierLabels(Path dir) throws InferenceException {
        if (!Files.isRegularFile(dir.resolve(LABELS))) {
            throw problem(dir, CLASSIFIER + " needs " + LABELS + " ({\"labels\": [...]}, one name per output column)");
        }
        JsonNode l = read(dir, LABELS).path("labels");
        if (!l.isArray() || l.isEmpty()) {
            throw problem(dir, LABELS + ": 'labels' must be a non-empty array of observation names");
        }
        List<String> out = new ArrayList<>();
        l.forEach(n -> out.add(n.asText()));
        return List.copyOf(out);
    }

    public static InferenceException problem(Path dir, String what) {
        return new InferenceException("model directory " + dir + ": " + what);
    }

    /** A JSON object file of the directory; a problem naming the file when it is not one. */
    public static JsonNode read(Path dir, String file) throws InferenceException {
        try {
            JsonNode n = JSON.readTree(dir.resolve(file).toFile());
            if (n == null || !n.isObject()) {
                throw problem(dir, file + " is not a JSON object");
            }
            return n;
        } catch (IOException e) {
            throw problem(dir, file + " is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    public static String text(Path dir, String file, JsonNode n, String field) throws InferenceException {
        JsonNode v = n.get(field);
        if (v == null || !v.isValueNode() || v.asText().isBlank()) {
            throw problem(dir, file + ": field '" + field + "' is missing (expected a non-empty string)");
        }
        return v.asText();
    }

    public static int positiveInt(Path dir, String file, JsonNode n, String field, String shownAs) throws InferenceException {
        JsonNode v = n.get(field);
        if (v == null || !v.canConvertToInt() || v.asInt() <= 0) {
            throw problem(dir, file + ": field '" + shownAs + "' is " + (v == null ? "missing" : "'" + v + "'")
                    + " (expected a positive integer)");
        }
        return v.asInt();
    }
}
