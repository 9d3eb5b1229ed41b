package org.raddraft.review;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.sql.SQLException;

/**
 * In front of every servlet: which path the request is for ({@link RoutedPath}: the one Jetty routes
 * on; a path with a second reading is refused with 400), who is calling ({@link Authenticator}) and
 * whether their role may call it ({@link AccessPolicy}). 401 without or with bad credentials, 403 for
 * the wrong role or a cookie change without the CSRF token, all as OperationOutcome, and every
 * refusal audited (those before authentication aggregated per address). The principal goes on to the
 * servlets as a request attribute, on a request whose remote address is the client's
 * ({@link ClientAddress}, behind trusted proxies). The servlets and HAPI check the role again.
 */
public final class AuthFilter extends HttpFilter {

    /** Request attribute holding the {@link Principal}. */
    public static final String PRINCIPAL = Principal.class.getName();

    private final transient Authenticator authenticator;
    private final transient AccessPolicy policy;
    private final transient ClientAddress clients;
    private final SessionCookie cookie;

    public AuthFilter(Authenticator authenticator, AccessPolicy policy, ClientAddress clients, SessionCookie cookie) {
        this.authenticator = authenticator;
        this.policy = policy;
        this.clients = clients;
        this.cookie = cookie;
    }

    @Override
    protected void doFilter(HttpServletRequest original, HttpServletResponse resp, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest req = clients.wrap(original);
        String path;
        try {
            path = RoutedPath.of(req);
        } catch (AccessDenied e) {
            audited(() -> authenticator.refusedUnauthenticated(req.getRemoteAddr(), what(req, req.getRequestURI()),
                    e.getMessage()));
            if (e.status() == 405) {
                resp.setHeader("Allow", String.join(", ", RoutedPath.METHODS.stream().sorted().toList()));
            }
            OutcomeResponse.send(resp, e);
            return;
        }
        AccessPolicy.Rule rule = policy.rule(req.getMethod(), path);
        if (rule.anonymous()) {
            chain.doFilter(req, resp);
            return;
        }
        try {
            String credentials = credentials(req, cookie);
            Principal p = authenticator.authenticate(credentials, req.getRemoteAddr());
            String refusal = null;
            if (req.getHeader("Authorization") == null && !safe(req.getMethod())) {
                // the browser sent the cookie by itself: only our own page knows the CSRF token
                String csrf = req.getHeader("X-CSRF-Token");
                if (csrf == null || !csrf.equals(Tokens.csrf(credentials.substring(7)))) {
                    refusal = "a change with the session cookie needs the session's X-CSRF-Token header (the "
                            + "csrf_token of POST or GET /auth/session)";
                }
            }
            if (refusal == null && !rule.allows(p.role())) {
                refusal = "role " + p.role().code() + " may not use " + rule.endpoint() + " (" + req.getMethod() + " "
                        + path + "); it needs one of " + rule.roles().stream().map(Role::code).toList();
            }
            if (refusal != null) {
                String why = refusal;
                audited(() -> authenticator.refused(p, req.getHeader("X-Acting-For"), req.getRemoteAddr(),
                        "access-refused", "Request", what(req, path), why));
                throw new AccessDenied(403, refusal);
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

    private interface Audit {
        void run() throws SQLException;
    }

    private static void audited(Audit a) throws ServletException {
        try {
            a.run();
        } catch (SQLException e) {
            throw new ServletException("audit of a refused request: database error", e);
        }
    }

    /** The account id of a FHIR request's caller (what a stored search is bound to), or null. */
    public static Object principalId(ca.uhn.fhir.rest.api.server.RequestDetails rd) {
        return rd instanceof ca.uhn.fhir.rest.server.servlet.ServletRequestDetails s
                && s.getServletRequest().getAttribute(PRINCIPAL) instanceof Principal p ? p.userId() : null;
    }

    /**
     * What was asked for, for the audit trail: method and path, without the query (it may hold search
     * values) and with DICOM UIDs (of /ui/studies/...) as {@code {uid}}: the trail names studies by
     * internal id only.
     */
    static String what(HttpServletRequest req, String path) {
        return req.getMethod() + " " + DICOM_UID.matcher(path).replaceAll("{uid}");
    }

    private static final java.util.regex.Pattern DICOM_UID = java.util.regex.Pattern.compile("[0-9]+(\\.[0-9]+){3,}");

    private static boolean safe(String method) {
        return method.equals("GET") || method.equals("HEAD");
    }

    /** The Authorization header, or else the review page's session cookie as a bearer value. */
    static String credentials(HttpServletRequest req, SessionCookie cookie) {
        String header = req.getHeader("Authorization");
        if (header != null) {
            return header;
        }
        String token = cookie.token(req);
        return token == null ? null : "Bearer " + token;
    }
}
