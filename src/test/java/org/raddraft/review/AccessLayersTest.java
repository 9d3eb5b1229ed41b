package org.raddraft.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.fhir.FhirServer;
import org.raddraft.ops.HttpServer;
import org.raddraft.report.ReportLabeller;
import org.raddraft.store.Database;
import org.raddraft.testing.RawHttp;
import org.raddraft.ui.StudyImagesServlet;

/**
 * Each layer of the HTTP access checks on its own, on a real Jetty, HAPI server and H2 database, so
 * that removing any one check fails a test here even though the other layers would still refuse the
 * request end to end (HttpAttackIT): the path filter ({@link AuthFilter} on the routed path) without
 * the HAPI interceptor; the HAPI interceptor ({@link FhirAccessInterceptor}) and the servlet checks
 * ({@link ServletGuard}) without the path filter. For the latter two a stand-in filter puts the
 * principal named by the test header {@code X-Test-Account} on the request, as AuthFilter would; it
 * checks nothing.
 */
class AccessLayersTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    Database db;
    Authenticator auth;
    Users users;
    final AccessPolicy policy = new AccessPolicy(false);
    HttpServer http;
    RawHttp client;
    Map<String, String> tokens;
    long draft;

    @BeforeEach
    void open() throws Exception {
        db = ReviewDb.open(dir);
        auth = new Authenticator(db, Clock.systemUTC(), null, Duration.ofHours(8), Duration.ofMinutes(15));
        users = new Users(db, Clock.systemUTC());
        Actor cli = Actor.commandLine();
        users.add(cli, "dr-a", Role.RADIOLOGIST, List.of(), "a long enough pass".toCharArray());
        users.add(cli, "dr-b", Role.RADIOLOGIST, List.of(), "a long enough pass".toCharArray());
        users.add(cli, "adm", Role.ADMIN, List.of(), "a long enough pass".toCharArray());
        tokens = Map.of("dr-a", users.add(cli, "ris", Role.INTEGRATION, List.of(), null).token());
        draft = ReviewDb.draft(db, "1.2.826.0.1.3680043.2.1125.1", "Heart normal.", "Normal.");
    }

    @AfterEach
    void close() throws Exception {
        if (http != null) {
            http.close();
        }
        db.close();
    }

    /** Stand-in for AuthFilter (see the class comment): the principal of X-Test-Account, no check at all. */
    final class TestPrincipal extends HttpFilter {
        @Override
        protected void doFilter(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
                throws IOException, ServletException {
            String name = req.getHeader("X-Test-Account");
            if (name != null) {
                try (var c = db.connection()) {
                    Users.User u = Users.byName(c, name);
                    req.setAttribute(AuthFilter.PRINCIPAL, new Principal(u.id(), u.name(), u.role(), "test"));
                } catch (java.sql.SQLException e) {
                    throw new ServletException(e);
                }
            }
            chain.doFilter(req, resp);
        }
    }

    FhirServer fhir(boolean interceptor) {
        FhirServer fhir = new FhirServer(FhirContext.forR4Cached());
        fhir.registerProvider(new AuditEventProvider(db));
        fhir.registerProvider(new ReviewOperations(auth, new DraftReview(db, Clock.systemUTC(), (c, id, corr) -> { },
                ReportLabeller.withDefaultLexicon()), id -> new org.hl7.fhir.r4.model.DiagnosticReport()));
        if (interceptor) {
            fhir.registerInterceptor(new FhirAccessInterceptor(policy, auth));
        }
        fhir.bindPagesTo(AuthFilter::principalId);
        return fhir;
    }

    void start(HttpServer server) throws Exception {
        http = server;
        http.start();
        client = new RawHttp("127.0.0.1", http.port());
    }

    RawHttp.Response get(String path, String account) throws IOException {
        return client.send("GET", path, account == null ? Map.of() : Map.of("X-Test-Account", account), null);
    }

    // --- the path filter alone (no HAPI interceptor behind it) -------------------------------------------

    @Test
    void filterDecidesOnTheRoutedPathAndRefusesSecondReadings() throws Exception {
        start(new HttpServer("127.0.0.1", 0).servlet("/fhir/*", fhir(false))
                .filter(new AuthFilter(auth, policy, new ClientAddress(""), new SessionCookie(false)), "/*"));
        String ris = tokens.get("dr-a");
        Map<String, String> bearer = Map.of("Authorization", "Bearer " + ris);
        assertEquals(403, client.send("GET", "/fhir/AuditEvent", bearer, null).status());
        // today's main matched the raw URI: /fhir/%41uditEvent fell under the clinical rule and HAPI served it
        for (String variant : List.of("/fhir/%41uditEvent", "/fhir/%41%75ditEvent", "/fhir/./AuditEvent",
                "/fhir/x/../AuditEvent", "/fhir/AuditEvent;x=1", "/fhir/AuditEvent;jsessionid=1", "/fhir/%2541uditEvent",
                "/fhir/Audit%45vent", "/fhir//AuditEvent", "/fhir/%2e/AuditEvent")) {
            RawHttp.Response r = client.send("GET", variant, bearer, null);
            assertTrue(r.status() == 400 || r.status() == 403, variant + " -> " + r.status() + " " + r.body());
            assertEquals("OperationOutcome", JSON.readTree(r.body()).path("resourceType").asText(), variant + ": " + r.body());
        }
        // a query with a broken escape: 400 in RadDraft's words (was 500 "400: Bad query" from HAPI, issue 24 FuzzIT)
        for (String method : List.of("GET", "POST")) {
            RawHttp.Response r = client.send(method, "/fhir/DiagnosticReport?status=%ZZ", Map.of("Authorization",
                    "Bearer " + ris, "Content-Type", "application/fhir+json"), method.equals("POST") ? "{}" : null);
            assertEquals(400, r.status(), method + ": " + r.body());
            assertTrue(r.body().contains("query string refused"), r.body());
        }
        // the routed path, not a prefix of the raw one: /fhir/auditevent is still the admin's AuditEvent row
        assertEquals(403, client.send("GET", "/fhir/auditevent", bearer, null).status());
        assertEquals(405, client.send("TRACE", "/fhir/metadata", bearer, null).status());
        assertTrue(ReviewDb.count(db, "SELECT COUNT(*) FROM audit_event WHERE action = 'access-refused' AND user_name = 'ris' "
                + "AND detail LIKE '%FHIR AuditEvent%'") >= 2, "role refusals are audited with who and what");
        assertTrue(ReviewDb.count(db, "SELECT COUNT(*) FROM audit_event WHERE action = 'request-refused'") >= 1,
                "refused paths are audited (aggregated per address)");
    }

    @Test
    void routedPathRefusesEverySecondReadingJettyLetsThrough() {
        for (String raw : List.of("/fhir/./AuditEvent", "/fhir/x/../AuditEvent", "/fhir/.", "/fhir/AuditEvent;x",
                "/ui/studies//1", "/fhir\\AuditEvent", "/fhir/%41uditEvent", "/fhir/%2F", "/fhir/%2f", "/fhir/%5C",
                "/fhir/%2e%2e", "/fhir/%252F", "/fhir/%00", "/fhir/%3B", "/fhir/a b", "/fhir/%", "/fhir/%G1", "fhir")) {
            AccessDenied d = org.junit.jupiter.api.Assertions.assertThrows(AccessDenied.class, () -> RoutedPath.checkRaw(raw), raw);
            assertEquals(400, d.status());
        }
        for (String raw : List.of("/fhir/AuditEvent", "/fhir/DiagnosticReport/12/$approve", "/ui/studies/1.2.3/instances",
                "/fhir/DiagnosticReport%3Fx", "/fhir/DiagnosticReport/1/%24approve", "/health")) {
            org.junit.jupiter.api.Assertions.assertDoesNotThrow(() -> RoutedPath.checkRaw(raw), raw);
        }
    }

    @Test
    void policyTableOnRoutedPathsAndOnWhatHapiResolved() {
        assertEquals(java.util.Set.of(Role.ADMIN), policy.rule("GET", "/fhir/AuditEvent").roles());
        assertEquals(java.util.Set.of(Role.ADMIN), policy.rule("GET", "/fhir/auditEVENT/5").roles());
        assertEquals(java.util.Set.of(Role.ADMIN), policy.fhir("auditevent", null).roles());
        assertFalse(policy.rule("POST", "/fhir/DiagnosticReport/1/$approve").allows(Role.ADMIN));
        assertFalse(policy.fhir("DiagnosticReport", "approve").allows(Role.ADMIN));
        assertFalse(policy.fhir("diagnosticreport", "$APPROVE").allows(Role.ADMIN));
        assertFalse(policy.rule("GET", "/ui/studies/1/instances").anonymous());
        assertFalse(policy.rule("GET", "/ui/studies").anonymous());
        assertTrue(policy.rule("GET", "/ui/app.js").anonymous());
        assertFalse(policy.rule("GET", "/metrics").anonymous());
        assertTrue(policy.fhir(null, null).allows(Role.ADMIN), "paging links: every role, bound to the searcher");
        assertFalse(policy.fhir(null, "$transaction").allows(Role.ADMIN));
    }

    // --- the HAPI interceptor alone (no path filter in front) --------------------------------------------

    @Test
    void hapiInterceptorRefusesWhatTheRoleMayNotUseWhateverThePath() throws Exception {
        start(new HttpServer("127.0.0.1", 0).servlet("/fhir/*", fhir(true)).filter(new TestPrincipal(), "/*"));
        RawHttp.Response asRad = get("/fhir/AuditEvent", "dr-a");
        assertEquals(403, asRad.status(), asRad.body());
        assertTrue(asRad.body().contains("may not use FHIR AuditEvent"), asRad.body());
        assertEquals(403, get("/fhir/AuditEvent/1", "ris").status());
        assertEquals(401, get("/fhir/AuditEvent", null).status(), "no principal: the filter is not in front");
        RawHttp.Response asAdmin = get("/fhir/AuditEvent", "adm");
        assertEquals(200, asAdmin.status(), asAdmin.body());
        assertEquals(200, get("/fhir/metadata", "dr-a").status());

        String parameters = "{\"resourceType\":\"Parameters\"}";
        RawHttp.Response approve = client.send("POST", "/fhir/DiagnosticReport/" + draft + "/$approve",
                Map.of("X-Test-Account", "adm", "Content-Type", "application/fhir+json"), parameters);
        assertEquals(403, approve.status(), approve.body());
        assertTrue(approve.body().contains("may not use FHIR $approve"), approve.body());
        assertEquals("DRAFTED", ReviewDb.value(db, "SELECT state FROM draft WHERE id = ?", draft));
        assertTrue(ReviewDb.count(db, "SELECT COUNT(*) FROM audit_event WHERE action = 'access-refused' AND user_name = 'adm'") >= 1);
    }

    @Test
    void pagingLinksWorkOnlyForTheAccountThatSearched() throws Exception {
        start(new HttpServer("127.0.0.1", 0).servlet("/fhir/*", fhir(true)).filter(new TestPrincipal(), "/*"));
        for (int i = 0; i < 25; i++) {
            assertEquals(403, get("/fhir/AuditEvent", "dr-a").status()); // audit rows for more than one page
        }
        JsonNode bundle = JSON.readTree(get("/fhir/AuditEvent", "adm").body());
        String next = null;
        for (JsonNode link : bundle.path("link")) {
            if (link.path("relation").asText().equals("next")) {
                next = link.path("url").asText();
            }
        }
        assertTrue(next != null && next.contains("_getpages="), bundle.toString());
        String page = next.substring(next.indexOf("/fhir"));
        assertEquals(200, get(page, "adm").status(), "the searcher pages on");
        RawHttp.Response other = get(page, "dr-a");
        assertNotEquals(200, other.status(), other.body());
        assertEquals(410, other.status(), "as if the search did not exist: " + other.body());
    }

    // --- the servlet checks alone (no path filter in front) ---------------------------------------------

    @Test
    void studyImagesRefuseBeforeLookingAnythingUpAndTellNothing() throws Exception {
        ImageReadAudit images = new ImageReadAudit(db, new AuditLog(Clock.systemUTC()), Clock.systemUTC());
        start(new HttpServer("127.0.0.1", 0).servlet("/ui/studies/*",
                new StudyImagesServlet(db, dir.resolve("spool"), images, new ServletGuard(auth))).filter(new TestPrincipal(), "/*"));
        String existing = "/ui/studies/1.2.826.0.1.3680043.2.1125.1/instances";
        String missing = "/ui/studies/9.9.9/instances";
        for (String account : new String[] {null, "adm"}) {
            RawHttp.Response a = get(existing, account);
            RawHttp.Response b = get(missing, account);
            assertEquals(account == null ? 401 : 403, a.status(), a.body());
            assertEquals(a.status(), b.status());
            assertEquals(a.body(), b.body(), "an existing and a missing study are refused alike");
            RawHttp.Response img = get(existing + "/1.2.3/rendered?size=99999999", account);
            assertEquals(a.status(), img.status(), "refused before the parameters are even read: " + img.body());
        }
        assertEquals(0, ReviewDb.count(db, "SELECT COUNT(*) FROM audit_event WHERE action LIKE 'study-%'"),
                "nothing was read, so no read is audited");
        assertTrue(ReviewDb.count(db, "SELECT COUNT(*) FROM audit_event WHERE action = 'access-refused' AND user_name = 'adm'") >= 2);
        assertEquals(0, ReviewDb.count(db, "SELECT COUNT(*) FROM audit_event WHERE entity_id LIKE '%1.2.826.0.1%'"),
                "the trail names the refused path with {uid}, not the Study Instance UID");
        assertEquals(200, get(existing, "dr-a").status());
    }

    @Test
    void metricsBehindTheirGuardNeedAdminOrIntegrationEvenWithoutTheFilter() throws Exception {
        try (org.raddraft.ops.PrometheusMetrics metrics = new org.raddraft.ops.PrometheusMetrics(db)) {
            start(new HttpServer("127.0.0.1", 0).servlet("/metrics", new ServletGuard(auth).guard(metrics,
                    m -> policy.metrics())).filter(new TestPrincipal(), "/*"));
            assertEquals(401, get("/metrics", null).status());
            assertEquals(403, get("/metrics", "dr-a").status());
            assertEquals(200, get("/metrics", "ris").status());
            assertEquals(200, get("/metrics", "adm").status());
        }
    }

    @Test
    void sessionEndpointRefusesWithoutAPrincipalEvenWithoutTheFilter() throws Exception {
        start(new HttpServer("127.0.0.1", 0).servlet("/auth/session", new SessionServlet(auth, new SessionCookie(false),
                new ServletGuard(auth), List.of())).filter(new TestPrincipal(), "/*"));
        assertEquals(401, get("/auth/session", null).status());
        assertEquals(401, client.send("DELETE", "/auth/session", Map.of(), null).status());
    }

    // --- the admin monitoring page (issue 26) -------------------------------------------------------------

    org.raddraft.ui.MonitoringPage monitoringPage() {
        return new org.raddraft.ui.MonitoringPage(db, new org.raddraft.ops.ReviewMonitor(db, Clock.systemUTC(),
                new org.raddraft.ops.ReviewMonitor.Config(28, 10, 0.1, 20),
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry()), new ServletGuard(auth));
    }

    @Test
    void monitoringPageChecksTheAdminRoleItselfEvenWithoutTheFilter() throws Exception {
        start(new HttpServer("127.0.0.1", 0).servlet("/ui/admin/*", monitoringPage()).filter(new TestPrincipal(), "/*"));
        assertEquals(401, get("/ui/admin/monitoring", null).status());
        assertEquals(403, get("/ui/admin/monitoring", "dr-a").status());
        assertEquals(403, get("/ui/admin/monitoring", "ris").status());
        RawHttp.Response page = get("/ui/admin/monitoring", "adm");
        assertEquals(200, page.status(), page.body());
        assertTrue(page.body().contains("Review monitoring"), page.body());
        assertTrue(ReviewDb.count(db, "SELECT COUNT(*) FROM audit_event WHERE action = 'access-refused' AND user_name = 'dr-a'"
                + " AND detail LIKE '%admin pages%'") >= 1, "the refusal is audited");
    }

    @Test
    void filterKeepsTheAdminPagesFromOtherRolesOnTheRoutedPath() throws Exception {
        // the page behind the real filter, its own check bypassed: only the policy row protects it here
        jakarta.servlet.http.HttpServlet unguarded = new jakarta.servlet.http.HttpServlet() {
            @Override
            protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
                resp.getWriter().write("served");
            }
        };
        start(new HttpServer("127.0.0.1", 0).servlet("/ui/admin/*", unguarded).servlet("/ui/*", unguarded)
                .filter(new AuthFilter(auth, policy, new ClientAddress(""), new SessionCookie(false)), "/*"));
        String ris = tokens.get("dr-a");
        for (String path : List.of("/ui/admin/monitoring", "/ui/admin", "/ui/x/../admin/monitoring",
                "/ui/%61dmin/monitoring", "/ui//admin/monitoring")) {
            int status = client.send("GET", path, Map.of("Authorization", "Bearer " + ris), null).status();
            assertTrue(status == 403 || status == 400, path + " -> " + status);
            int anonymous = client.send("GET", path, Map.of(), null).status();
            assertTrue(anonymous == 401 || anonymous == 400, path + " anonymous -> " + anonymous);
        }
        assertEquals(AccessPolicy.ADMIN_PAGES, policy.rule("GET", "/ui/admin/monitoring"));
        assertEquals(200, client.send("GET", "/ui/", Map.of(), null).status(), "the review page's files stay open");
    }
}
