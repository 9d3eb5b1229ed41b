package org.raddraft.inference.remote;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for an OpenAI-compatible engine in unit tests (vLLM cannot run here): a JDK HTTP server
 * on localhost that answers /v1/chat/completions with a fixed body or a fault, and records every
 * request body. The full engine stand-in for integration tests is org.raddraft.testing.OpenAiPeer.
 */
final class TinyEngine implements AutoCloseable {

    static final String ANSWER = """
            {"id":"chatcmpl-1","object":"chat.completion","model":"m","choices":[{"index":0,
             "message":{"role":"assistant","content":"FINDINGS: Heart size is normal. No pleural effusion.\\nIMPRESSION: No acute disease."},
             "logprobs":{"content":[{"token":"FINDINGS: Heart size is normal.","logprob":-0.1},
               {"token":" No pleural effusion.","logprob":-0.3},{"token":"\\nIMPRESSION: No acute disease.","logprob":-0.2}]},
             "finish_reason":"stop"}]}""";

    volatile int status = 200;
    volatile String body = ANSWER;
    volatile long delayMs;
    /** Headers and a first part of the body at once, then nothing for this long (a stalled engine). */
    volatile long stallMs;
    final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();
    final List<String> requests = new CopyOnWriteArrayList<>();
    private final HttpServer server;

    TinyEngine() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/v1/", ex -> {
            int now = inFlight.incrementAndGet();
            maxInFlight.accumulateAndGet(now, Math::max);
            try {
                calls.incrementAndGet();
                requests.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                if (delayMs > 0) {
                    Thread.sleep(delayMs);
                }
                byte[] b = (ex.getRequestURI().getPath().equals("/v1/models")
                        ? "{\"object\":\"list\",\"data\":[{\"id\":\"m\",\"object\":\"model\"}]}" : body)
                        .getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.sendResponseHeaders(status, b.length);
                try (OutputStream o = ex.getResponseBody()) {
                    if (stallMs > 0) {
                        o.write(b, 0, b.length / 2);
                        o.flush();
                        Thread.sleep(stallMs);
                    }
                    o.write(b, stallMs > 0 ? b.length / 2 : 0, stallMs > 0 ? b.length - b.length / 2 : b.length);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inFlight.decrementAndGet();
                ex.close();
            }
        });
        server.start();
    }

    URI base() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
