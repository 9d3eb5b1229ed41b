package org.raddraft.review;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Set;

/**
 * {@code POST /auth/session}: a person's account name and password (in the body only: form fields or
 * JSON {@code name}, {@code password}; never the query string, which ends up in logs) for a bearer
 * token, also set as an HttpOnly cookie for the review page ({@link SessionCookie}), with the CSRF
 * token its changes must carry and its idle timeout ({@code idle_timeout_s}, the page logs out after
 * as long without input). A browser request from another site is refused (login CSRF): its Origin
 * must be this server or one of {@code http.allowed-origins}. {@code GET /auth/session}: who the
 * caller is. {@code DELETE /auth/session}: ends the caller's session.
 */
public final class SessionServlet extends HttpServlet {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The largest login body read. */
    static final int MAX_BODY = 8192;

    private final transient Authenticator authenticator;
    private final SessionCookie cookie;
    private final transient ServletGuard guard;
    private final Set<String> allowedOrigins;

    /**
     * @param allowedOrigins origins besides this server's own allowed to post a login ({@code http.allowed-origins})
     */
    public SessionServlet(Authenticator authenticator, SessionCookie cookie, ServletGuard guard,
            Collection<String> allowedOrigins) {
        this.authenticator = authenticator;
        this.cookie = cookie;
        this.guard = guard;
        this.allowedOrigins = allowedOrigins.stream().map(SessionServlet::origin).filter(o -> o != null)
                .collect(java.util.stream.Collectors.toUnmodifiableSet());
    }

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        try {
            checkOrigin(req);
            if (req.getQueryString() != null) {
                throw new AccessDenied(400, "send the account name and password in the request body (form fields "
                        + "or a JSON object), never in the query string: URLs end up in logs");
            }
            byte[] raw = req.getInputStream().readNBytes(MAX_BODY + 1);
            if (raw.length > MAX_BODY) {
                throw new AccessDenied(400, "the login body is over " + MAX_BODY + " bytes");
            }
            String name;
            String password;
            String type = req.getContentType() == null ? "" : req.getContentType().toLowerCase(java.util.Locale.ROOT);
            if (type.startsWith("application/json")) {
                JsonNode body;
                try {
                    body = JSON.readTree(raw);
                } catch (IOException e) {
                    throw new AccessDenied(400, "the login body is not valid JSON; send {\"name\": ..., \"password\": ...}");
                }
                name = body == null || !body.path("name").isTextual() ? null : body.path("name").asText();
                password = body == null || !body.path("password").isTextual() ? null : body.path("password").asText();
            } else if (type.startsWith("application/x-www-form-urlencoded")) {
                Map<String, String> form = form(new String(raw, StandardCharsets.UTF_8));
                name = form.get("name");
                password = form.get("password");
            } else {
                throw new AccessDenied(400, "send the login as application/json or application/x-www-form-urlencoded");
            }
            if (name == null || name.isBlank() || password == null || password.isEmpty()) {
                throw new AccessDenied(400, "send the account's 'name' and 'password' (form fields or a JSON object)");
            }
            Authenticator.Session s = authenticator.login(name, password.toCharArray(), req.getRemoteAddr());
            long seconds = Duration.between(Instant.now(), s.expires()).toSeconds();
            resp.setHeader("Set-Cookie", cookie.set(req, s.token(), seconds));
            resp.setHeader("Cache-Control", "no-store");
            resp.setContentType("application/json");
            JSON.writeValue(resp.getOutputStream(), Map.of("access_token", s.token(), "token_type", "Bearer",
                    "expires_in", seconds, "idle_timeout_s", authenticator.sessionIdle().toSeconds(),
                    "name", s.principal().name(), "role", s.principal().role().code(),
                    "csrf_token", Tokens.csrf(s.token())));
        } catch (AccessDenied e) {
            OutcomeResponse.send(resp, e);
        } catch (SQLException e) {
            throw new IOException("login: database error", e);
        }
    }

    /**
     * Refuses a browser's cross-site login: an Origin (or, without one, Sec-Fetch-Site: cross-site)
     * that is neither this server as the browser addressed it (the Host header) nor an allowed origin.
     */
    void checkOrigin(HttpServletRequest req) throws AccessDenied {
        String origin = req.getHeader("Origin");
        if (origin == null) {
            if ("cross-site".equalsIgnoreCase(req.getHeader("Sec-Fetch-Site"))) {
                throw new AccessDenied(403, "a login from another site's page is refused");
            }
            return;
        }
        String o = origin(origin);
        String host = req.getHeader("Host");
        boolean own = o != null && host != null && (o.equals(origin("http://" + host)) || o.equals(origin("https://" + host)));
        if (!own && (o == null || !allowedOrigins.contains(o))) {
            throw new AccessDenied(403, "a login from origin '" + (origin.length() > 100 ? origin.substring(0, 100) : origin)
                    + "' is refused (login CSRF): log in from RadDraft's own page, or list that origin in "
                    + "http.allowed-origins");
        }
    }

    /** scheme://host:port in lower case with the port always written, or null when not an http(s) origin. */
    static String origin(String value) {
        try {
            java.net.URI u = new java.net.URI(value.strip());
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(java.util.Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null) {
                return null;
            }
            int port = u.getPort() != -1 ? u.getPort() : scheme.equals("https") ? 443 : 80;
            return scheme + "://" + u.getHost().toLowerCase(java.util.Locale.ROOT) + ":" + port;
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }

    private static Map<String, String> form(String body) {
        Map<String, String> out = new java.util.HashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                try {
                    out.putIfAbsent(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                } catch (IllegalArgumentException e) {
                    // a malformed %-escape: the field is missing, which the caller reports
                }
            }
        }
        return out;
    }

    /** Who the caller is (the review page resumes its session with this): name, role, csrf_token. */
    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!guard.allows(req, resp, AccessPolicy.session("GET"))) {
            return;
        }
        Principal p = (Principal) req.getAttribute(AuthFilter.PRINCIPAL);
        String token = AuthFilter.credentials(req, cookie).substring(7).trim();
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentType("application/json");
        JSON.writeValue(resp.getOutputStream(), Map.of("name", p.name(), "role", p.role().code(), "via", p.via(),
                "csrf_token", p.via().equals("session") ? Tokens.csrf(token) : "",
                "idle_timeout_s", p.via().equals("session") ? authenticator.sessionIdle().toSeconds() : 0));
    }

    @Override
    protected void doDelete(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!guard.allows(req, resp, AccessPolicy.session("DELETE"))) {
            return;
        }
        String credentials = AuthFilter.credentials(req, cookie);
        try {
            if (credentials != null && credentials.length() > 7) {
                authenticator.logout(credentials.substring(7).trim());
            }
        } catch (SQLException e) {
            throw new IOException("logout: database error", e);
        }
        resp.setHeader("Set-Cookie", cookie.clear(req));
        resp.setStatus(204);
    }
}
