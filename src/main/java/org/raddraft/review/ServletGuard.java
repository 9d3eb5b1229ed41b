package org.raddraft.review;

import jakarta.servlet.Servlet;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.sql.SQLException;
import java.util.function.Function;

/**
 * The second role check, where a servlet serves the resource: whatever path led the request there,
 * the principal {@link AuthFilter} set must have a role the servlet's own rule allows. Refusals are
 * 401 (no principal: the filter is missing or let the request through as anonymous) or 403, as
 * OperationOutcome, audited like the filter's, and sent before the servlet reads anything.
 */
public final class ServletGuard {

    private final Authenticator authenticator;

    public ServletGuard(Authenticator authenticator) {
        this.authenticator = authenticator;
    }

    /**
     * Whether the request may go on; if not, the refusal has been sent and audited.
     */
    public boolean allows(HttpServletRequest req, HttpServletResponse resp, AccessPolicy.Rule rule) throws IOException {
        if (rule.anonymous()) {
            return true;
        }
        Principal p = (Principal) req.getAttribute(AuthFilter.PRINCIPAL);
        try {
            if (p == null) {
                authenticator.refusedUnauthenticated(req.getRemoteAddr(), AuthFilter.what(req, path(req)),
                        "no authenticated caller reached " + rule.endpoint());
                OutcomeResponse.send(resp, new AccessDenied(401, "authentication required for " + rule.endpoint()));
                return false;
            }
            if (!rule.allows(p.role())) {
                String why = "role " + p.role().code() + " may not use " + rule.endpoint() + "; it needs one of "
                        + rule.roles().stream().map(Role::code).toList();
                authenticator.refused(p, req.getHeader("X-Acting-For"), req.getRemoteAddr(), "access-refused", "Request",
                        AuthFilter.what(req, path(req)), why);
                OutcomeResponse.send(resp, new AccessDenied(403, why));
                return false;
            }
            return true;
        } catch (SQLException e) {
            throw new IOException("audit of a refused request: database error", e);
        }
    }

    private static String path(HttpServletRequest req) {
        return req.getServletPath() + (req.getPathInfo() == null ? "" : req.getPathInfo());
    }

    /** {@code servlet} behind this guard with the rule for each request (by method), e.g. /metrics. */
    public HttpServlet guard(Servlet servlet, Function<String, AccessPolicy.Rule> rule) {
        return new HttpServlet() {
            @Override
            public void init(ServletConfig config) throws ServletException {
                super.init(config);
                servlet.init(config);
            }

            @Override
            protected void service(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
                if (allows(req, resp, rule.apply(req.getMethod()))) {
                    servlet.service(req, resp);
                }
            }

            @Override
            public void destroy() {
                servlet.destroy();
            }
        };
    }
}
