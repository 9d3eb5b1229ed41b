package org.raddraft.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * STAND-IN for a remote inference engine (vLLM, TGI, Ollama, NIM serving MedGemma-4B or Qwen2.5-VL),
 * which cannot run on these machines: no GPU, no Python package index, no model hub. Test code only.
 *
 * <p>It speaks the OpenAI chat-completions schema in vLLM's dialect, as documented by
 * {@code vllm/entrypoints/openai/chat_completion/protocol.py} and OpenAI's {@code openapi.yaml}
 * (verbatim examples in {@code src/test/resources/openai/}, sources in the README there):
 * {@code GET /v1/models}; {@code POST /v1/chat/completions} with {@code image_url} data URLs (PNG or
 * JPEG), {@code logprobs} / {@code top_logprobs}, vLLM's {@code prompt_logprobs},
 * {@code continue_final_message}, {@code add_generation_prompt}, {@code echo}, {@code max_tokens} /
 * {@code max_completion_tokens}, {@code temperature} (0 = greedy), {@code seed}, {@code stop};
 * vLLM's error bodies; vLLM's {@code --api-key} check (401 {@code {"error":"Unauthorized"}}).
 *
 * <p>Answers are real: it drafts with the bundled reference model ({@link PeerEngine}) from the
 * request's images, so the same study gives the same draft as the in-process backend, blank images
 * give a different draft, and {@code prompt_logprobs} score a given draft against given images.
 *
 * What it cannot be: the reference model reads no prompt text (instructions, indication and prior
 * report are recorded, not used) and takes two views (first image frontal, second lateral).
 *
 * <p>Faults, set from a test ({@link #fault}, {@link #delay}, {@link #failNext}) or, for the
 * separate-process form ({@link #main}), by {@code POST /_peer/mode}: be slow, refuse (429 with
 * Retry-After, 500, 503 with an error body), answer malformed JSON or no choice, drop the connection
 * in the middle of the answer or close it without one, omit {@code logprobs} or
 * {@code prompt_logprobs}; fail the next K requests, then recover. Every request is recorded
 * (headers and raw body) in memory and, when asked, to a directory, so a de-identification test can
 * search what left RadDraft.
 *
 * <p>Served by Jetty (the daemon's own HTTP server, whose core API can close the socket in the middle
 * of an answer) on 127.0.0.1 only. Not implemented (answered 400, saying so): {@code stream},
 * {@code n > 1}, remote image URLs; {@code tools} and other sampling fields are ignored.
 */
public final class OpenAiPeer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OpenAiPeer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** vLLM's default {@code --max-logprobs}. */
    static final int MAX_LOGPROBS = 20;

    /** How the peer answers a request, besides a delay. */
    public enum Fault {
        /** A correct answer. */
        NONE,
        /** 429 with {@code Retry-After} and an error body (a gateway's rate limit). */
        STATUS_429,
        /** 500 with an error body. */
        STATUS_500,
        /** 503 with an error body (engine overloaded, loading or dead). */
        STATUS_503,
        /** 200, {@code application/json}, a body that is not JSON (cut off in the middle). */
        MALFORMED_JSON,
        /** 200 with {@code "choices": []}. */
        EMPTY_CHOICES,
        /** Headers and half of the body sent, then the connection closed. */
        DROP_CONNECTION,
        /** The request read, then the connection closed without a status line (a crashed engine or proxy). */
        CLOSE_WITHOUT_ANSWER,
        /** A correct answer with {@code "logprobs": null} although they were asked for. */
        OMIT_LOGPROBS,
        /** A correct answer without {@code prompt_logprobs} (an engine that ignores the vLLM extension). */
        OMIT_PROMPT_LOGPROBS;

        boolean isStatus() {
            return this == STATUS_429 || this == STATUS_500 || this == STATUS_503;
        }
    }

    /** The error body dialect. */
    public enum ErrorStyle {
        /** vLLM today: {@code {"error":{"message","type","param","code":<http status int>}}}. */
        VLLM,
        /** vLLM up to 0.9: {@code {"object":"error","message","type","param","code":<int>}}. */
        VLLM_LEGACY,
        /** OpenAI: {@code {"error":{"message","type","param","code":<string or null>}}}. */
        OPENAI
    }

    /** One request as it arrived: method, path with query, headers, raw body. */
    public record Recorded(Instant at, String method, String path, Map<String, List<String>> headers, byte[] body) {
        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** The whole request as text (request line, headers, body), what a grep for leaked values should search. */
        public String asText() {
            StringBuilder b = new StringBuilder(method).append(' ').append(path).append('\n');
            headers.forEach((k, v) -> v.forEach(x -> b.append(k).append(": ").append(x).append('\n')));
            return b.append('\n').append(bodyText()).toString();
        }
    }

    /** How to start a peer. */
    public record Options(Path modelDir, int port, String servedModelName, String apiKey, Path recordDir,
                          int maxConcurrent) {
        public static Options of(Path modelDir) {
            return new Options(modelDir, 0, "raddraft-reference-cxr", null, null,
                    Math.max(1, Runtime.getRuntime().availableProcessors()));
        }

        /** 0 = any free port. */
        public Options withPort(int p) {
            return new Options(modelDir, p, servedModelName, apiKey, recordDir, maxConcurrent);
        }

        /** The model id /v1/models lists and requests must name (vLLM's {@code --served-model-name}). */
        public Options withServedModelName(String n) {
            return new Options(modelDir, port, n, apiKey, recordDir, maxConcurrent);
        }

        /** Require {@code Authorization: Bearer <key>} on /v1 (vLLM's {@code --api-key}); null = no check. */
        public Options withApiKey(String k) {
            return new Options(modelDir, port, servedModelName, k, recordDir, maxConcurrent);
        }

        /** Also write every request to this directory, one file each. */
        public Options withRecordDir(Path d) {
            return new Options(modelDir, port, servedModelName, apiKey, d, maxConcurrent);
        }

        /** Requests drafted at the same time (an engine's batch); the rest queue. */
        public Options withMaxConcurrent(int n) {
            return new Options(modelDir, port, servedModelName, apiKey, recordDir, n);
        }
    }

    /** A request the peer refuses, with vLLM's status, error type and message. */
    private static final class Refusal extends Exception {
        final int status;
        final String type;
        final String param;

        Refusal(int status, String type, String param, String message) {
            super(message, null, false, false);
            this.status = status;
            this.type = type;
            this.param = param;
        }

        static Refusal bad(String param, String message) {
            return new Refusal(400, "BadRequestError", param, message);
        }
    }

    private final Options options;
    private final PeerEngine engine;
    private final Server server;
    private final ServerConnector connector;
    private final Semaphore slots;
    private final List<Recorded> recorded = new CopyOnWriteArrayList<>();
    private final AtomicInteger recordSeq = new AtomicInteger();
    private final Map<Fault, AtomicInteger> served = new EnumMap<>(Fault.class);
    /** Time from receipt to the answer's hand-over to Jetty, each 200 chat answer (delay included): the engine's share. */
    private final java.util.Queue<Long> chatNanos = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final AtomicLong created = new AtomicLong(System.currentTimeMillis() / 1000);

    private volatile Fault steady = Fault.NONE;
    private volatile long delayMillis;
    private volatile int retryAfterSeconds = 1;
    private volatile ErrorStyle errorStyle = ErrorStyle.VLLM;
    private final Object failLock = new Object();
    private int failRemaining;
    private Fault failFault = Fault.NONE;

    private OpenAiPeer(Options options, PeerEngine engine) throws IOException {
        this.options = options;
        this.engine = engine;
        for (Fault f : Fault.values()) {
            served.put(f, new AtomicInteger());
        }
        this.slots = new Semaphore(Math.max(1, options.maxConcurrent()), true);
        if (options.recordDir() != null) {
            Files.createDirectories(options.recordDir());
        }
        QueuedThreadPool threads = new QueuedThreadPool(256, 8);
        threads.setName("openai-peer");
        threads.setDaemon(true);
        this.server = new Server(threads);
        this.connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(options.port());
        // a "slow engine" may hold a request for minutes; Jetty's 30 s idle timeout must not be what ends it
        connector.setIdleTimeout(TimeUnit.MINUTES.toMillis(10));
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                // blocking on purpose, like an engine's request: delays and drafting hold this thread
                if (OpenAiPeer.this.handle(request, response)) {
                    callback.succeeded();
                } else {
                    callback.failed(new IOException("peer fault: connection dropped"));
                }
                return true;
            }
        });
        try {
            server.start();
        } catch (Exception e) {
            try {
                server.stop();
            } catch (Exception ignored) {
                // not started: nothing to stop
            }
            throw new IOException("openai-peer cannot listen on 127.0.0.1:" + options.port() + ": " + e.getMessage(), e);
        }
    }

    /** Starts a peer with the model in {@code options.modelDir()}. */
    public static OpenAiPeer start(Options options) throws IOException {
        PeerEngine engine = PeerEngine.load(options.modelDir());
        try {
            return new OpenAiPeer(options, engine);
        } catch (IOException | RuntimeException e) {
            engine.close();
            throw e;
        }
    }

    /** Starts a peer with the bundled reference model on a free port. */
    public static OpenAiPeer start() throws IOException {
        return start(Options.of(referenceModel()));
    }

    /** {@code models/reference-cxr} in the checkout (tests run in the project directory). */
    public static Path referenceModel() {
        return Path.of(System.getProperty("user.dir")).resolve("models/reference-cxr");
    }

    public int port() {
        return connector.getLocalPort();
    }

    /** {@code http://127.0.0.1:PORT} — a client appends {@code /v1/...}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port();
    }

    public String servedModelName() {
        return options.servedModelName();
    }

    // ---------------------------------------------------------------- faults (from the test)

    /** Answer every chat request this way from now on (and /v1/models too for status faults, drops and closes). */
    public OpenAiPeer fault(Fault f) {
        steady = f;
        return this;
    }

    /** Wait this long before answering any /v1 request. */
    public OpenAiPeer delay(Duration d) {
        delayMillis = d.toMillis();
        return this;
    }

    /** Answer the next {@code k} chat requests with {@code f}, then as before. */
    public OpenAiPeer failNext(int k, Fault f) {
        synchronized (failLock) {
            failRemaining = k;
            failFault = f;
        }
        return this;
    }

    /** {@code Retry-After} seconds sent with 429 (and 503). */
    public OpenAiPeer retryAfter(int seconds) {
        retryAfterSeconds = seconds;
        return this;
    }

    public OpenAiPeer errorStyle(ErrorStyle s) {
        errorStyle = s;
        return this;
    }

    /** No fault, no delay, nothing pending; counters and recordings stay. */
    public OpenAiPeer reset() {
        steady = Fault.NONE;
        delayMillis = 0;
        retryAfterSeconds = 1;
        errorStyle = ErrorStyle.VLLM;
        failNext(0, Fault.NONE);
        return this;
    }

    /** How many /v1 requests were answered in mode {@code f} ({@link Fault#NONE}: correct answers). */
    public int served(Fault f) {
        return served.get(f).get();
    }

    /** Every request received so far (control requests to /_peer excluded), oldest first. */
    public List<Recorded> requests() {
        return List.copyOf(recorded);
    }

    /** The JSON bodies of the chat-completion requests received so far. */
    public List<JsonNode> chatRequests() {
        List<JsonNode> out = new ArrayList<>();
        for (Recorded r : recorded) {
            if (r.path().startsWith("/v1/chat/completions")) {
                try {
                    out.add(JSON.readTree(r.body()));
                } catch (IOException e) {
                    out.add(NODES.textNode(r.bodyText()));
                }
            }
        }
        return out;
    }

    public void clearRequests() {
        recorded.clear();
    }

    /** Sets every {@link #served} counter back to 0 and forgets the answer times. */
    public void clearCounters() {
        served.values().forEach(n -> n.set(0));
        chatNanos.clear();
    }

    /**
     * Milliseconds from receipt until the answer is written, for every 200 chat completion so far
     * (delay included), oldest first: the engine's share of a draft, which a bench subtracts to get the
     * client's own overhead.
     */
    public List<Double> chatMillis() {
        List<Double> out = new ArrayList<>();
        chatNanos.forEach(n -> out.add(n / 1e6));
        return out;
    }

    private Fault take(boolean chat) {
        if (chat) {
            synchronized (failLock) {
                if (failRemaining > 0) {
                    failRemaining--;
                    return failFault;
                }
            }
            return steady;
        }
        Fault f = steady;
        return f.isStatus() || f == Fault.DROP_CONNECTION || f == Fault.CLOSE_WITHOUT_ANSWER ? f : Fault.NONE;
    }

    // ---------------------------------------------------------------- HTTP

    /** Answers one request; false when the connection was dropped on purpose. */
    private boolean handle(Request request, Response response) {
        long t0 = System.nanoTime();
        String path = request.getHttpURI().getPath();
        String method = request.getMethod();
        int status = 0;
        Fault fault = Fault.NONE;
        try {
            byte[] body;
            try (InputStream in = Request.asInputStream(request)) {
                body = in.readAllBytes();
            }
            if (path.startsWith("/_peer/")) {
                status = control(response, path, method, body);
                return true;
            }
            record(request, body);
            if (!path.startsWith("/v1/")) {
                status = send(response, 404, JSON.writeValueAsBytes(Map.of("detail", "Not Found")), Map.of());
                return true;
            }
            String key = options.apiKey();
            if (key != null && !("Bearer " + key).equals(request.getHeaders().get(HttpHeader.AUTHORIZATION))) {
                status = send(response, 401, JSON.writeValueAsBytes(Map.of("error", "Unauthorized")), Map.of());
                return true;
            }
            boolean chat = path.equals("/v1/chat/completions");
            boolean models = path.equals("/v1/models");
            if (!chat && !models) {
                status = send(response, 404, JSON.writeValueAsBytes(Map.of("detail", "Not Found")), Map.of());
                return true;
            }
            if (chat != "POST".equals(method) || models != "GET".equals(method)) {
                status = send(response, 405, JSON.writeValueAsBytes(Map.of("detail", "Method Not Allowed")), Map.of());
                return true;
            }
            fault = take(chat);
            long d = delayMillis;
            if (d > 0) {
                Thread.sleep(d);
            }
            if (fault == Fault.CLOSE_WITHOUT_ANSWER) {
                served.get(fault).incrementAndGet();
                request.getConnectionMetaData().getConnection().getEndPoint().close();
                return false;
            }
            if (fault.isStatus()) {
                // counted before the answer leaves, so a client that has it sees the count
                served.get(fault).incrementAndGet();
                status = refuse(response, fault);
                return true;
            }
            ObjectNode answer;
            try {
                answer = models ? models() : chat(body, fault);
            } catch (Refusal r) {
                status = sendError(response, r.status, r.type, r.param, r.getMessage(), Map.of());
                return true;
            }
            byte[] out = JSON.writeValueAsBytes(answer);
            // counted and timed before the answer leaves, so a client that has it sees both
            served.get(fault).incrementAndGet();
            if (chat) {
                chatNanos.add(System.nanoTime() - t0);
            }
            if (fault == Fault.DROP_CONNECTION) {
                status = 200;
                drop(request, response, out);
                return false;
            }
            status = send(response, 200, fault == Fault.MALFORMED_JSON ? java.util.Arrays.copyOf(out, out.length * 3 / 5) : out,
                    Map.of());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (IOException | RuntimeException e) {
            // the client went away, or the peer itself failed: answer 500 if nothing was sent yet
            LOG.warn("openai-peer {} {} failed: {}", method, path, e.toString());
            if (!response.isCommitted()) {
                try {
                    status = sendError(response, 500, "InternalServerError", null, "peer failure: " + e, Map.of());
                    return true;
                } catch (IOException ignored) {
                    // connection gone
                }
            }
            return false;
        } finally {
            long took = System.nanoTime() - t0;
            LOG.info("openai-peer {} {} -> {} fault={} {} ms", method, path, status, fault,
                    TimeUnit.NANOSECONDS.toMillis(took));
        }
    }

    private void record(Request request, byte[] body) {
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (HttpField f : request.getHeaders()) {
            headers.computeIfAbsent(f.getName(), k -> new ArrayList<>()).add(f.getValue());
        }
        String query = request.getHttpURI().getQuery();
        Recorded r = new Recorded(Instant.now(), request.getMethod(),
                request.getHttpURI().getPath() + (query == null ? "" : "?" + query), headers, body);
        recorded.add(r);
        if (options.recordDir() != null) {
            String name = String.format(Locale.ROOT, "%06d-%s.http", recordSeq.incrementAndGet(),
                    request.getMethod().toLowerCase(Locale.ROOT));
            try {
                Files.writeString(options.recordDir().resolve(name), r.asText());
            } catch (IOException e) {
                LOG.warn("openai-peer cannot record to {}: {}", options.recordDir(), e.toString());
            }
        }
    }

    private static int send(Response response, int status, byte[] body, Map<String, String> headers) throws IOException {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        headers.forEach((k, v) -> response.getHeaders().put(k, v));
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        try (Blocker.Callback cb = Blocker.callback()) {
            response.write(true, ByteBuffer.wrap(body), cb);
            cb.block();
        }
        return status;
    }

    /** Status line, headers (with the full Content-Length) and half of the body, then the socket closes. */
    private static void drop(Request request, Response response, byte[] body) throws IOException, InterruptedException {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        try (Blocker.Callback cb = Blocker.callback()) {
            response.write(false, ByteBuffer.wrap(body, 0, body.length / 2), cb);
            cb.block();
        }
        Thread.sleep(50);
        request.getConnectionMetaData().getConnection().getEndPoint().close();
    }

    private int refuse(Response response, Fault f) throws IOException {
        return switch (f) {
            case STATUS_429 -> sendError(response, 429, "RateLimitError", null,
                    "peer fault: too many requests, retry after " + retryAfterSeconds + " s",
                    Map.of("Retry-After", Integer.toString(retryAfterSeconds)));
            case STATUS_503 -> sendError(response, 503, "ServiceUnavailableError", null,
                    "peer fault: the engine is overloaded", Map.of("Retry-After", Integer.toString(retryAfterSeconds)));
            default -> sendError(response, 500, "InternalServerError", null, "peer fault: internal server error", Map.of());
        };
    }

    private int sendError(Response response, int status, String type, String param, String message,
                          Map<String, String> headers) throws IOException {
        return send(response, status, JSON.writeValueAsBytes(errorBody(errorStyle, status, type, param, message)), headers);
    }

    static ObjectNode errorBody(ErrorStyle style, int status, String type, String param, String message) {
        ObjectNode e = NODES.objectNode();
        switch (style) {
            case VLLM_LEGACY -> {
                e.put("object", "error");
                e.put("message", message);
                e.put("type", type);
                e.put("param", param);
                e.put("code", status);
                return e;
            }
            case OPENAI -> {
                e.put("message", message);
                e.put("type", openAiType(status));
                e.put("param", param);
                e.put("code", status == 429 ? "rate_limit_exceeded" : null);
            }
            default -> {
                e.put("message", message);
                e.put("type", type);
                e.put("param", param);
                e.put("code", status);
            }
        }
        ObjectNode root = NODES.objectNode();
        root.set("error", e);
        return root;
    }

    private static String openAiType(int status) {
        return switch (status) {
            case 429 -> "requests";
            case 400, 404 -> "invalid_request_error";
            default -> "server_error";
        };
    }

    // ---------------------------------------------------------------- control endpoint

    private int control(Response ex, String path, String method, byte[] body) throws IOException {
        if ("POST".equals(method) && path.equals("/_peer/mode")) {
            JsonNode m = body.length == 0 ? NODES.objectNode() : JSON.readTree(body);
            try {
                if (m.has("fault")) {
                    fault(Fault.valueOf(m.get("fault").asText()));
                }
                if (m.has("delay_ms")) {
                    delay(Duration.ofMillis(m.get("delay_ms").asLong()));
                }
                if (m.has("fail_next")) {
                    failNext(m.get("fail_next").asInt(), Fault.valueOf(m.path("fail_next_fault").asText("STATUS_503")));
                }
                if (m.has("retry_after_s")) {
                    retryAfter(m.get("retry_after_s").asInt());
                }
                if (m.has("error_style")) {
                    errorStyle(ErrorStyle.valueOf(m.get("error_style").asText()));
                }
            } catch (IllegalArgumentException e) {
                return send(ex, 400, JSON.writeValueAsBytes(Map.of("detail", "unknown value: " + e.getMessage())), Map.of());
            }
            return send(ex, 200, JSON.writeValueAsBytes(state()), Map.of());
        }
        if ("POST".equals(method) && path.equals("/_peer/reset")) {
            reset();
            return send(ex, 200, JSON.writeValueAsBytes(state()), Map.of());
        }
        if ("POST".equals(method) && path.equals("/_peer/clear")) {
            clearCounters();
            clearRequests();
            return send(ex, 200, JSON.writeValueAsBytes(state()), Map.of());
        }
        if ("GET".equals(method) && path.equals("/_peer/state")) {
            return send(ex, 200, JSON.writeValueAsBytes(state()), Map.of());
        }
        return send(ex, 404, JSON.writeValueAsBytes(Map.of("detail", "Not Found")), Map.of());
    }

    private ObjectNode state() {
        ObjectNode s = NODES.objectNode();
        s.put("fault", steady.name());
        s.put("delay_ms", delayMillis);
        synchronized (failLock) {
            s.put("fail_next", failRemaining);
            s.put("fail_next_fault", failFault.name());
        }
        s.put("retry_after_s", retryAfterSeconds);
        s.put("error_style", errorStyle.name());
        ObjectNode counts = s.putObject("served");
        served.forEach((f, n) -> counts.put(f.name(), n.get()));
        s.put("requests", recorded.size());
        List<Double> ms = chatMillis();
        ms.sort(null);
        s.put("chat_answered", ms.size());
        s.put("chat_ms_sum", ms.stream().mapToDouble(Double::doubleValue).sum());
        s.put("chat_ms_p50", percentile(ms, 50));
        s.put("chat_ms_p95", percentile(ms, 95));
        return s;
    }

    /** Nearest-rank percentile of sorted values; 0 when empty. */
    private static double percentile(List<Double> sorted, int p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }

    // ---------------------------------------------------------------- /v1/models

    private ObjectNode models() {
        ObjectNode list = NODES.objectNode();
        list.put("object", "list");
        ObjectNode card = list.putArray("data").addObject();
        card.put("id", options.servedModelName());
        card.put("object", "model");
        card.put("created", created.get());
        card.put("owned_by", "vllm");
        card.put("root", options.modelDir().toString());
        card.putNull("parent");
        card.put("max_model_len", engine.maxLength());
        ObjectNode perm = card.putArray("permission").addObject();
        perm.put("id", "modelperm-" + UUID.randomUUID().toString().replace("-", ""));
        perm.put("object", "model_permission");
        perm.put("created", created.get());
        perm.put("allow_create_engine", false);
        perm.put("allow_sampling", true);
        perm.put("allow_logprobs", true);
        perm.put("allow_search_indices", false);
        perm.put("allow_view", true);
        perm.put("allow_fine_tuning", false);
        perm.put("organization", "*");
        perm.putNull("group");
        perm.put("is_blocking", false);
        return list;
    }

    // ---------------------------------------------------------------- /v1/chat/completions

    private ObjectNode chat(byte[] body, Fault fault) throws Refusal, InterruptedException {
        JsonNode req;
        try {
            req = JSON.readTree(body);
        } catch (IOException e) {
            throw Refusal.bad(null, "Invalid JSON body: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : "unreadable"));
        }
        if (req == null || !req.isObject()) {
            throw Refusal.bad(null, "The request body must be a JSON object");
        }
        String model = req.path("model").asText(null);
        if (model != null && !model.equals(options.servedModelName())) {
            throw new Refusal(404, "NotFoundError", "model", "The model `" + model + "` does not exist.");
        }
        JsonNode messages = req.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw Refusal.bad("messages", "messages: Field required (a non-empty list)");
        }
        if (req.path("stream").asBoolean(false)) {
            throw Refusal.bad("stream", "the test peer does not implement streaming");
        }
        if (req.path("n").asInt(1) != 1) {
            throw Refusal.bad("n", "the test peer answers n=1 only");
        }
        boolean logprobs = req.path("logprobs").asBoolean(false);
        int top = req.path("top_logprobs").asInt(0);
        if (top < 0 || top > MAX_LOGPROBS) {
            throw Refusal.bad("top_logprobs", "top_logprobs must be between 0 and " + MAX_LOGPROBS + ", got " + top);
        }
        if (top > 0 && !logprobs) {
            throw Refusal.bad("top_logprobs", "when using `top_logprobs`, `logprobs` must be set to true.");
        }
        Integer promptTop = req.hasNonNull("prompt_logprobs") ? req.get("prompt_logprobs").asInt() : null;
        if (promptTop != null && (promptTop < 0 || promptTop > MAX_LOGPROBS)) {
            throw Refusal.bad("prompt_logprobs", "prompt_logprobs must be between 0 and " + MAX_LOGPROBS + ", got " + promptTop);
        }
        boolean addGenerationPrompt = req.path("add_generation_prompt").asBoolean(true);
        boolean continueFinal = req.path("continue_final_message").asBoolean(false);
        if (addGenerationPrompt && continueFinal) {
            throw Refusal.bad("continue_final_message",
                    "Cannot set both `continue_final_message` and `add_generation_prompt` to True.");
        }
        int maxTokens = req.hasNonNull("max_completion_tokens") ? req.get("max_completion_tokens").asInt()
                : req.hasNonNull("max_tokens") ? req.get("max_tokens").asInt() : 0;
        if ((req.hasNonNull("max_tokens") || req.hasNonNull("max_completion_tokens")) && maxTokens < 1) {
            throw Refusal.bad("max_tokens", "max_tokens must be at least 1, got " + maxTokens);
        }
        double temperature = req.path("temperature").asDouble(1.0);
        if (!req.hasNonNull("temperature")) {
            temperature = 1.0;
        }
        if (temperature < 0) {
            throw Refusal.bad("temperature", "temperature must be non-negative, got " + temperature);
        }
        List<String> stop = new ArrayList<>();
        JsonNode st = req.get("stop");
        if (st != null && st.isTextual()) {
            stop.add(st.asText());
        } else if (st != null && st.isArray()) {
            st.forEach(s -> stop.add(s.asText()));
        }
        Long seed = req.hasNonNull("seed") ? req.get("seed").asLong() : null;

        List<BufferedImage> images = new ArrayList<>();
        String lastRole = null;
        String lastText = "";
        for (JsonNode m : messages) {
            String role = m.path("role").asText(null);
            if (role == null || !List.of("system", "user", "assistant", "developer", "tool").contains(role)) {
                throw Refusal.bad("messages", "unknown message role '" + role + "'");
            }
            lastRole = role;
            lastText = text(m.get("content"), images);
        }
        if (images.size() > engine.views()) {
            throw Refusal.bad("messages", "At most " + engine.views() + " image(s) may be provided in one prompt.");
        }
        boolean assistantLast = "assistant".equals(lastRole);
        if (continueFinal && !assistantLast) {
            throw Refusal.bad("continue_final_message", "continue_final_message needs a final assistant message");
        }
        int[] prefix = assistantLast ? engine.tokenize(lastText) : new int[0];
        boolean endTurn = assistantLast && !continueFinal;
        int promptLen = 1 + prefix.length + (endTurn ? 1 : 0);
        if (promptLen >= engine.maxLength()) {
            throw Refusal.bad("messages", "This model's maximum context length is " + engine.maxLength()
                    + " tokens. However, your request has " + promptLen + " input tokens.");
        }
        PeerEngine.Sampling sampling = new PeerEngine.Sampling(maxTokens, temperature, seed, stop, logprobs ? top : 0);
        PeerEngine.Result r;
        slots.acquire();
        try {
            r = engine.run(engine.pixels(images), prefix, endTurn, continueFinal,
                    promptTop == null ? -1 : promptTop, sampling);
        } catch (ai.onnxruntime.OrtException e) {
            throw new Refusal(500, "InternalServerError", null, "engine failure: " + e.getMessage());
        } finally {
            slots.release();
        }
        return completion(r, logprobs, fault, req.path("echo").asBoolean(false) && assistantLast ? lastText : "");
    }

    /** Text of a message's content (string or parts); image parts are decoded into {@code images}. */
    private static String text(JsonNode content, List<BufferedImage> images) throws Refusal {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (!content.isArray()) {
            throw Refusal.bad("messages", "message content must be a string or a list of content parts");
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode part : content) {
            String type = part.path("type").asText();
            switch (type) {
                case "text" -> text.append(part.path("text").asText());
                case "image_url" -> images.add(image(part.get("image_url")));
                default -> throw Refusal.bad("messages", "unsupported content part type '" + type + "'");
            }
        }
        return text.toString();
    }

    private static BufferedImage image(JsonNode imageUrl) throws Refusal {
        if (imageUrl == null || !imageUrl.isObject() || !imageUrl.path("url").isTextual()) {
            throw Refusal.bad("messages", "image_url must be an object with a 'url' string");
        }
        String url = imageUrl.get("url").asText();
        if (!url.startsWith("data:")) {
            throw Refusal.bad("messages", "the test peer reaches no network: send images as data URLs");
        }
        int comma = url.indexOf(',');
        String meta = comma < 0 ? "" : url.substring(5, comma);
        if (comma < 0 || !meta.endsWith(";base64") || !(meta.startsWith("image/png") || meta.startsWith("image/jpeg"))) {
            throw Refusal.bad("messages", "image data URL must be data:image/png;base64,... or data:image/jpeg;base64,...");
        }
        BufferedImage img;
        try {
            img = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(url.substring(comma + 1))));
        } catch (IllegalArgumentException | IOException e) {
            throw Refusal.bad("messages", "Failed to load image: " + e.getMessage());
        }
        if (img == null) {
            throw Refusal.bad("messages", "Failed to load image: not a PNG or JPEG");
        }
        return img;
    }

    private ObjectNode completion(PeerEngine.Result r, boolean logprobs, Fault fault, String echo) {
        ObjectNode root = NODES.objectNode();
        root.put("id", "chatcmpl-" + UUID.randomUUID().toString().replace("-", ""));
        root.put("object", "chat.completion");
        root.put("created", System.currentTimeMillis() / 1000);
        root.put("model", options.servedModelName());
        ArrayNode choices = root.putArray("choices");
        if (fault != Fault.EMPTY_CHOICES) {
            ObjectNode c = choices.addObject();
            c.put("index", 0);
            ObjectNode msg = c.putObject("message");
            msg.put("role", "assistant");
            msg.put("content", echo + r.content());
            msg.putNull("refusal");
            msg.putNull("annotations");
            msg.putNull("audio");
            msg.putNull("function_call");
            msg.putArray("tool_calls");
            msg.putNull("reasoning");
            if (logprobs && fault != Fault.OMIT_LOGPROBS) {
                ArrayNode content = c.putObject("logprobs").putArray("content");
                for (PeerEngine.Position p : r.generated()) {
                    ObjectNode t = logprob(content.addObject(), p.token());
                    ArrayNode tops = t.putArray("top_logprobs");
                    p.top().forEach(a -> logprob(tops.addObject(), a));
                }
            } else {
                c.putNull("logprobs");
            }
            c.put("finish_reason", r.finishReason());
            if (r.stopReason() == null) {
                c.putNull("stop_reason");
            } else {
                c.put("stop_reason", r.stopReason());
            }
        }
        root.putNull("service_tier");
        root.putNull("system_fingerprint");
        int promptTokens = r.prompt() == null ? -1 : r.prompt().size();
        ObjectNode usage = root.putObject("usage");
        int pt = promptTokens >= 0 ? promptTokens : 0;
        usage.put("prompt_tokens", pt);
        usage.put("total_tokens", pt + r.completionTokens());
        usage.put("completion_tokens", r.completionTokens());
        usage.putNull("prompt_tokens_details");
        if (r.prompt() != null && fault != Fault.OMIT_PROMPT_LOGPROBS) {
            ArrayNode pl = root.putArray("prompt_logprobs");
            for (PeerEngine.Position p : r.prompt()) {
                if (p == null) {
                    pl.addNull();
                    continue;
                }
                ObjectNode d = pl.addObject();
                promptEntry(d, p.token());
                p.top().stream().filter(a -> a.id() != p.token().id()).forEach(a -> promptEntry(d, a));
            }
        } else {
            root.putNull("prompt_logprobs");
        }
        root.putNull("kv_transfer_params");
        return root;
    }

    private static ObjectNode logprob(ObjectNode n, PeerEngine.Candidate c) {
        n.put("token", c.text());
        n.put("logprob", clamp(c.logprob()));
        if (c.special()) {
            n.putNull("bytes");
        } else {
            ArrayNode b = n.putArray("bytes");
            for (byte x : c.bytes()) {
                b.add(x & 0xff);
            }
        }
        return n;
    }

    private static void promptEntry(ObjectNode d, PeerEngine.Candidate c) {
        ObjectNode e = d.putObject(Integer.toString(c.id()));
        e.put("logprob", clamp(c.logprob()));
        e.put("rank", c.rank());
        e.put("decoded_token", c.text());
    }

    /** vLLM sends -9999.0 for -inf (clamp_prompt_logprobs, ChatCompletionLogProb's default). */
    private static double clamp(double lp) {
        return Double.isInfinite(lp) || Double.isNaN(lp) ? -9999.0 : lp;
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            LOG.warn("openai-peer stop: {}", e.toString());
        }
        engine.close();
    }

    // ---------------------------------------------------------------- separate process

    /**
     * {@code java -cp target/test-classes:target/classes:target/lib/* org.raddraft.testing.OpenAiPeer
     * [--port N] [--model DIR] [--served-model-name NAME] [--api-key-env VAR] [--record DIR]
     * [--fault FAULT] [--delay-ms N] [--max-concurrent N]}; prints
     * {@code openai-peer listening on http://127.0.0.1:PORT model=NAME} when ready, runs until killed.
     * Faults change at run time through {@code POST /_peer/mode} with
     * {@code {"fault":"STATUS_503","delay_ms":0,"fail_next":3,"fail_next_fault":"STATUS_429","retry_after_s":2,"error_style":"VLLM"}};
     * {@code GET /_peer/state} shows the mode, the per-mode counters and the chat answer times
     * ({@code chat_answered}, {@code chat_ms_sum}, {@code chat_ms_p50}, {@code chat_ms_p95}); {@code POST /_peer/reset} clears
     * the mode, {@code POST /_peer/clear} the counters and recorded requests.
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                System.err.println("usage: OpenAiPeer [--port N] [--model DIR] [--served-model-name NAME] "
                        + "[--api-key-env VAR] [--record DIR] [--fault FAULT] [--delay-ms N] [--max-concurrent N]");
                System.exit(2);
            }
            a.put(args[i].substring(2), args[++i]);
        }
        Options o = Options.of(Path.of(a.getOrDefault("model", referenceModel().toString())))
                .withPort(Integer.parseInt(a.getOrDefault("port", "0")));
        if (a.containsKey("served-model-name")) {
            o = o.withServedModelName(a.get("served-model-name"));
        }
        if (a.containsKey("api-key-env")) {
            String k = System.getenv(a.get("api-key-env"));
            if (k == null || k.isEmpty()) {
                System.err.println("environment variable " + a.get("api-key-env") + " is not set");
                System.exit(2);
            }
            o = o.withApiKey(k);
        }
        if (a.containsKey("record")) {
            o = o.withRecordDir(Path.of(a.get("record")));
        }
        if (a.containsKey("max-concurrent")) {
            o = o.withMaxConcurrent(Integer.parseInt(a.get("max-concurrent")));
        }
        OpenAiPeer peer = start(o);
        peer.fault(Fault.valueOf(a.getOrDefault("fault", "NONE")));
        peer.delay(Duration.ofMillis(Long.parseLong(a.getOrDefault("delay-ms", "0"))));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            peer.close();
            stopped.countDown();
        }));
        System.out.println("openai-peer listening on " + peer.baseUrl() + " model=" + peer.servedModelName());
        System.out.flush();
        stopped.await();
    }

    /** A peer started as its own process ({@link #main}) by a test; {@link #close} kills it. */
    public record Launched(Process process, int port) implements AutoCloseable {
        public String baseUrl() {
            return "http://127.0.0.1:" + port;
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    /**
     * Starts {@link #main} in a new JVM with this JVM's class path, logging to {@code log}, and
     * waits (up to 60 s) until it listens.
     */
    public static Launched launch(Path log, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), OpenAiPeer.class.getName()));
        cmd.addAll(List.of(args));
        long from = Files.exists(log) ? Files.size(log) : 0;
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        java.util.regex.Pattern ready = java.util.regex.Pattern.compile("openai-peer listening on http://127\\.0\\.0\\.1:(\\d+)");
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("openai-peer exited with " + p.exitValue() + ":\n" + Files.readString(log));
            }
            java.util.regex.Matcher m = ready.matcher(Files.readString(log).substring((int) from));
            if (m.find()) {
                return new Launched(p, Integer.parseInt(m.group(1)));
            }
            Thread.sleep(100);
        }
        p.destroyForcibly().waitFor();
        throw new IllegalStateException("openai-peer did not start within 60 s:\n" + Files.readString(log));
    }

}
