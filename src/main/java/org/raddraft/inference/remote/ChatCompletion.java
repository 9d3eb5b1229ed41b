package org.raddraft.inference.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.raddraft.dicom.RenderedImage;

/**
 * The OpenAI chat-completions request RadDraft sends and what it reads from the answer, as vLLM
 * documents them (docs/remote-inference.md; shapes in src/test/resources/openai/): a user message
 * with the rendered prompt and the images as base64 data URLs, {@code logprobs: true}; and, for
 * re-scoring a given text, vLLM's {@code prompt_logprobs} with the text as the final assistant
 * message continued. Nothing else goes out: no header value, no identifier, no file name.
 */
public final class ChatCompletion {

    public static final String PATH = "/v1/chat/completions";
    private static final ObjectMapper JSON = new ObjectMapper();

    private ChatCompletion() {
    }

    /** The drafting request. */
    static ObjectNode draftRequest(RemoteModel m, String model, String prompt, List<RenderedImage> images) {
        ObjectNode body = messages(m, model, prompt, images);
        body.put("max_tokens", m.maxTokens());
        body.put("temperature", m.temperature());
        if (!m.stop().isEmpty()) {
            ArrayNode stop = body.putArray("stop");
            m.stop().forEach(stop::add);
        }
        body.put("logprobs", true);
        body.put("top_logprobs", m.topLogprobs());
        return body;
    }

    /**
     * vLLM's prompt scoring of {@code text} as the model's answer to the same prompt with {@code images}:
     * the text is the final assistant message, continued rather than closed, and its tokens'
     * log-probabilities come back in the top-level {@code prompt_logprobs}.
     */
    static ObjectNode scoreRequest(RemoteModel m, String model, String prompt, List<RenderedImage> images, String text) {
        ObjectNode body = messages(m, model, prompt, images);
        body.withArray("messages").addObject().put("role", "assistant").put("content", text);
        body.put("add_generation_prompt", false);
        body.put("continue_final_message", true);
        body.put("prompt_logprobs", 0);
        body.put("max_tokens", 1);
        body.put("temperature", 0);
        return body;
    }

    private static ObjectNode messages(RemoteModel m, String model, String prompt, List<RenderedImage> images) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", model);
        ArrayNode messages = body.putArray("messages");
        if (m.system() != null && !m.system().isBlank()) {
            messages.addObject().put("role", "system").put("content", m.system());
        }
        ObjectNode user = messages.addObject().put("role", "user");
        ArrayNode content = user.putArray("content");
        content.addObject().put("type", "text").put("text", prompt);
        for (RenderedImage img : images) {
            content.addObject().put("type", "image_url").putObject("image_url").put("url",
                    "data:" + img.mediaType() + ";base64," + Base64.getEncoder().encodeToString(img.bytes()));
        }
        return body;
    }

    /**
     * The draft text and its tokens' log-probabilities.
     *
     * @param content   the answer text
     * @param tokens    the generated tokens as the engine spelled them (empty when it sent no logprobs)
     * @param logProbs  natural-log probability of each token, same length as {@code tokens}
     */
    record Answer(String content, List<String> tokens, List<Float> logProbs) {
        boolean hasLogProbs() {
            return !tokens.isEmpty();
        }
    }

    /** Reads choices[0]; refuses an answer without text, cut off at max_tokens, or with broken logprobs. */
    static Answer answer(JsonNode body, String endpoint, int maxTokens) throws AnswerRefused {
        JsonNode choices = body.path("choices");
        if (!choices.isArray() || choices.isEmpty()) {
            throw new AnswerRefused("malformed answer from " + endpoint + ": no choices");
        }
        JsonNode c = choices.get(0);
        JsonNode content = c.path("message").path("content");
        if (!content.isTextual() || content.asText().isBlank()) {
            throw new AnswerRefused("malformed answer from " + endpoint + ": choices[0].message.content is "
                    + (content.isMissingNode() || content.isNull() ? "missing" : content.isTextual() ? "empty" : "not text"));
        }
        if ("length".equals(c.path("finish_reason").asText())) {
            throw new AnswerRefused("the answer from " + endpoint + " was cut off at max_tokens (" + maxTokens
                    + "): raise remote.max_tokens in the model manifest");
        }
        List<String> tokens = new ArrayList<>();
        List<Float> lps = new ArrayList<>();
        JsonNode lp = c.path("logprobs").path("content");
        if (lp.isArray()) {
            for (JsonNode t : lp) {
                JsonNode v = t.path("logprob");
                if (!v.isNumber() || !t.path("token").isTextual()) {
                    throw new AnswerRefused("malformed answer from " + endpoint + ": logprobs.content entries need "
                            + "token and logprob");
                }
                tokens.add(t.get("token").asText());
                lps.add((float) Math.max(-9999.0, v.asDouble()));
            }
        }
        return new Answer(content.asText(), List.copyOf(tokens), List.copyOf(lps));
    }

    /**
     * The mean log-probability of the trailing prompt tokens that spell {@code text} (vLLM
     * {@code prompt_logprobs}, one dict per prompt token keyed by token id), or null when the answer
     * has no usable {@code prompt_logprobs} (the engine cannot score prompts).
     */
    static Double scoredMean(JsonNode body, String text) {
        JsonNode pl = body.path("prompt_logprobs");
        if (!pl.isArray() || pl.isEmpty()) {
            return null;
        }
        String want = text.replaceAll("\\s+", "");
        StringBuilder got = new StringBuilder();
        double sum = 0;
        int n = 0;
        for (int i = pl.size() - 1; i >= 0 && got.length() < want.length(); i--) {
            JsonNode d = pl.get(i);
            if (d == null || !d.isObject() || d.size() == 0) {
                return null;
            }
            JsonNode lp = d.elements().next();
            String tok = lp.path("decoded_token").asText("").replaceAll("\\s+", "");
            got.insert(0, tok);
            sum += Math.max(-9999.0, lp.path("logprob").asDouble(-9999.0));
            n++;
        }
        if (n == 0 || !got.toString().endsWith(want)) {
            return null;
        }
        return sum / n;
    }
}
