package org.raddraft.ui;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code /ui/*}: the review page's static files (HTML, CSS, JS from {@code src/main/resources/ui}),
 * a fixed list read once at start, so no request path ever reaches the file system. Every response
 * carries a strict Content-Security-Policy: scripts, styles, images and requests only from the daemon
 * itself, no inline script, no framing.
 */
public final class UiServlet extends HttpServlet {

    /** What the page may load: only its own origin, and no inline script or style. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
            + "img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            + "frame-ancestors 'none'";

    private static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "app.js", "text/javascript; charset=utf-8",
            "app.css", "text/css; charset=utf-8");

    private final Map<String, byte[]> content = new HashMap<>();

    @Override
    public void init() {
        FILES.keySet().forEach(name -> {
            try (InputStream in = UiServlet.class.getResourceAsStream("/ui/" + name)) {
                if (in == null) {
                    throw new IllegalStateException("ui/" + name + " missing from the classpath (the build is broken)");
                }
                content.put(name, in.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
        String path = req.getPathInfo();
        if (path == null) { // "/ui": relative links in the page need the trailing slash
            resp.sendRedirect(req.getContextPath() + "/ui/");
            return;
        }
        String name = path.equals("/") ? "index.html" : path.substring(1);
        byte[] body = content.get(name);
        securityHeaders(resp);
        if (body == null) {
            resp.sendError(HttpServletResponse.SC_NOT_FOUND, "no such file in the review page: " + name);
            return;
        }
        resp.setContentType(FILES.get(name));
        resp.setHeader("Cache-Control", "no-cache");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

    /** The headers every response of the page (and of its image and session endpoints) carries. */
    static void securityHeaders(HttpServletResponse resp) {
        resp.setHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setHeader("Referrer-Policy", "no-referrer");
        resp.setHeader("X-Frame-Options", "DENY");
    }
}
