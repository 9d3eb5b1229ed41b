package org.raddraft.ops;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.raddraft.ingest.StudyState;
import org.raddraft.store.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP port for operations: {@code /health/live}, {@code /health/ready} (and {@code /health},
 * the same with details) and {@code /metrics} in Prometheus text format.
 */
public final class OpsHttpServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OpsHttpServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Server server;
    private final PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<StudyState, Long> studyCounts = new ConcurrentHashMap<>();
    private final Database db;
    private final Health health;

    public OpsHttpServer(String bind, int port, Database db, Health health) {
        this.db = db;
        this.health = health;
        Metrics.addRegistry(prometheus);
        new JvmMemoryMetrics().bindTo(prometheus);
        new JvmThreadMetrics().bindTo(prometheus);
        for (StudyState s : StudyState.values()) {
            studyCounts.put(s, 0L);
            Gauge.builder("raddraft.studies", studyCounts, m -> m.get(s)).tag("state", s.name())
                    .description("studies by pipeline state").register(prometheus);
        }
        server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost(bind);
        connector.setPort(port);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                return route(request, response, callback);
            }
        });
    }

    public void start() throws Exception {
        server.start();
        log.info("HTTP on {}:{} (/health, /metrics)", ((ServerConnector) server.getConnectors()[0]).getHost(),
                port());
    }

    public int port() {
        return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
    }

    private boolean route(Request request, Response response, Callback callback) throws Exception {
        String path = Request.getPathInContext(request);
        switch (path) {
            case "/health/live" -> send(response, callback, HttpStatus.OK_200, "application/json",
                    "{\"status\":\"UP\"}");
            case "/health", "/health/ready" -> {
                Health.Report r = health.readiness();
                send(response, callback, r.ready() ? HttpStatus.OK_200 : HttpStatus.SERVICE_UNAVAILABLE_503,
                        "application/json", JSON.writeValueAsString(
                                Map.of("status", r.ready() ? "UP" : "DOWN", "checks", r.checks())));
            }
            case "/metrics" -> {
                refreshStudyCounts();
                send(response, callback, HttpStatus.OK_200, "text/plain; version=0.0.4; charset=utf-8",
                        prometheus.scrape());
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private void refreshStudyCounts() {
        try {
            studyCounts.putAll(StudyListing.countsByState(db));
        } catch (SQLException e) {
            log.warn("metrics: cannot count studies: {}", e.getMessage());
        }
    }

    private static void send(Response response, Callback callback, int status, String type, String body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        response.write(true, java.nio.ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
    }

    @Override
    public void close() throws Exception {
        server.stop();
        Metrics.removeRegistry(prometheus);
    }
}
