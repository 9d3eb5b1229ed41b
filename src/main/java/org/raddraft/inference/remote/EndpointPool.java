package org.raddraft.inference.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.raddraft.inference.InferenceException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine endpoints, tried in order. Each has a bounded number of requests in flight (the engine
 * batches them server-side) and a circuit breaker: after {@code breakerFailures} consecutive
 * failures (timeout, connection error, 429, 5xx, wrong API key) it is skipped for {@code breakerOpen},
 * then one trial request decides whether it is back. A failed request backs off with jitter and moves
 * to the next endpoint; when every endpoint failed or is open, {@link EnginesUnavailable}. Per endpoint,
 * latency, errors, in-flight requests and breaker state are Micrometer meters ({@code /metrics}).
 * Logs name endpoints (host:port), statuses and error types, never bodies (they can echo the prompt).
 */
public final class EndpointPool implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EndpointPool.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How often a request waiting for a free slot looks again. */
    private static final long SLOT_POLL_MS = 5;

    private final List<Endpoint> endpoints;
    private final RemoteSettings settings;
    private final HttpClient http;

    public EndpointPool(RemoteSettings settings) {
        this.settings = settings;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.connectTimeout()).followRedirects(HttpClient.Redirect.NEVER).build();
        List<Endpoint> eps = new ArrayList<>();
        for (URI u : settings.endpoints()) {
            eps.add(new Endpoint(u, settings.maxConcurrent()));
        }
        this.endpoints = List.copyOf(eps);
    }

    /**
     * One answered request.
     *
     * @param body        the engine's JSON answer (status 200)
     * @param endpoint    which endpoint answered (host:port)
     * @param engineNanos time from sending the request to the whole answer read
     * @param waitNanos   time spent waiting for a free slot and backing off after failures
     */
    public record Exchange(JsonNode body, String endpoint, long engineNanos, long waitNanos) {
    }

    /** POSTs {@code body} to {@code path} (e.g. /v1/chat/completions) of the first endpoint that answers. */
    public Exchange post(String path, JsonNode body) throws InferenceException {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new AnswerRefused("request could not be encoded: " + e.getClass().getSimpleName());
        }
        long waitStart = System.nanoTime();
        long waited = 0;
        Map<String, String> failures = new LinkedHashMap<>();
        int attempt = 0;
        long deadline = System.nanoTime() + settings.timeout().toNanos();
        while (failures.size() < endpoints.size()) {
            Endpoint e = acquire(failures, deadline);
            if (e == null) {
                for (Endpoint x : endpoints) {
                    failures.putIfAbsent(x.name, x.open() ? "circuit open after " + x.failures.get() + " failures"
                            : "all " + settings.maxConcurrent() + " slots busy for " + settings.timeout().toSeconds() + " s");
                }
                break;
            }
            waited += System.nanoTime() - waitStart;
            long t0 = System.nanoTime();
            String failure;
            try {
                HttpResponse<byte[]> r = exchange(HttpRequest.newBuilder(e.base.resolve(path))
                        .timeout(settings.timeout()).header("Content-Type", "application/json")
                        .headers(auth()).POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), settings.timeout());
                long took = System.nanoTime() - t0;
                e.latency.record(took, TimeUnit.NANOSECONDS);
                int status = r.statusCode();
                if (status == 200) {
                    JsonNode answer;
                    try {
                        answer = JSON.readTree(r.body());
                    } catch (IOException bad) {
                        e.error("malformed");
                        e.succeeded(); // the endpoint is up; its answer is the study's problem
                        throw new AnswerRefused("malformed answer from " + e.name + ": not JSON ("
                                + r.body().length + " bytes)");
                    }
                    if (answer == null || !answer.isObject()) {
                        e.error("malformed");
                        e.succeeded();
                        throw new AnswerRefused("malformed answer from " + e.name + ": not a JSON object");
                    }
                    e.succeeded();
                    return new Exchange(answer, e.name, took, waited);
                }
                String kind = status == 429 ? "http_429" : status >= 500 ? "http_5xx" : "http_4xx";
                e.error(kind);
                String what = "HTTP " + status + errorType(r.body()) + (status == 401 || status == 403
                        ? " (API key refused: set the environment variable named by remote.api-key-env)" : "");
                if (status >= 400 && status < 500 && status != 429 && status != 401 && status != 403
                        && status != 404 && status != 408) {
                    e.succeeded(); // the endpoint works; it refuses this request
                    throw new AnswerRefused("engine " + e.name + " refused the request: " + what);
                }
                failure = what;
            } catch (HttpConnectTimeoutException | ConnectException x) {
                failure = "cannot connect (" + x.getClass().getSimpleName() + ")";
                e.error("connection");
            } catch (HttpTimeoutException x) {
                failure = "no answer within " + settings.timeout().toSeconds() + " s";
                e.error("timeout");
            } catch (IOException x) {
                failure = "connection lost (" + x.getClass().getSimpleName() + ")";
                e.error("connection");
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
                throw new EnginesUnavailable("interrupted while waiting for " + e.name);
            } finally {
                e.slots.release();
                e.inFlight.decrementAndGet();
            }
            e.failed(settings.breakerFailures(), settings.breakerOpen());
            failures.put(e.name, failure);
            LOG.warn("remote endpoint {}: {}; {}", e.name, failure,
                    failures.size() < endpoints.size() ? "trying the next endpoint" : "no endpoint left");
            waitStart = System.nanoTime();
            if (failures.size() < endpoints.size()) {
                backoff(attempt++);
            }
        }
        throw new EnginesUnavailable("no drafting engine answered: " + String.join("; ", failures.entrySet().stream()
                .map(x -> x.getKey() + " " + x.getValue()).toList()));
    }

    /**
     * Sends and reads the whole answer within {@code limit}: the request timeout of java.net.http ends
     * at the response headers, and an engine that sends headers and then stalls or half a body must
     * not hold a drafting thread for ever.
     */
    private HttpResponse<byte[]> exchange(HttpRequest request, Duration limit) throws IOException, InterruptedException {
        java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> f =
                http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray());
        try {
            return f.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException t) {
            f.cancel(true);
            throw new HttpTimeoutException("no whole answer within " + limit.toSeconds() + " s");
        } catch (java.util.concurrent.ExecutionException x) {
            Throwable c = x.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            throw new IOException(c == null ? "exchange failed" : c.getClass().getSimpleName(), c);
        }
    }

    /** Pause after a failure: base x 2^attempt, x0.5..1.5 jitter, at most 8x base. */
    private void backoff(int attempt) {
        long base = settings.backoff().toMillis();
        if (base <= 0) {
            return;
        }
        long ms = (long) (Math.min(base << Math.min(attempt, 3), 8 * base) * (0.5 + ThreadLocalRandom.current().nextDouble()));
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The first endpoint in order, not yet tried, whose circuit lets a request through and that has a
     * free slot; waits for a slot while every usable endpoint is busy; null when none is usable or the
     * deadline passed.
     */
    private Endpoint acquire(Map<String, String> tried, long deadline) {
        while (true) {
            boolean usable = false;
            for (Endpoint e : endpoints) {
                if (tried.containsKey(e.name) || !e.admits()) {
                    continue;
                }
                usable = true;
                if (e.slots.tryAcquire()) {
                    if (!e.claimTrial()) {
                        e.slots.release();
                        continue;
                    }
                    e.inFlight.incrementAndGet();
                    return e;
                }
            }
            if (!usable || System.nanoTime() > deadline) {
                return null;
            }
            try {
                Thread.sleep(SLOT_POLL_MS);
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }

    private String[] auth() {
        return settings.apiKey() == null || settings.apiKey().isEmpty() ? new String[] {"Accept", "application/json"}
                : new String[] {"Accept", "application/json", "Authorization", "Bearer " + settings.apiKey()};
    }

    /** ": type" of an OpenAI / vLLM error body (never its message: it can echo the prompt). */
    static String errorType(byte[] body) {
        try {
            JsonNode n = JSON.readTree(body);
            JsonNode err = n.path("error");
            String type = err.isObject() ? err.path("type").asText("") : n.path("type").asText("");
            return type.isEmpty() || !type.matches("[\\w.-]{1,64}") ? "" : " " + type;
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** GET {base}/v1/models of each endpoint: what check-config and readiness say about it. */
    public Map<String, String> probe(String model) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Endpoint e : endpoints) {
            out.put(e.name, probe(e, model));
        }
        return out;
    }

    private String probe(Endpoint e, String model) {
        try {
            HttpResponse<byte[]> r = exchange(HttpRequest.newBuilder(e.base.resolve("/v1/models"))
                    .timeout(settings.connectTimeout().plusSeconds(5)).headers(auth()).GET().build(),
                    settings.connectTimeout().plusSeconds(5));
            if (r.statusCode() == 401 || r.statusCode() == 403) {
                return "HTTP " + r.statusCode() + ": the engine refuses the API key; set the environment variable "
                        + "named by remote.api-key-env to the key the engine was started with (--api-key)";
            }
            if (r.statusCode() != 200) {
                return "HTTP " + r.statusCode() + errorType(r.body()) + " from GET /v1/models; is this an "
                        + "OpenAI-compatible engine (vLLM, TGI, Ollama, llama.cpp server, NIM)?";
            }
            List<String> ids = new ArrayList<>();
            JSON.readTree(r.body()).path("data").forEach(d -> ids.add(d.path("id").asText()));
            if (!ids.contains(model)) {
                return "serves " + ids + ", not '" + model + "'; write one of those as remote.model (or the "
                        + "manifest's remote.model), or start the engine with --served-model-name " + model;
            }
            return "OK";
        } catch (HttpTimeoutException x) {
            return "no answer to GET /v1/models within " + (settings.connectTimeout().toSeconds() + 5) + " s";
        } catch (IOException x) {
            return "cannot connect (" + x.getClass().getSimpleName() + "); is the engine running and remote.endpoints right?";
        } catch (InterruptedException x) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** Endpoint -> closed / open / half-open, for readiness. */
    public Map<String, String> states() {
        Map<String, String> out = new LinkedHashMap<>();
        endpoints.forEach(e -> out.put(e.name, e.state()));
        return out;
    }

    /** True when at least one endpoint's circuit is not open. */
    public boolean anyAdmits() {
        return endpoints.stream().anyMatch(Endpoint::admits);
    }

    public int size() {
        return endpoints.size();
    }

    /** Requests in flight over every endpoint at most. */
    public int capacity() {
        return endpoints.size() * settings.maxConcurrent();
    }

    @Override
    public void close() {
        // java.net.http.HttpClient has no close() before Java 21; its threads are daemons
    }

    /** One base URL with its slots, breaker and meters. */
    private static final class Endpoint {
        final URI base;
        final String name;
        final Semaphore slots;
        final AtomicInteger failures = new AtomicInteger();
        final AtomicLong openUntil = new AtomicLong(); // nanoTime; 0 = closed
        final AtomicBoolean trialInFlight = new AtomicBoolean();
        final AtomicInteger inFlight = new AtomicInteger();
        final Timer latency;

        Endpoint(URI base, int maxConcurrent) {
            this.base = base;
            this.name = base.getHost() + ":" + (base.getPort() < 0 ? ("https".equals(base.getScheme()) ? 443 : 80) : base.getPort());
            this.slots = new Semaphore(maxConcurrent);
            this.latency = Timer.builder("raddraft.remote.latency").description("remote engine answer time per request")
                    .tag("endpoint", name).publishPercentileHistogram().register(Metrics.globalRegistry);
            for (String k : List.of("timeout", "connection", "http_429", "http_5xx", "http_4xx", "malformed")) {
                Metrics.counter("raddraft.remote.errors", "endpoint", name, "kind", k); // listed from the start, at 0
            }
            Gauge.builder("raddraft.remote.breaker", this, e -> switch (e.state()) {
                case "open" -> 2;
                case "half-open" -> 1;
                default -> 0;
            }).description("circuit breaker: 0 closed, 1 half-open (one trial request), 2 open (skipped)")
                    .tag("endpoint", name).register(Metrics.globalRegistry);
            Gauge.builder("raddraft.remote.in_flight", inFlight, AtomicInteger::get).tag("endpoint", name)
                    .register(Metrics.globalRegistry);
        }

        void error(String kind) {
            Counter c = Metrics.counter("raddraft.remote.errors", "endpoint", name, "kind", kind);
            c.increment();
        }

        String state() {
            long until = openUntil.get();
            if (until == 0) {
                return "closed";
            }
            return System.nanoTime() < until ? "open" : "half-open";
        }

        /** Closed, or half-open with no trial request in flight. */
        boolean admits() {
            String s = state();
            return s.equals("closed") || (s.equals("half-open") && !trialInFlight.get());
        }

        boolean open() {
            return state().equals("open");
        }

        /** Half-open: only one request goes through as the trial. */
        boolean claimTrial() {
            String s = state();
            return s.equals("closed") || (s.equals("half-open") && trialInFlight.compareAndSet(false, true));
        }

        void succeeded() {
            if (openUntil.get() != 0) {
                LOG.info("remote endpoint {} answers again: circuit closed", name);
            }
            failures.set(0);
            openUntil.set(0);
            trialInFlight.set(false);
        }

        void failed(int threshold, Duration open) {
            int n = failures.incrementAndGet();
            boolean trial = trialInFlight.getAndSet(false);
            if (trial || n >= threshold) {
                openUntil.set(Math.max(1, System.nanoTime() + open.toNanos()));
                LOG.warn("remote endpoint {}: circuit open for {} s after {} consecutive failure(s)", name,
                        open.toSeconds(), n);
            }
        }

        @Override
        public String toString() {
            return name + " " + state().toLowerCase(Locale.ROOT);
        }
    }
}
