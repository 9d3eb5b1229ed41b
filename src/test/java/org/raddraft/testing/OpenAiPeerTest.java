package org.raddraft.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The test peer itself, through a real HTTP client: it drafts meaningful reports from images, its
 * answers have the upstream shapes kept in {@code src/test/resources/openai/}, and every fault does
 * what it says.
 */
@Timeout(120)
class OpenAiPeerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path PHANTOMS = Path.of("testdata/phantoms/images");
    private static final Path REFERENCE = Path.of("src/test/resources/org/raddraft/inference/reference-cxr");
    private static final Path FIXTURES = Path.of("src/test/resources/openai");

    private static OpenAiPeer peer;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws IOException {
        peer = OpenAiPeer.start();
    }

    @AfterAll
    static void stop() {
        peer.close();
    }

    @BeforeEach
    void reset() {
        peer.reset();
        peer.clearRequests();
        peer.clearCounters();
    }

    // ---------------------------------------------------------------- drafting

    @Test
    void draftsFindingsAndImpressionFromAPhantomStudy() throws Exception {
        ObjectNode req = request(png(PHANTOMS.resolve("ph-23-000000_frontal.png")), png(PHANTOMS.resolve("ph-23-000000_lateral.png")));
        req.put("logprobs", true).put("top_logprobs", 3);
        JsonNode r = ok(post(peer, req));

        JsonNode choice = r.path("choices").get(0);
        String content = choice.path("message").path("content").asText();
        assertTrue(content.matches("(?s)FINDINGS: \\S.*\\nIMPRESSION: \\S.*"), content);
        assertEquals("assistant", choice.path("message").path("role").asText());
        assertEquals("stop", choice.path("finish_reason").asText());
        assertEquals("chat.completion", r.path("object").asText());
        assertEquals(peer.servedModelName(), r.path("model").asText());

        JsonNode tokens = choice.path("logprobs").path("content");
        StringBuilder joined = new StringBuilder();
        for (JsonNode t : tokens) {
            joined.append(t.path("token").asText());
            assertTrue(t.path("logprob").asDouble() <= 0, t.toString());
            assertEquals(t.path("token").asText(), utf8(t.path("bytes")), "bytes are the token's UTF-8");
            assertEquals(3, t.path("top_logprobs").size());
            // greedy: the chosen token is the most likely one
            assertEquals(t.path("token").asText(), t.path("top_logprobs").get(0).path("token").asText());
            assertEquals(t.path("logprob").asDouble(), t.path("top_logprobs").get(0).path("logprob").asDouble(), 1e-9);
        }
        assertEquals(content, joined.toString(), "logprobs tokens concatenate to the message");
        JsonNode usage = r.path("usage");
        assertEquals(tokens.size() + 1, usage.path("completion_tokens").asInt(), "generated tokens + the end token");
        assertEquals(usage.path("prompt_tokens").asInt() + usage.path("completion_tokens").asInt(), usage.path("total_tokens").asInt());
        assertTrue(r.path("prompt_logprobs").isNull());
    }

    /** The peer's decode is the reference model's: same images, same text as the committed reference decodes. */
    @Test
    void greedyDraftIsTheReferenceDecode() throws Exception {
        JsonNode fixture = JSON.readTree(REFERENCE.resolve("reference-decodes.json").toFile());
        for (JsonNode c : fixture.path("cases")) {
            ObjectNode req = request(png(REFERENCE.resolve(c.path("images").get(0).asText())),
                    png(REFERENCE.resolve(c.path("images").get(1).asText())));
            JsonNode r = ok(post(peer, req));
            String content = r.path("choices").get(0).path("message").path("content").asText();
            assertEquals(c.path("text").asText(), content.replace('\n', ' ').toLowerCase(java.util.Locale.ROOT),
                    c.path("study_id").asText());
            // token_ids include the start token; completion_tokens include the end token
            assertEquals(c.path("token_ids").size() - 1, r.path("usage").path("completion_tokens").asInt());
        }
    }

    @Test
    void blankImagesGiveADifferentDraftAndJpegIsAccepted() throws Exception {
        BufferedImage frontal = ImageIO.read(PHANTOMS.resolve("ph-23-000001_frontal.png").toFile());
        String real = content(ok(post(peer, request(encode(frontal, "png"), png(PHANTOMS.resolve("ph-23-000001_lateral.png"))))));
        String jpeg = content(ok(post(peer, request(encode(frontal, "jpeg"), png(PHANTOMS.resolve("ph-23-000001_lateral.png"))))));
        String blank = content(ok(post(peer, request(blank(512), blank(512)))));
        assertTrue(jpeg.startsWith("FINDINGS: ") && jpeg.contains("\nIMPRESSION: "), jpeg);
        assertNotEquals(real, blank, "the draft depends on the images");
    }

    @Test
    void honoursMaxTokensAndStopStrings() throws Exception {
        ObjectNode req = request(png(PHANTOMS.resolve("ph-23-000002_frontal.png")), png(PHANTOMS.resolve("ph-23-000002_lateral.png")));
        String full = content(ok(post(peer, req)));

        req.put("max_tokens", 5);
        JsonNode cut = ok(post(peer, req));
        assertEquals("length", cut.path("choices").get(0).path("finish_reason").asText());
        assertEquals(5, cut.path("usage").path("completion_tokens").asInt());
        assertTrue(full.startsWith(content(cut)), content(cut));

        req.remove("max_tokens");
        req.putArray("stop").add("IMPRESSION");
        JsonNode stopped = ok(post(peer, req));
        assertEquals(full.substring(0, full.indexOf("IMPRESSION")), content(stopped));
        assertEquals("stop", stopped.path("choices").get(0).path("finish_reason").asText());
        assertEquals("IMPRESSION", stopped.path("choices").get(0).path("stop_reason").asText());
    }

    /** Requests drafted at the same time get the same answers as one at a time (shared ONNX sessions, tokenizer). */
    @Test
    void concurrentRequestsGetTheSameDrafts() throws Exception {
        ObjectNode req = request(png(PHANTOMS.resolve("ph-23-000004_frontal.png")), png(PHANTOMS.resolve("ph-23-000004_lateral.png")));
        req.put("logprobs", true);
        JsonNode alone = ok(post(peer, req));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<HttpResponse<String>>> all = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                all.add(pool.submit(() -> post(peer, req)));
            }
            for (java.util.concurrent.Future<HttpResponse<String>> f : all) {
                JsonNode r = ok(f.get());
                assertEquals(content(alone), content(r));
                assertEquals(alone.path("choices").get(0).path("logprobs"), r.path("choices").get(0).path("logprobs"));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(9, peer.served(OpenAiPeer.Fault.NONE));
    }

    @Test
    void samplesReproduciblyWithASeedAndEchoesAContinuedMessage() throws Exception {
        BufferedImage colour = new BufferedImage(300, 200, BufferedImage.TYPE_INT_RGB);
        colour.getGraphics().drawImage(ImageIO.read(PHANTOMS.resolve("ph-23-000000_frontal.png").toFile()), 0, 0, 300, 200, null);
        ObjectNode req = request(encode(colour, "png"));
        req.put("temperature", 1.5).put("seed", 7);
        String a = content(ok(post(peer, req)));
        assertEquals(a, content(ok(post(peer, req))), "same seed, same sample");
        assertFalse(a.isEmpty());

        ObjectNode cont = request(png(PHANTOMS.resolve("ph-23-000000_frontal.png")));
        ((ArrayNode) cont.get("messages")).addObject().put("role", "assistant").put("content", "FINDINGS: The");
        cont.put("add_generation_prompt", false).put("continue_final_message", true).put("echo", true);
        String echoed = content(ok(post(peer, cont)));
        assertTrue(echoed.startsWith("FINDINGS: The "), echoed);
        assertTrue(echoed.length() > "FINDINGS: The ".length(), echoed);
    }

    // ---------------------------------------------------------------- shapes

    @Test
    void chatAnswerHasTheShapeOfTheOpenAiLogprobsExample() throws Exception {
        ObjectNode req = request(png(PHANTOMS.resolve("ph-23-000000_frontal.png")), png(PHANTOMS.resolve("ph-23-000000_lateral.png")));
        req.put("logprobs", true).put("top_logprobs", 2);
        JsonNode r = ok(post(peer, req));
        JsonNode openai = JSON.readTree(FIXTURES.resolve("openai-chat-logprobs-response.json").toFile());
        ((ObjectNode) openai.path("usage")).remove("completion_tokens_details"); // OpenAI-only, vLLM sends none
        List<String> problems = new ArrayList<>();
        sameShape("", openai, r, problems);
        assertEquals(List.of(), problems);
        assertEquals(2, r.path("choices").get(0).path("logprobs").path("content").get(0).path("top_logprobs").size());
    }

    @Test
    void modelsListHasTheVllmAndOpenAiShape() throws Exception {
        HttpResponse<String> resp = get(peer, "/v1/models", null);
        assertEquals(200, resp.statusCode());
        JsonNode r = JSON.readTree(resp.body());
        List<String> problems = new ArrayList<>();
        sameShape("", JSON.readTree(FIXTURES.resolve("vllm-models-response.json").toFile()), r, problems);
        JsonNode openai = JSON.readTree(FIXTURES.resolve("openai-models-response.json").toFile());
        ((ObjectNode) openai.path("data").get(0)).remove("shutdown_date"); // OpenAI-only field
        sameShape("", openai, r, problems);
        assertEquals(List.of(), problems);
        assertEquals(peer.servedModelName(), r.path("data").get(0).path("id").asText());
    }

    /** The shape comparison the tests above rely on does catch a missing field, a wrong type and a lost token-id key. */
    @Test
    void shapeCheckCatchesWhatItShould() throws Exception {
        JsonNode fixture = JSON.readTree(FIXTURES.resolve("openai-chat-logprobs-response.json").toFile());
        ObjectNode broken = fixture.deepCopy();
        ObjectNode token = (ObjectNode) broken.path("choices").get(0).path("logprobs").path("content").get(0);
        token.remove("top_logprobs");
        token.put("logprob", "-0.3");
        List<String> problems = new ArrayList<>();
        sameShape("", fixture, broken, problems);
        assertEquals(List.of(".choices[0].logprobs.content[0].logprob: NUMBER expected, got STRING",
                ".choices[0].logprobs.content[0].top_logprobs: missing"), problems);

        JsonNode vllm = JSON.readTree(FIXTURES.resolve("vllm-chat-prompt-logprobs-response.json").toFile());
        ObjectNode renamed = vllm.deepCopy();
        ObjectNode position = (ObjectNode) renamed.path("prompt_logprobs").get(1);
        position.removeAll();
        position.putObject("token").put("logprob", -1.0);
        problems.clear();
        sameShape("", vllm, renamed, problems);
        assertEquals(List.of(".prompt_logprobs[1]: token-id keys expected"), problems);
    }

    // ---------------------------------------------------------------- prompt_logprobs

    /**
     * vLLM's prompt scoring: the draft as a final assistant message, continued not closed, scored
     * against the images. The real images explain their own draft better than blank ones do.
     */
    @Test
    void promptLogprobsScoreADraftAgainstTheImages() throws Exception {
        String frontal = png(PHANTOMS.resolve("ph-23-000003_frontal.png"));
        String lateral = png(PHANTOMS.resolve("ph-23-000003_lateral.png"));
        String draft = content(ok(post(peer, request(frontal, lateral))));

        JsonNode real = ok(post(peer, scoring(draft, 0, frontal, lateral)));
        JsonNode ablated = ok(post(peer, scoring(draft, 0, blank(512), blank(512))));

        JsonNode pl = real.path("prompt_logprobs");
        assertTrue(pl.get(0).isNull(), "the first prompt token has no logprob, as in vLLM");
        StringBuilder text = new StringBuilder();
        for (int i = 1; i < pl.size(); i++) {
            assertEquals(1, pl.get(i).size(), "prompt_logprobs 0: the prompt token only");
            JsonNode e = pl.get(i).elements().next();
            assertTrue(e.path("rank").asInt() >= 1);
            assertTrue(pl.get(i).fieldNames().next().matches("\\d+"), "keyed by token id");
            text.append(e.path("decoded_token").asText());
        }
        assertEquals(draft, text.toString(), "the trailing prompt tokens spell the draft");
        assertEquals(pl.size(), real.path("usage").path("prompt_tokens").asInt());
        double realMean = meanPromptLogprob(pl);
        double ablatedMean = meanPromptLogprob(ablated.path("prompt_logprobs"));
        assertTrue(realMean > ablatedMean + 0.1, "real " + realMean + " vs blank " + ablatedMean);

        List<String> problems = new ArrayList<>();
        sameShape("", JSON.readTree(FIXTURES.resolve("vllm-chat-prompt-logprobs-response.json").toFile()), real, problems);
        assertEquals(List.of(), problems);

        JsonNode two = ok(post(peer, scoring(draft, 2, frontal, lateral)));
        for (int i = 1; i < two.path("prompt_logprobs").size(); i++) {
            int n = two.path("prompt_logprobs").get(i).size();
            assertTrue(n == 2 || n == 3, "top-2 plus the prompt token when it is not among them: " + n);
        }
    }

    private static double meanPromptLogprob(JsonNode pl) {
        double s = 0;
        for (int i = 1; i < pl.size(); i++) {
            s += pl.get(i).elements().next().path("logprob").asDouble();
        }
        return s / (pl.size() - 1);
    }

    // ---------------------------------------------------------------- refusals of bad requests

    @Test
    void badRequestsGetVllmErrorBodies() throws Exception {
        String frontal = png(PHANTOMS.resolve("ph-23-000000_frontal.png"));
        JsonNode errorShape = JSON.readTree(FIXTURES.resolve("vllm-error-response.json").toFile());

        ObjectNode tooMany = request(frontal).put("logprobs", true).put("top_logprobs", 21);
        ObjectNode negative = request(frontal).put("prompt_logprobs", -1);
        ObjectNode both = request(frontal).put("continue_final_message", true);
        ObjectNode stringUrl = request(frontal);
        ((ObjectNode) stringUrl.path("messages").get(1).path("content").get(1)).put("image_url", "data:image/png;base64,AAAA");
        ObjectNode remoteUrl = request("https://example.org/cxr.png");
        ObjectNode threeImages = request(frontal, frontal, frontal);
        ObjectNode noMessages = request(frontal);
        noMessages.remove("messages");
        ObjectNode garbage = request("data:image/png;base64,bm90IGFuIGltYWdl");
        for (ObjectNode bad : List.of(tooMany, negative, both, stringUrl, remoteUrl, threeImages, noMessages, garbage)) {
            HttpResponse<String> resp = post(peer, bad);
            assertEquals(400, resp.statusCode(), resp.body());
            List<String> problems = new ArrayList<>();
            sameShape("", errorShape, JSON.readTree(resp.body()), problems);
            assertEquals(List.of(), problems, resp.body());
            assertEquals(400, JSON.readTree(resp.body()).path("error").path("code").asInt());
        }
        HttpResponse<String> unknown = post(peer, request(frontal).put("model", "gpt-4"));
        assertEquals(404, unknown.statusCode());
        assertEquals("The model `gpt-4` does not exist.", JSON.readTree(unknown.body()).path("error").path("message").asText());
        assertEquals(0, peer.served(OpenAiPeer.Fault.NONE), "refused requests are not counted as answered");
    }

    @Test
    void apiKeyIsCheckedOnV1Only() throws Exception {
        try (OpenAiPeer keyed = OpenAiPeer.start(OpenAiPeer.Options.of(OpenAiPeer.referenceModel()).withApiKey("s3cret"))) {
            HttpResponse<String> none = get(keyed, "/v1/models", null);
            HttpResponse<String> wrong = get(keyed, "/v1/models", "nope");
            HttpResponse<String> right = get(keyed, "/v1/models", "s3cret");
            assertEquals(401, none.statusCode());
            assertEquals(401, wrong.statusCode());
            assertEquals(JSON.readTree(FIXTURES.resolve("vllm-unauthorized-response.json").toFile()), JSON.readTree(wrong.body()));
            assertEquals(200, right.statusCode());
            assertEquals(200, HTTP.send(HttpRequest.newBuilder(URI.create(keyed.baseUrl() + "/_peer/state")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
        }
    }

    // ---------------------------------------------------------------- faults

    @ParameterizedTest
    @EnumSource(value = OpenAiPeer.Fault.class, names = {"STATUS_429", "STATUS_500", "STATUS_503"})
    void refusesWithStatusAndErrorBody(OpenAiPeer.Fault fault) throws Exception {
        peer.fault(fault).retryAfter(7);
        HttpResponse<String> resp = post(peer, request(png(PHANTOMS.resolve("ph-23-000000_frontal.png"))));
        int status = Integer.parseInt(fault.name().substring("STATUS_".length()));
        assertEquals(status, resp.statusCode());
        JsonNode body = JSON.readTree(resp.body());
        assertEquals(status, body.path("error").path("code").asInt());
        assertFalse(body.path("error").path("message").asText().isEmpty());
        if (fault != OpenAiPeer.Fault.STATUS_500) {
            assertEquals("7", resp.headers().firstValue("Retry-After").orElse(null));
        }
        assertEquals(status, get(peer, "/v1/models", null).statusCode(), "a refusing engine refuses /v1/models too");
        assertEquals(2, peer.served(fault));
        assertEquals(0, peer.served(OpenAiPeer.Fault.NONE));
    }

    @Test
    void errorStylesFollowTheirFixtures() throws Exception {
        String frontal = png(PHANTOMS.resolve("ph-23-000000_frontal.png"));
        for (Map.Entry<OpenAiPeer.ErrorStyle, String> e : Map.of(
                OpenAiPeer.ErrorStyle.VLLM_LEGACY, "vllm-legacy-error-response.json",
                OpenAiPeer.ErrorStyle.OPENAI, "openai-error-response.json").entrySet()) {
            peer.reset().errorStyle(e.getKey()).fault(OpenAiPeer.Fault.STATUS_429);
            HttpResponse<String> resp = post(peer, request(frontal));
            List<String> problems = new ArrayList<>();
            sameShape("", JSON.readTree(FIXTURES.resolve(e.getValue()).toFile()), JSON.readTree(resp.body()), problems);
            assertEquals(List.of(), problems, e.getKey() + ": " + resp.body());
        }
    }

    @Test
    void malformedJsonEmptyChoicesAndOmittedLogprobs() throws Exception {
        ObjectNode req = request(png(PHANTOMS.resolve("ph-23-000000_frontal.png"))).put("logprobs", true).put("prompt_logprobs", 0);

        peer.fault(OpenAiPeer.Fault.MALFORMED_JSON);
        HttpResponse<String> malformed = post(peer, req);
        assertEquals(200, malformed.statusCode());
        assertEquals("application/json", malformed.headers().firstValue("Content-Type").orElse(null));
        assertThrows(JsonProcessingException.class, () -> JSON.readTree(malformed.body()));

        peer.fault(OpenAiPeer.Fault.EMPTY_CHOICES);
        JsonNode empty = ok(post(peer, req));
        assertTrue(empty.path("choices").isArray() && empty.path("choices").isEmpty());

        peer.fault(OpenAiPeer.Fault.OMIT_LOGPROBS);
        JsonNode noLogprobs = ok(post(peer, req));
        assertTrue(noLogprobs.path("choices").get(0).path("logprobs").isNull());
        assertFalse(content(noLogprobs).isEmpty());

        peer.fault(OpenAiPeer.Fault.OMIT_PROMPT_LOGPROBS);
        JsonNode noPrompt = ok(post(peer, req));
        assertTrue(noPrompt.path("prompt_logprobs").isNull());
        assertFalse(noPrompt.path("choices").get(0).path("logprobs").isNull());

        peer.reset();
        JsonNode normal = ok(post(peer, req));
        assertFalse(normal.path("choices").get(0).path("logprobs").isNull());
        assertTrue(normal.path("prompt_logprobs").isArray());
        for (OpenAiPeer.Fault f : List.of(OpenAiPeer.Fault.MALFORMED_JSON, OpenAiPeer.Fault.EMPTY_CHOICES,
                OpenAiPeer.Fault.OMIT_LOGPROBS, OpenAiPeer.Fault.OMIT_PROMPT_LOGPROBS, OpenAiPeer.Fault.NONE)) {
            assertEquals(1, peer.served(f), f.name());
        }
    }

    @Test
    void dropsTheConnectionInTheMiddleOfTheAnswer() throws Exception {
        peer.fault(OpenAiPeer.Fault.DROP_CONNECTION);
        assertThrows(IOException.class, () -> post(peer, request(png(PHANTOMS.resolve("ph-23-000000_frontal.png")))));
        assertEquals(1, peer.served(OpenAiPeer.Fault.DROP_CONNECTION));
    }

    @Test
    void closesTheConnectionWithoutAnAnswer() throws Exception {
        peer.fault(OpenAiPeer.Fault.CLOSE_WITHOUT_ANSWER);
        assertThrows(IOException.class, () -> post(peer, request(png(PHANTOMS.resolve("ph-23-000000_frontal.png")))));
        assertEquals(1, peer.served(OpenAiPeer.Fault.CLOSE_WITHOUT_ANSWER));
        assertThrows(IOException.class, () -> get(peer, "/v1/models", null));
        // the JDK client retries an idempotent GET once on a closed connection
        assertTrue(peer.served(OpenAiPeer.Fault.CLOSE_WITHOUT_ANSWER) >= 2);
        peer.reset();
        assertEquals(200, get(peer, "/v1/models", null).statusCode());
    }

    @Test
    void slowAnswersOutlastAClientTimeout() throws Exception {
        peer.delay(Duration.ofMillis(400));
        assertEquals(200, post(peer, request(png(PHANTOMS.resolve("ph-23-000000_frontal.png")))).statusCode());
        assertTrue(peer.chatMillis().get(0) >= 400, "the delay is part of the engine's time: " + peer.chatMillis());
        peer.delay(Duration.ofMillis(1500));
        HttpRequest r = HttpRequest.newBuilder(URI.create(peer.baseUrl() + "/v1/models")).timeout(Duration.ofMillis(300)).build();
        assertThrows(HttpTimeoutException.class, () -> HTTP.send(r, HttpResponse.BodyHandlers.ofString()));
        peer.delay(Duration.ZERO);
        assertEquals(200, get(peer, "/v1/models", null).statusCode());
    }

    @Test
    void failsTheNextRequestsThenRecovers() throws Exception {
        ObjectNode req = request(png(PHANTOMS.resolve("ph-23-000000_frontal.png")));
        peer.failNext(2, OpenAiPeer.Fault.STATUS_503);
        assertEquals(503, post(peer, req).statusCode());
        assertEquals(503, post(peer, req).statusCode());
        assertEquals(200, post(peer, req).statusCode());
        assertEquals(2, peer.served(OpenAiPeer.Fault.STATUS_503));
        assertEquals(1, peer.served(OpenAiPeer.Fault.NONE));
    }

    @Test
    void controlEndpointSetsTheModeAndCounts() throws Exception {
        HttpResponse<String> set = HTTP.send(HttpRequest.newBuilder(URI.create(peer.baseUrl() + "/_peer/mode"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"fail_next\":1,\"fail_next_fault\":\"STATUS_429\",\"retry_after_s\":3}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, set.statusCode(), set.body());
        assertEquals(1, JSON.readTree(set.body()).path("fail_next").asInt());
        ObjectNode req = request(png(PHANTOMS.resolve("ph-23-000000_frontal.png")));
        HttpResponse<String> refused = post(peer, req);
        assertEquals(429, refused.statusCode());
        assertEquals("3", refused.headers().firstValue("Retry-After").orElse(null));
        assertEquals(200, post(peer, req).statusCode());
        JsonNode state = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(peer.baseUrl() + "/_peer/state")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        assertEquals(1, state.path("served").path("STATUS_429").asInt());
        assertEquals(1, state.path("served").path("NONE").asInt());
        assertEquals(1, state.path("chat_answered").asInt(), "only the 200 answer is timed");
        assertEquals(peer.chatMillis().get(0), state.path("chat_ms_p95").asDouble(), 1e-9);
        assertTrue(state.path("chat_ms_sum").asDouble() > 0);
        HttpResponse<String> unknown = HTTP.send(HttpRequest.newBuilder(URI.create(peer.baseUrl() + "/_peer/mode"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"fault\":\"EXPLODE\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, unknown.statusCode());
    }

    // ---------------------------------------------------------------- recording

    @Test
    void recordsEveryRequestInMemoryAndOnDisk(@TempDir Path dir) throws Exception {
        try (OpenAiPeer recording = OpenAiPeer.start(OpenAiPeer.Options.of(OpenAiPeer.referenceModel()).withRecordDir(dir))) {
            ObjectNode req = request(png(PHANTOMS.resolve("ph-23-000000_frontal.png")));
            ((ObjectNode) req.path("messages").get(1).path("content").get(0)).put("text", "Indication: cough MARKER-4711");
            assertEquals(200, HTTP.send(HttpRequest.newBuilder(URI.create(recording.baseUrl() + "/v1/chat/completions"))
                    .header("Content-Type", "application/json").header("X-Study", "internal-42")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(req))).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            get(recording, "/v1/models", null);

            List<OpenAiPeer.Recorded> seen = recording.requests();
            assertEquals(2, seen.size());
            assertEquals("POST", seen.get(0).method());
            assertEquals("/v1/chat/completions", seen.get(0).path());
            assertEquals(List.of("internal-42"), seen.get(0).headers().get("x-study"));
            assertTrue(seen.get(0).bodyText().contains("MARKER-4711"));
            assertEquals("Indication: cough MARKER-4711",
                    recording.chatRequests().get(0).path("messages").get(1).path("content").get(0).path("text").asText());
            List<Path> files;
            try (Stream<Path> s = Files.list(dir)) {
                files = s.sorted().toList();
            }
            assertEquals(2, files.size());
            String first = Files.readString(files.get(0));
            assertTrue(first.startsWith("POST /v1/chat/completions\n"), first.substring(0, 40));
            assertTrue(first.contains("MARKER-4711") && first.toLowerCase(java.util.Locale.ROOT).contains("x-study: internal-42"));
        }
    }

    // ---------------------------------------------------------------- separate process

    @Test
    void runsAsItsOwnProcess(@TempDir Path dir) throws Exception {
        try (OpenAiPeer.Launched p = OpenAiPeer.launch(dir.resolve("peer.log"), "--port", "0", "--model",
                OpenAiPeer.referenceModel().toString(), "--served-model-name", "google/medgemma-4b-it",
                "--record", dir.resolve("requests").toString())) {
            HttpResponse<String> models = HTTP.send(HttpRequest.newBuilder(URI.create(p.baseUrl() + "/v1/models")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals("google/medgemma-4b-it", JSON.readTree(models.body()).path("data").get(0).path("id").asText());
            HTTP.send(HttpRequest.newBuilder(URI.create(p.baseUrl() + "/_peer/mode"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"fault\":\"STATUS_503\"}")).build(), HttpResponse.BodyHandlers.ofString());
            ObjectNode req = request(png(PHANTOMS.resolve("ph-23-000000_frontal.png"))).put("model", "google/medgemma-4b-it");
            HttpResponse<String> refused = HTTP.send(HttpRequest.newBuilder(URI.create(p.baseUrl() + "/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(req))).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(503, refused.statusCode());
            try (Stream<Path> s = Files.list(dir.resolve("requests"))) {
                assertEquals(2, s.count());
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    /** System prompt, then a user turn with the drafting instruction and the images (frontal first). */
    static ObjectNode request(String... imageUrls) {
        ObjectNode req = JSON.createObjectNode();
        req.put("model", peer.servedModelName());
        ArrayNode messages = req.putArray("messages");
        messages.addObject().put("role", "system").put("content", "You are an expert radiologist.");
        ObjectNode user = messages.addObject().put("role", "user");
        ArrayNode content = user.putArray("content");
        content.addObject().put("type", "text").put("text", "Write the report as FINDINGS: ... IMPRESSION: ...");
        for (String url : imageUrls) {
            content.addObject().put("type", "image_url").putObject("image_url").put("url", url);
        }
        req.put("max_tokens", 300);
        req.put("temperature", 0);
        return req;
    }

    private static ObjectNode scoring(String draft, int k, String... imageUrls) {
        ObjectNode req = request(imageUrls);
        ((ArrayNode) req.get("messages")).addObject().put("role", "assistant").put("content", draft);
        req.put("add_generation_prompt", false);
        req.put("continue_final_message", true);
        req.put("prompt_logprobs", k);
        req.put("max_tokens", 1);
        return req;
    }

    static String png(Path file) throws IOException {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(file));
    }

    private static String encode(BufferedImage img, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, format, out), format);
        return "data:image/" + format + ";base64," + Base64.getEncoder().encodeToString(out.toByteArray());
    }

    private static String blank(int size) throws IOException {
        return encode(new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY), "png");
    }

    static HttpResponse<String> post(OpenAiPeer p, JsonNode body) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(p.baseUrl() + "/v1/chat/completions"))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(OpenAiPeer p, String path, String key) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(p.baseUrl() + path)).timeout(Duration.ofSeconds(30));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode ok(HttpResponse<String> resp) throws IOException {
        assertEquals(200, resp.statusCode(), resp.body());
        return JSON.readTree(resp.body());
    }

    private static String content(JsonNode r) {
        return r.path("choices").get(0).path("message").path("content").asText();
    }

    private static String utf8(JsonNode bytes) {
        byte[] b = new byte[bytes.size()];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) bytes.get(i).asInt();
        }
        return new String(b, StandardCharsets.UTF_8);
    }

    /**
     * Every field of {@code expected} is in {@code actual} with the same JSON type (null in the
     * fixture: any type; numbers: int and float alike); arrays compare their first elements, objects
     * keyed by token id compare their first entries.
     */
    static void sameShape(String at, JsonNode expected, JsonNode actual, List<String> problems) {
        if (expected.isNull()) {
            return;
        }
        if (actual == null || actual.isMissingNode()) {
            problems.add(at + ": missing");
            return;
        }
        if (expected.isNumber() ? !actual.isNumber() : expected.getNodeType() != actual.getNodeType()) {
            if (!actual.isNull()) {
                problems.add(at + ": " + expected.getNodeType() + " expected, got " + actual.getNodeType());
            }
            return;
        }
        if (expected.isArray()) {
            for (int i = 0; i < Math.min(2, Math.min(expected.size(), actual.size())); i++) {
                JsonNode e = expected.get(i);
                JsonNode a = actual.get(i);
                if (e.isNull() != a.isNull()) {
                    problems.add(at + "[" + i + "]: null in one, not in the other");
                } else {
                    sameShape(at + "[" + i + "]", e, a, problems);
                }
            }
        } else if (expected.isObject()) {
            Iterator<String> names = expected.fieldNames();
            while (names.hasNext()) {
                String n = names.next();
                if (n.matches("\\d+")) { // token id keys (prompt_logprobs): compare the first entry's shape
                    if (!actual.fieldNames().hasNext() || !actual.fieldNames().next().matches("\\d+")) {
                        problems.add(at + ": token-id keys expected");
                    } else {
                        sameShape(at + ".<id>", expected.get(n), actual.elements().next(), problems);
                    }
                    break;
                }
                sameShape(at + "." + n, expected.get(n), actual.get(n), problems);
            }
        }
    }
}
