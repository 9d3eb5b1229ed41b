package org.raddraft.inference.remote;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.raddraft.dicom.RenderOptions;
import org.raddraft.inference.InferenceException;
import org.raddraft.inference.ModelDirectory;

/**
 * A model directory whose manifest says {@code "backend": "openai-chat"}: a vision-language model
 * served by an engine that speaks the OpenAI chat-completions API with images (vLLM, TGI, Ollama,
 * llama.cpp server, NIM). The directory holds the manifest (what to send and how to read the answer;
 * docs/remote-inference.md), optionally {@code flags-calibration.json} and a local
 * {@code classifier.onnx} + {@code labels.json}; the weights stay on the engine.
 *
 * @param name           model name as drafts, FHIR Device and Provenance record it
 * @param version        model version as drafts record it
 * @param intendedUse    the manifest's intended_use (null when absent)
 * @param servedModel    the engine's model id ({@code model} of the request) unless remote.model overrides it
 * @param system         the system message, or null for none
 * @param prompt         the user message's text, with the inputs' placeholders
 * @param views          the views sent, in order: "frontal" and optionally "lateral"
 * @param imageFormat    PNG or JPEG
 * @param maxSidePx      longest side of each image sent, in pixels (box-filtered down, never up)
 * @param maxTokens      {@code max_tokens}
 * @param temperature    {@code temperature} (0: greedy, what drafting wants)
 * @param stop           stop strings (may be empty)
 * @param topLogprobs    {@code top_logprobs} asked for with {@code logprobs: true} (0..20)
 * @param requireHeadings an answer without a FINDINGS or IMPRESSION heading is refused as malformed
 * @param scoring        how the engine scores a given text for NOT_IMAGE_GROUNDED: "prompt_logprobs" (vLLM) or "none"
 * @param json           the whole manifest (flags section for calibrate)
 */
public record RemoteModel(Path dir, String name, String version, String intendedUse, String servedModel, String system,
                          PromptTemplate prompt, String promptText, List<String> views,
                          RenderOptions.Format imageFormat, int maxSidePx, int maxTokens, double temperature,
                          List<String> stop, int topLogprobs, boolean requireHeadings, String scoring, JsonNode json) {

    public static final String PROMPT_LOGPROBS = "prompt_logprobs";

    public RemoteModel {
        views = List.copyOf(views);
        stop = List.copyOf(stop);
    }

    /** Reads and checks the manifest; every problem names the field and what to write. */
    public static RemoteModel open(Path dir) throws InferenceException {
        if (!ModelDirectory.OPENAI_CHAT.equals(ModelDirectory.backend(dir))) {
            throw ModelDirectory.problem(dir, ModelDirectory.MANIFEST + ": backend is not " + ModelDirectory.OPENAI_CHAT);
        }
        String f = ModelDirectory.MANIFEST;
        JsonNode m = ModelDirectory.read(dir, f);
        String name = ModelDirectory.text(dir, f, m, "name");
        String version = ModelDirectory.text(dir, f, m, "version");
        JsonNode r = m.path("remote");
        if (!r.isObject()) {
            throw ModelDirectory.problem(dir, f + ": 'remote' is missing (the request and answer settings of an "
                    + ModelDirectory.OPENAI_CHAT + " model; docs/remote-inference.md)");
        }
        String served = ModelDirectory.text(dir, f, r, "model");
        JsonNode p = r.path("prompt");
        String user = lines(p.path("user"));
        if (p.has("user_file")) {
            Path pf = dir.resolve(p.get("user_file").asText());
            try {
                user = Files.readString(pf);
            } catch (java.io.IOException e) {
                throw ModelDirectory.problem(dir, f + ": remote.prompt.user_file " + pf.getFileName() + " cannot be read");
            }
        }
        if (user == null || user.isBlank()) {
            throw ModelDirectory.problem(dir, f + ": remote.prompt.user is missing (the instruction sent with the images)");
        }
        PromptTemplate template;
        try {
            template = new PromptTemplate(user);
        } catch (IllegalArgumentException e) {
            throw ModelDirectory.problem(dir, f + ": remote.prompt.user: " + e.getMessage());
        }
        List<String> views = new ArrayList<>();
        r.path("views").forEach(v -> views.add(v.asText()));
        if (views.isEmpty()) {
            views.add("frontal");
        }
        if (!views.get(0).equals("frontal") || views.size() > 2 || (views.size() == 2 && !views.get(1).equals("lateral"))) {
            throw ModelDirectory.problem(dir, f + ": remote.views is " + views + "; write [\"frontal\"] or [\"frontal\", \"lateral\"]");
        }
        JsonNode img = r.path("image");
        String fmt = img.path("format").asText("png").toUpperCase(java.util.Locale.ROOT);
        if (!fmt.equals("PNG") && !fmt.equals("JPEG")) {
            throw ModelDirectory.problem(dir, f + ": remote.image.format '" + fmt.toLowerCase(java.util.Locale.ROOT)
                    + "' is not supported; write png or jpeg");
        }
        int maxSide = img.has("max_side_px") ? ModelDirectory.positiveInt(dir, f, img, "max_side_px", "remote.image.max_side_px") : 896;
        int maxTokens = r.has("max_tokens") ? ModelDirectory.positiveInt(dir, f, r, "max_tokens", "remote.max_tokens") : 512;
        double temperature = r.path("temperature").asDouble(0);
        if (temperature != 0) {
            throw ModelDirectory.problem(dir, f + ": remote.temperature is " + temperature + "; drafting is greedy, write 0");
        }
        List<String> stop = new ArrayList<>();
        r.path("stop").forEach(s -> stop.add(s.asText()));
        int top = r.path("top_logprobs").asInt(1);
        if (top < 0 || top > 20) {
            throw ModelDirectory.problem(dir, f + ": remote.top_logprobs " + top + " is out of range; write 0..20");
        }
        JsonNode answer = r.path("answer");
        String sections = answer.path("sections").asText("headings");
        if (!sections.equals("headings")) {
            throw ModelDirectory.problem(dir, f + ": remote.answer.sections '" + sections + "' is not supported; write "
                    + "headings (FINDINGS: ... IMPRESSION: ..., read by org.raddraft.report.Report)");
        }
        String scoring = r.path("scoring").asText("none");
        if (!scoring.equals(PROMPT_LOGPROBS) && !scoring.equals("none")) {
            throw ModelDirectory.problem(dir, f + ": remote.scoring '" + scoring + "' is not known; write "
                    + PROMPT_LOGPROBS + " (vLLM) or none");
        }
        return new RemoteModel(dir, name, version, m.path("intended_use").asText(null), served,
                p.path("system").isMissingNode() ? null : lines(p.path("system")), template, user, views,
                RenderOptions.Format.valueOf(fmt), maxSide, maxTokens, temperature, stop, top,
                answer.path("require_headings").asBoolean(true), scoring, m);
    }

    /** A string, or an array of lines joined with newlines (readable in JSON); null when absent. */
    private static String lines(JsonNode n) {
        if (n.isTextual()) {
            return n.asText();
        }
        if (n.isArray()) {
            List<String> l = new ArrayList<>();
            n.forEach(x -> l.add(x.asText()));
            return String.join("\n", l);
        }
        return null;
    }

    /** True when the directory ships a local classifier (CLASSIFIER_DISAGREES, OUT_OF_DISTRIBUTION). */
    public boolean hasClassifier() {
        return Files.isRegularFile(dir.resolve(ModelDirectory.CLASSIFIER));
    }
}
