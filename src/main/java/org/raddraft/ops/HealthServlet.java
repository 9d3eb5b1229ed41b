package org.raddraft.ops;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;

/**
 * {@code /health/live} (the process answers), {@code /health/ready} and {@code /health} (readiness with
 * the details of each check): 200 when UP, 503 when DOWN, JSON either way.
 */
public final class HealthServlet extends HttpServlet {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final transient Health health;

    public HealthServlet(Health health) {
        this.health = health;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = req.getPathInfo() == null ? "" : req.getPathInfo();
        resp.setContentType("application/json");
        switch (path) {
            case "/live" -> resp.getOutputStream().write("{\"status\":\"UP\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            case "", "/", "/ready" -> {
                Health.Report r = health.readiness();
                resp.setStatus(r.ready() ? 200 : 503);
                JSON.writeValue(resp.getOutputStream(), Map.of("status", r.ready() ? "UP" : "DOWN", "checks", r.checks()));
            }
            default -> resp.sendError(404, "no such health resource; use /health, /health/live or /health/ready");
        }
    }
}
