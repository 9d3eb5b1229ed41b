package org.raddraft.review;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * {@code POST /auth/session}: a person's account name and password (form fields or JSON
 * {@code name}, {@code password}) for a bearer token, also set as an HttpOnly cookie for the review
 * page, with the CSRF token its changes must carry and its idle timeout ({@code idle_timeout_s}, the
 * page logs out after as long without input). {@code GET /auth/session}: who the caller is.
 * {@code DELETE /auth/session}: ends the caller's session.
 */
public final class SessionServlet extends HttpServlet {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final transient Authenticator authenticator;

    public SessionServlet(Authenticator authenticator) {
        this.authenticator = authenticator;
    }

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String name;
        String password;
        if (req.getContentType() != null && req.getContentType().startsWith("application/json")) {
            JsonNode body = JSON.readTree(req.getInputStream());
            name = body.path("name").asText(null);
            password = body.path("password").asText(null);
        } else {
            name = req.getParameter("name");
            password = req.getParameter("password");
        }
        try {
            if (name == null || name.isBlank() || password == null || password.isEmpty()) {
                throw new AccessDenied(400, "send the account's 'name' and 'password' (form fields or a JSON object)");
            }
            Authenticator.Session s = authenticator.login(name, password.toCharArray(), req.getRemoteAddr());
            long seconds = Duration.between(Instant.now(), s.expires()).toSeconds();
            resp.setHeader("Set-Cookie", AuthFilter.SESSION_COOKIE + "=" + s.token() + "; Path=/; HttpOnly; SameSite=Strict"
                    + (req.isSecure() ? "; Secure" : "") + "; Max-Age=" + seconds);
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

    /** Who the caller is (the review page resumes its session with this): name, role, csrf_token. */
    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        Principal p = (Principal) req.getAttribute(AuthFilter.PRINCIPAL);
        String token = AuthFilter.credentials(req).substring(7).trim();
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentType("application/json");
        JSON.writeValue(resp.getOutputStream(), Map.of("name", p.name(), "role", p.role().code(), "via", p.via(),
                "csrf_token", p.via().equals("session") ? Tokens.csrf(token) : "",
                "idle_timeout_s", p.via().equals("session") ? authenticator.sessionIdle().toSeconds() : 0));
    }

    @Override
    protected void doDelete(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String credentials = AuthFilter.credentials(req);
        try {
            if (credentials != null && credentials.length() > 7) {
                authenticator.logout(credentials.substring(7).trim());
            }
        } catch (SQLException e) {
            throw new IOException("logout: database error", e);
        }
        resp.setHeader("Set-Cookie", AuthFilter.SESSION_COOKIE + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
        resp.setStatus(204);
    }
}
