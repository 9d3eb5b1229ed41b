package org.raddraft.inference.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class EndpointPoolTest {

    static RemoteSettings settings(List<URI> endpoints, Duration timeout, int maxConcurrent, int breakerFailures) {
        return new RemoteSettings(endpoints, null, timeout, Duration.ofSeconds(2), maxConcurrent, null, breakerFailures,
                Duration.ofSeconds(60), Duration.ofMillis(1), true, true, false, true);
    }

    private static EndpointPool.Exchange post(EndpointPool pool) throws Exception {
        return pool.post(ChatCompletion.PATH, JsonNodeFactory.instance.objectNode().put("model", "m"));
    }

    /** A port nothing listens on: connection refused. */
    static URI deadEndpoint() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return URI.create("http://127.0.0.1:" + s.getLocalPort());
        }
    }

    @Test
    void a503FromThePrimaryIsAnsweredByTheSecondary() throws Exception {
        try (TinyEngine primary = new TinyEngine(); TinyEngine secondary = new TinyEngine()) {
            primary.status = 503;
            primary.body = "{\"error\":{\"message\":\"overloaded\",\"type\":\"ServiceUnavailableError\",\"code\":503}}";
            EndpointPool pool = new EndpointPool(settings(List.of(primary.base(), secondary.base()), Duration.ofSeconds(5), 2, 3));
            EndpointPool.Exchange ex = post(pool);
            assertEquals(secondary.base().getPort(), Integer.parseInt(ex.endpoint().split(":")[1]));
            assertEquals(1, primary.calls.get());
        }
    }

    @Test
    void aSlowPrimaryTimesOutAndADeadOneIsSkipped() throws Exception {
        try (TinyEngine slow = new TinyEngine(); TinyEngine ok = new TinyEngine()) {
            slow.delayMs = 3000;
            EndpointPool pool = new EndpointPool(settings(List.of(deadEndpoint(), slow.base(), ok.base()),
                    Duration.ofSeconds(1), 2, 3));
            long t0 = System.nanoTime();
            EndpointPool.Exchange ex = post(pool);
            assertTrue(ex.endpoint().endsWith(":" + ok.base().getPort()), ex.endpoint());
            assertTrue((System.nanoTime() - t0) / 1e9 < 2.9, "gave up on the slow endpoint after its timeout");
        }
    }

    @Test
    void anEngineThatStallsInTheMiddleOfItsAnswerTimesOut() throws Exception {
        try (TinyEngine stalled = new TinyEngine(); TinyEngine ok = new TinyEngine()) {
            stalled.stallMs = 4000;
            EndpointPool pool = new EndpointPool(settings(List.of(stalled.base(), ok.base()), Duration.ofSeconds(1), 2, 3));
            long t0 = System.nanoTime();
            EndpointPool.Exchange ex = post(pool);
            assertTrue(ex.endpoint().endsWith(":" + ok.base().getPort()), ex.endpoint());
            assertTrue((System.nanoTime() - t0) / 1e9 < 3, "the whole answer is bounded by the timeout, not only its headers");
        }
    }

    @Test
    void everyEndpointDownIsEnginesUnavailableNamingEach() throws Exception {
        try (TinyEngine busy = new TinyEngine()) {
            busy.status = 429;
            EndpointPool pool = new EndpointPool(settings(List.of(deadEndpoint(), busy.base()), Duration.ofSeconds(2), 1, 3));
            EnginesUnavailable e = assertThrows(EnginesUnavailable.class, () -> post(pool));
            assertTrue(e.getMessage().contains("cannot connect") && e.getMessage().contains("HTTP 429"), e.getMessage());
        }
    }

    @Test
    void theBreakerOpensAfterConsecutiveFailuresAndSkipsTheEndpoint() throws Exception {
        try (TinyEngine flaky = new TinyEngine(); TinyEngine ok = new TinyEngine()) {
            flaky.status = 500;
            EndpointPool pool = new EndpointPool(settings(List.of(flaky.base(), ok.base()), Duration.ofSeconds(2), 1, 2));
            post(pool);
            post(pool);
            assertEquals("open", pool.states().values().iterator().next());
            post(pool);
            post(pool);
            assertEquals(2, flaky.calls.get(), "an open circuit sends nothing to the endpoint");
            assertEquals(4, ok.calls.get());
        }
    }

    @Test
    void aMalformedAnswerOrARefusedRequestFailsTheStudyNotTheEndpoint() throws Exception {
        try (TinyEngine engine = new TinyEngine(); TinyEngine other = new TinyEngine()) {
            EndpointPool pool = new EndpointPool(settings(List.of(engine.base(), other.base()), Duration.ofSeconds(2), 1, 1));
            engine.body = "{\"choices\": [";
            AnswerRefused e = assertThrows(AnswerRefused.class, () -> post(pool));
            assertTrue(e.getMessage().contains("not JSON"), e.getMessage());
            engine.status = 400;
            engine.body = "{\"error\":{\"message\":\"the prompt of Smith^John is too long\",\"type\":\"BadRequestError\",\"code\":400}}";
            AnswerRefused r = assertThrows(AnswerRefused.class, () -> post(pool));
            assertTrue(r.getMessage().contains("HTTP 400 BadRequestError"), r.getMessage());
            assertTrue(!r.getMessage().contains("Smith"), "the engine's message is never passed on: " + r.getMessage());
            assertEquals("closed", pool.states().values().iterator().next());
            assertEquals(0, other.calls.get());
        }
    }

    @Test
    void requestsInFlightPerEndpointAreBounded() throws Exception {
        try (TinyEngine engine = new TinyEngine()) {
            engine.delayMs = 150;
            EndpointPool pool = new EndpointPool(settings(List.of(engine.base()), Duration.ofSeconds(10), 2, 3));
            ExecutorService x = Executors.newFixedThreadPool(6);
            List<Future<EndpointPool.Exchange>> fs = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                fs.add(x.submit(() -> post(pool)));
            }
            long waited = 0;
            for (Future<EndpointPool.Exchange> f : fs) {
                waited += f.get().waitNanos();
            }
            x.shutdown();
            assertEquals(2, engine.maxInFlight.get());
            assertTrue(waited > 0, "requests beyond the bound waited for a slot");
        }
    }

    @Test
    void probeSaysWhichModelTheEngineServes() throws Exception {
        try (TinyEngine engine = new TinyEngine()) {
            EndpointPool pool = new EndpointPool(settings(List.of(engine.base(), deadEndpoint()), Duration.ofSeconds(2), 1, 1));
            List<String> states = new ArrayList<>(pool.probe("google/medgemma-4b-it").values());
            assertTrue(states.get(0).contains("serves [m], not 'google/medgemma-4b-it'"), states.get(0));
            assertTrue(states.get(1).startsWith("cannot connect"), states.get(1));
            assertEquals("OK", pool.probe("m").values().iterator().next());
        }
    }
}
