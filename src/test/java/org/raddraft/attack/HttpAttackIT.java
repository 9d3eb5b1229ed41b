package org.raddraft.attack;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.Dcmtk;
import org.raddraft.testing.RawHttp;

/**
 * An attacker on the HTTP port of the real daemon process: every route, spelled every way we could
 * think of (percent-encoding of each letter, encoded and doubled separators, dot segments, path
 * parameters, backslashes, overlong UTF-8, double encoding, case), with every kind of caller
 * (anonymous, a made-up token, radiologist, integration, admin, a session cookie without the CSRF
 * token), other methods, another account's paging link, and floods of over-long and malformed logins.
 * The expected roles per route are this test's own copy of the access table, not the code's. After
 * each group: no request of a caller without the role got a 2xx or reached the resource, and the
 * daemon answers /health. Prints a table, each line prefixed {@code attack-http:}, and writes it to
 * target/attack-http.md. Requests go over a raw socket ({@link RawHttp}) so that nothing re-encodes them.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HttpAttackIT {

    static final ObjectMapper JSON = new ObjectMapper();
    /** What counts as refused: bad request, credentials, role, unknown, method, gone (paging), throttled. */
    static final Set<Integer> REFUSED = Set.of(400, 401, 403, 404, 405, 410, 429);

    @TempDir
    static Path tmp;
    static DaemonProcess daemon;
    static RawHttp raw;
    static Map<String, Map<String, String>> callers = new LinkedHashMap<>();
    static long draft;
    static String studyUid;
    static String sopUid;
    static final List<String> table = new ArrayList<>();
    static final List<String> failures = new ArrayList<>();

    /** A route as the access table names it: method, path, body, the callers allowed. */
    record Route(String group, String method, String path, String body, Set<String> allowed) {
    }

    @BeforeAll
    static void start() throws Exception {
        daemon = new DaemonProcess(tmp.resolve("home"), Map.of()).start();
        raw = new RawHttp("127.0.0.1", daemon.httpPort);
        String rad = daemon.newAccount("dr-a", "radiologist");
        String cookieSession = daemon.newAccount("dr-b", "radiologist");
        String ris = daemon.newAccount("ris", "integration", "--acts-for", "dr-a");
        String adm = daemon.newAccount("adm", "admin");
        callers.put("anonymous", Map.of());
        callers.put("invalid token", Map.of("Authorization", "Bearer rdk_this-token-was-never-issued"));
        callers.put("radiologist", Map.of("Authorization", "Bearer " + rad));
        callers.put("integration", Map.of("Authorization", "Bearer " + ris, "X-Acting-For", "dr-a"));
        callers.put("admin", Map.of("Authorization", "Bearer " + adm));
        callers.put("cookie-no-csrf", Map.of("Cookie", "raddraft_session=" + cookieSession));

        Path f = Files.createDirectories(tmp.resolve("push")).resolve("1.dcm");
        Files.copy(DaemonProcess.APP.resolve("testdata/demo/dicom/ph-23-000034/1-PA.dcm"), f);
        Dcmtk.ok("dcmodify", "-nb", "-gst", "-gse", "-gin", f);
        studyUid = Dcmtk.tag(f, "0020,000d");
        sopUid = Dcmtk.tag(f, "0008,0018");
        assertEquals(List.of(f), Dcmtk.storeAsIs(daemon.dicomPort, "PACS", List.of(f)));
        draft = await().atMost(180, SECONDS).pollInterval(500, MILLISECONDS).until(() -> {
            JsonNode b = JSON.readTree(raw.send("GET", "/fhir/DiagnosticReport?status=preliminary",
                    callers.get("radiologist"), null).body());
            return b.path("entry").size() == 0 ? null : b.path("entry").get(0).path("resource").path("id").asLong();
        }, id -> id != null);
    }

    @AfterAll
    static void stop() throws Exception {
        String header = "| group | requests | refused | unauthorised 200s |";
        StringBuilder md = new StringBuilder(header + "\n|---|---|---|---|\n");
        System.out.println("attack-http: " + header);
        for (String row : table) {
            System.out.println("attack-http: " + row);
            md.append(row).append('\n');
        }
        Files.writeString(DaemonProcess.APP.resolve("target/attack-http.md"), "HttpAttackIT against the daemon process "
                + "(refused = 400/401/403/404/405/410/429)\n\n" + md);
        if (daemon != null) {
            daemon.close();
        }
    }

    // --- the path variants ---------------------------------------------------------------------------

    /** The ways to spell {@code path} (a canonical path, maybe with a query) an attacker would try. */
    static List<String> variants(String path) {
        int q = path.indexOf('?');
        String p = q < 0 ? path : path.substring(0, q);
        String query = q < 0 ? "" : path.substring(q);
        Set<String> out = new LinkedHashSet<>();
        out.add(p);
        for (int i = 1; i < p.length(); i++) { // each letter percent-encoded, upper-case hex; a few in lower case
            char c = p.charAt(i);
            if (Character.isLetter(c)) {
                out.add(p.substring(0, i) + String.format("%%%02X", (int) c) + p.substring(i + 1));
                if (i < 8) {
                    out.add(p.substring(0, i) + String.format("%%%02x", (int) c) + p.substring(i + 1));
                }
            }
        }
        List<Integer> slashes = new ArrayList<>();
        for (int i = 1; i < p.length(); i++) {
            if (p.charAt(i) == '/') {
                slashes.add(i);
            }
        }
        for (int s : slashes) { // each separator spelled otherwise
            String a = p.substring(0, s);
            String b = p.substring(s + 1);
            for (String sep : List.of("%2F", "%2f", "%5C", "\\", "//", "/./", "/x/../", "/%2e/", "/%2E%2E/x/", ";x=1/",
                    "/;/", "%C0%AF", "%E0%80%AF", "%252F", "%EF%BC%8F", "/.%2e/")) {
                out.add(a + sep + b);
            }
        }
        String first = p.substring(1);
        for (String prefix : List.of("//", "/./", "/%2e/", "/x/../", "/..;/", "\\", "/%2F")) {
            out.add(prefix + first);
        }
        for (String suffix : List.of("/", "/.", "/..", ";jsessionid=0123456789ABCDEF", ";x=y", "%00", "%20", "%09", "#x",
                "%23x", "/%2e%2e", ".json", "%3B", "/;", "%C0%AE%C0%AE", "\u00c0\u00ae")) {
            out.add(p + suffix);
        }
        out.add(p.toUpperCase(Locale.ROOT));
        out.add(p.toLowerCase(Locale.ROOT));
        out.add("/" + first.substring(0, 1).toUpperCase(Locale.ROOT) + first.substring(1));
        out.add(p.replaceFirst("[A-Za-z]", "%2541")); // double encoding of a letter
        out.add(p.replace("/", "/%2e/").replaceFirst("^/%2e/", "/"));
        List<String> withQuery = new ArrayList<>();
        for (String v : out) {
            withQuery.add(v + query);
        }
        return withQuery;
    }

    static Set<String> roles(String... names) {
        return Set.of(names);
    }

    static List<Route> routes() throws Exception {
        String ui = "/ui/studies/" + studyUid + "/instances";
        String params = "{\"resourceType\":\"Parameters\"}";
        String reason = "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"reason\",\"valueString\":\"x\"}]}";
        String amend = "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"reason\",\"valueString\":\"x\"},"
                + "{\"name\":\"impression\",\"valueString\":\"y\"}]}";
        Set<String> clinical = roles("radiologist", "integration", "cookie-no-csrf");
        Set<String> decision = roles("radiologist", "integration");
        return List.of(
                new Route("/fhir/AuditEvent", "GET", "/fhir/AuditEvent", null, roles("admin")),
                new Route("/fhir/AuditEvent/{id}", "GET", "/fhir/AuditEvent/1", null, roles("admin")),
                new Route("/fhir/AuditEvent?query", "GET", "/fhir/AuditEvent?subtype=login", null, roles("admin")),
                new Route("$approve", "POST", "/fhir/DiagnosticReport/" + draft + "/$approve", params, decision),
                new Route("$reject", "POST", "/fhir/DiagnosticReport/" + draft + "/$reject", reason, decision),
                new Route("$amend", "POST", "/fhir/DiagnosticReport/" + draft + "/$amend", amend, decision),
                new Route("/fhir/DiagnosticReport/{id}", "GET", "/fhir/DiagnosticReport/" + draft, null, clinical),
                new Route("/fhir/DiagnosticReport?search", "GET", "/fhir/DiagnosticReport?status=preliminary", null, clinical),
                new Route("/fhir/DiagnosticReport/{id}/_history", "GET", "/fhir/DiagnosticReport/" + draft + "/_history",
                        null, clinical),
                new Route("/fhir/metadata", "GET", "/fhir/metadata", null, roles("radiologist", "integration", "admin",
                        "cookie-no-csrf")),
                new Route("/ui/studies/{uid}/instances", "GET", ui, null, clinical),
                new Route("/ui/studies/.../rendered", "GET", ui + "/" + sopUid + "/rendered?size=64", null, clinical),
                new Route("/metrics", "GET", "/metrics", null, roles("integration", "admin")),
                new Route("GET /auth/session", "GET", "/auth/session", null, roles("radiologist", "integration", "admin",
                        "cookie-no-csrf")),
                // ending a session: sent only by callers who may not (it would end the test's sessions)
                new Route("DELETE /auth/session", "DELETE", "/auth/session", null, roles("radiologist", "integration",
                        "admin")),
                new Route("/health", "GET", "/health", null, roles("anonymous", "invalid token", "radiologist",
                        "integration", "admin", "cookie-no-csrf")));
    }

    /** One request; counts it in the group's row and records it when a caller without the role got through. */
    static final class Group {
        final String name;
        int requests;
        int refused;
        int unauthorised200;

        Group(String name) {
            this.name = name;
        }

        RawHttp.Response send(String caller, String method, String target, Map<String, String> extra, String body,
                boolean allowed) throws Exception {
            Map<String, String> headers = new LinkedHashMap<>(callers.get(caller));
            headers.putAll(extra);
            if (body != null) {
                headers.putIfAbsent("Content-Type", "application/fhir+json");
            }
            RawHttp.Response r = raw.send(method, target, headers, body);
            requests++;
            if (REFUSED.contains(r.status())) {
                refused++;
            }
            if (!allowed) {
                if (r.status() >= 200 && r.status() < 300) {
                    unauthorised200++;
                    failures.add(name + ": " + caller + " " + method + " " + target + " -> " + r.status());
                } else if (!REFUSED.contains(r.status())) {
                    failures.add(name + ": " + caller + " " + method + " " + target + " reached the resource -> "
                            + r.status() + " " + r.body());
                }
            }
            return r;
        }

        void done() throws Exception {
            table.add("| " + name + " | " + requests + " | " + refused + " | " + unauthorised200 + " |");
            assertEquals(200, raw.send("GET", "/health", Map.of(), null).status(), "daemon alive after " + name);
        }
    }

    // --- the groups ----------------------------------------------------------------------------------

    @Test
    @Order(1)
    void everyRouteSpelledEveryWayByEveryCallerGivesNoUnauthorisedAccess() throws Exception {
        int total = 0;
        for (Route route : routes()) {
            Group g = new Group(route.group());
            List<String> variants = variants(route.path());
            for (String caller : callers.keySet()) {
                boolean allowed = route.allowed().contains(caller);
                if (route.method().equals("DELETE") && allowed) {
                    continue;
                }
                // a caller who may decide sends a stale version: reaching the operation then changes nothing
                Map<String, String> extra = route.method().equals("POST") && allowed ? Map.of("If-Match", "W/\"999\"")
                        : Map.of();
                for (String v : variants) {
                    g.send(caller, route.method(), v, extra, route.body(), allowed);
                }
            }
            total += g.requests;
            g.done();
        }
        JsonNode report = JSON.readTree(raw.send("GET", "/fhir/DiagnosticReport/" + draft, callers.get("radiologist"),
                null).body());
        assertEquals("preliminary", report.path("status").asText(), "no variant decided the draft: " + report);
        assertTrue(total >= 200 * 6, "at least 200 variants per caller: " + total);
        assertEquals(List.of(), failures, String.join("\n", table));
    }

    @Test
    @Order(2)
    void otherMethodsAreRefusedOrNeedTheSameRole() throws Exception {
        Group g = new Group("methods HEAD/OPTIONS/TRACE/PUT/PATCH/PROPFIND");
        for (Route route : routes()) {
            if (route.method().equals("DELETE")) {
                continue; // its path is GET /auth/session's, whose callers HEAD follows
            }
            for (String method : List.of("HEAD", "OPTIONS", "TRACE", "PUT", "PATCH", "PROPFIND")) {
                for (String caller : callers.keySet()) {
                    // unauthorised: a caller without the route's role, or the cookie (no CSRF token) for anything but HEAD
                    boolean allowed = route.allowed().contains(caller) && (method.equals("HEAD") || !caller.startsWith("cookie"));
                    String target = route.path();
                    g.send(caller, method, target, Map.of(), method.equals("PUT") || method.equals("PATCH")
                            ? route.body() == null ? "{}" : route.body() : null, allowed);
                }
            }
        }
        g.done();
        RawHttp.Response trace = raw.send("TRACE", "/health", Map.of("Cookie", "secret=1"), null);
        assertEquals(405, trace.status(), "TRACE would echo cookies back: " + trace.body());
        assertTrue(!trace.body().contains("secret=1"));
        assertEquals(List.of(), failures, String.join("\n", table));
    }

    @Test
    @Order(3)
    void anotherAccountsPagingLinkShowsNothing() throws Exception {
        Group g = new Group("_getpages of another account");
        JsonNode bundle = JSON.readTree(raw.send("GET", "/fhir/AuditEvent", callers.get("admin"), null).body());
        String next = null;
        for (JsonNode link : bundle.path("link")) {
            if (link.path("relation").asText().equals("next")) {
                next = link.path("url").asText();
            }
        }
        assertTrue(next != null && next.contains("_getpages="), "the admin's audit search has a second page: " + bundle);
        String page = next.substring(next.indexOf("/fhir"));
        assertEquals(200, raw.send("GET", page, callers.get("admin"), null).status(), "the searcher pages on");
        for (String caller : callers.keySet()) {
            if (!caller.equals("admin")) {
                for (String v : List.of(page, page.replace("/fhir?", "/fhir/?"), page + "&_count=200")) {
                    g.send(caller, "GET", v, Map.of(), null, false);
                }
            }
        }
        g.done();
        assertEquals(List.of(), failures, String.join("\n", table));
    }

    @Test
    @Order(4)
    void refusedDecisionsAreInTheAuditTrail() throws Exception {
        Group g = new Group("refused decisions (audited)");
        String params = "{\"resourceType\":\"Parameters\"}";
        String op = "/fhir/DiagnosticReport/" + draft + "/$approve";
        Map<String, String> risNoActing = Map.of("X-Acting-For", "");
        RawHttp.Response noActing = g.send("integration", "POST", op, risNoActing, params, false);
        assertEquals(400, noActing.status(), noActing.body());
        RawHttp.Response outside = g.send("integration", "POST", op, Map.of("X-Acting-For", "dr-b"), params, false);
        assertEquals(403, outside.status(), outside.body());
        assertEquals(403, g.send("admin", "POST", op, Map.of(), params, false).status());
        assertEquals(403, g.send("cookie-no-csrf", "POST", op, Map.of(), params, false).status());
        g.done();
        JsonNode trail = JSON.readTree(raw.send("GET", "/fhir/AuditEvent?subtype=approve&_count=100",
                callers.get("admin"), null).body());
        List<String> why = new ArrayList<>();
        for (JsonNode e : trail.path("entry")) {
            why.add(e.path("resource").path("agent").get(0).path("who").path("display").asText() + ": "
                    + e.path("resource").path("outcomeDesc").asText());
        }
        assertTrue(why.stream().anyMatch(w -> w.startsWith("ris: ") && w.contains("X-Acting-For")), why.toString());
        assertTrue(why.stream().anyMatch(w -> w.startsWith("ris: ") && w.contains("dr-b")), why.toString());
        JsonNode refused = JSON.readTree(raw.send("GET", "/fhir/AuditEvent?subtype=access-refused&_count=1000",
                callers.get("admin"), null).body());
        String all = refused.toString();
        assertTrue(all.contains("\"adm\"") && all.contains("$approve"), "the admin's refused $approve is audited");
        assertTrue(all.contains("\"dr-b\"") && all.contains("X-CSRF-Token"), "the cookie without CSRF token is audited");
        assertTrue(all.contains("127.0.0.1"), "with where from");
        assertEquals(List.of(), failures, String.join("\n", table));
    }

    @Test
    @Order(5)
    void loginFloodsAreThrottledAndRefusedWithoutASession() throws Exception {
        Group longNames = new Group("logins with 150+ character names");
        int throttled = 0;
        for (int i = 0; i < 30; i++) {
            String name = "x".repeat(150 + i);
            RawHttp.Response r = longNames.send("anonymous", "POST", "/auth/session", Map.of("Content-Type",
                    "application/json"), "{\"name\":\"" + name + "\",\"password\":\"guess-" + i + "\"}", false);
            throttled += r.status() == 429 ? 1 : 0;
        }
        longNames.done();
        assertTrue(throttled >= 15, "30 rapid logins with over-long names are throttled: " + throttled + " got 429");

        Group malformed = new Group("malformed logins");
        String pw = DaemonProcess.TEST_PASSWORD;
        List<String[]> bodies = List.of(
                new String[] {"application/json", "{\"name\":\"dr-a\",\"password\":"},
                new String[] {"application/json", "[\"dr-a\",\"" + pw + "\"]"},
                new String[] {"application/json", "{\"name\":[\"dr-a\"],\"password\":\"" + pw + "\"}"},
                new String[] {"application/json", "{\"name\":\"dr-a\u0000\",\"password\":\"" + pw + "\"}"},
                new String[] {"application/json", "{\"name\":\"dr-a\\n\",\"password\":\"" + pw + "\"}"},
                new String[] {"application/json", "{\"name\":\"\",\"password\":\"\"}"},
                new String[] {"application/json", "{\"name\":\"dr-a\",\"password\":\"" + "p".repeat(5000) + "\"}"},
                new String[] {"application/json", "{\"name\":\"" + "y".repeat(20000) + "\"}"},
                new String[] {"application/x-www-form-urlencoded", "name=dr-a&password=%ZZ"},
                new String[] {"application/x-www-form-urlencoded", "name=%00dr-a&password=x"},
                new String[] {"text/plain", "name=dr-a&password=" + pw},
                new String[] {"application/xml", "<login><name>dr-a</name></login>"});
        for (int i = 0; i < 30; i++) {
            String[] b = bodies.get(i % bodies.size());
            malformed.send("anonymous", "POST", "/auth/session", Map.of("Content-Type", b[0]), b[1], false);
        }
        // the right password, but in the query string, or posted by another site's page (login CSRF)
        malformed.send("anonymous", "POST", "/auth/session?name=dr-a&password=" + pw, Map.of("Content-Type",
                "application/x-www-form-urlencoded"), "", false);
        malformed.send("anonymous", "POST", "/auth/session", Map.of("Content-Type", "application/x-www-form-urlencoded",
                "Origin", "https://evil.example"), "name=dr-a&password=" + pw, false);
        malformed.send("anonymous", "POST", "/auth/session", Map.of("Content-Type", "application/json",
                "Origin", "null"), "{\"name\":\"dr-a\",\"password\":\"" + pw + "\"}", false);
        malformed.done();
        assertEquals(List.of(), failures, String.join("\n", table));
    }
}
