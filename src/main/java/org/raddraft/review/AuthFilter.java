package org.raddraft.review;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.sql.SQLException;

/**
 * In front of every servlet: who is calling ({@link Authenticator}) and whether their role may call
 * this endpoint ({@link AccessPolicy}). 401 without or with bad credentials, 403 for the wrong role,
 * both as OperationOutcome. The principal goes on to the servlets as a request attribute.
 */
public final class AuthFilter extends HttpFilter {

    /** Request attribute holding the {@link Principal}. */
    public static final String PRINCIPAL = Principal.class.getName();
    /** The session cookie the login sets for the review page; changes with it also need X-CSRF-Token. */
    static final String SESSION_COOKIE = "raddraft_session";

    private final transient Authenticator authenticator;
    private final transient AccessPolicy policy;

    public AuthFilter(Authenticator authenticator, AccessPolicy policy) {
        this.authenticator = authenticator;
        this.policy = policy;
    }

    @Override
    protected void doFilter(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
            throws IOException, ServletException {
        String path = req.getRequestURI().substring(req.getContextPath().length());
        AccessPolicy.Rule rule = policy.rule(req.getMethod(), path);
        if (rule.anonymous()) {
            chain.doFilter(req, resp);
            return;
        }
        try {
            String credentials = credentials(req);
            if (credentials != null && req.getHeader("Authorization") == null && !safe(req.getMethod())) {
                // the browser sent the cookie by itself: only our own page knows the CSRF token
                String csrf = req.getHeader("X-CSRF-Token");
                if (csrf == null || !csrf.equals(Tokens.csrf(credentials.substring(7)))) {
                    throw new AccessDenied(403, "a change with the session cookie needs the session's X-CSRF-Token "
                            + "header (the csrf_token of POST or GET /auth/session)");
                }
            }
            Principal p = authenticator.authenticate(credentials, req.getRemoteAddr());
            if (!rule.roles().contains(p.role())) {
                throw new AccessDenied(403, "role " + p.role().code() + " may not use " + rule.endpoint() + " ("
                        + req.getMethod() + " " + path + "); it needs one of "
                        + rule.roles().stream().map(Role::code).toList());
            }
            req.setAttribute(PRINCIPAL, p);
        } catch (AccessDenied e) {
            OutcomeResponse.send(resp, e);
            return;
        } catch (SQLException e) {
            throw new ServletException("authentication: database error", e);
        }
        chain.doFilter(req, resp);
    }

    private static boolean safe(String method) {
        return method.equals("GET") || method.equals("HEAD");
    }

    /** The Authorization header, or else the review page's session cookie as a bearer value. */
    static String credentials(HttpServletRequest req) {
        String header = req.getHeader("Authorization");
        if (header != null || req.getCookies() == null) {
            return header;
        }
        for (Cookie c : req.getCookies()) {
            if (c.getName().equals(SESSION_COOKIE)) {
                return "Bearer " + c.getValue();
            }
        }
        return null;
    }
}
