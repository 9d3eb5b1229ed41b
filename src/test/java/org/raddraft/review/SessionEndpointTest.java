package org.raddraft.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.ops.HttpServer;
import org.raddraft.store.Database;
import org.raddraft.testing.RawHttp;

/**
 * The login endpoint behind the authentication filter on a real Jetty and H2: login CSRF (Origin),
 * credentials in the body only, the Secure {@code __Host-} cookie, and the client address behind a
 * trusted proxy (throttling per client, not per proxy).
 */
class SessionEndpointTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String PASSWORD = "a long enough pass";

    @TempDir
    Path dir;
    Database db;
    Authenticator auth;
    HttpServer http;
    RawHttp client;

    @BeforeEach
    void open() throws Exception {
        db = ReviewDb.open(dir);
        auth = new Authenticator(db, Clock.systemUTC(), null, Duration.ofHours(8), Duration.ofMinutes(15));
        new Users(db, Clock.systemUTC()).add(Actor.commandLine(), "dr-a", Role.RADIOLOGIST, List.of(), PASSWORD.toCharArray());
    }

    @AfterEach
    void close() throws Exception {
        if (http != null) {
            http.close();
        }
        db.close();
    }

    void start(String trustedProxies, boolean cookieSecure, List<String> origins) throws Exception {
        SessionCookie cookie = new SessionCookie(cookieSecure);
        http = new HttpServer("127.0.0.1", 0)
                .filter(new AuthFilter(auth, new AccessPolicy(false), new ClientAddress(trustedProxies), cookie), "/*")
                .servlet("/auth/session", new SessionServlet(auth, cookie, new ServletGuard(auth), origins));
        http.start();
        client = new RawHttp("127.0.0.1", http.port());
    }

    RawHttp.Response login(String name, String password, Map<String, String> headers) throws Exception {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put("Content-Type", "application/x-www-form-urlencoded");
        return client.send("POST", "/auth/session", h, "name=" + name + "&password=" + password.replace(" ", "+"));
    }

    @Test
    void aLoginPostedByAnotherSitesPageIsRefused() throws Exception {
        start("", false, List.of("https://raddraft.hospital.example"));
        RawHttp.Response evil = login("dr-a", PASSWORD, Map.of("Origin", "https://evil.example"));
        assertEquals(403, evil.status(), evil.body());
        assertTrue(evil.body().contains("login CSRF"), evil.body());
        assertFalse(evil.headers().containsKey("set-cookie"), "no session for a cross-site post");
        assertEquals(403, login("dr-a", PASSWORD, Map.of("Origin", "null")).status());
        assertEquals(403, login("dr-a", PASSWORD, Map.of("Sec-Fetch-Site", "cross-site")).status());
        assertEquals(200, login("dr-a", PASSWORD, Map.of("Origin", "http://127.0.0.1:" + http.port())).status(),
                "the page's own origin");
        assertEquals(200, login("dr-a", PASSWORD, Map.of("Origin", "https://raddraft.hospital.example")).status(),
                "an origin listed in http.allowed-origins");
        assertEquals(200, login("dr-a", PASSWORD, Map.of()).status(), "no Origin: not a browser (RIS, curl)");
    }

    @Test
    void credentialsAreReadFromTheBodyOnly() throws Exception {
        start("", false, List.of());
        RawHttp.Response query = client.send("POST", "/auth/session?name=dr-a&password=" + PASSWORD.replace(" ", "+"),
                Map.of("Content-Type", "application/x-www-form-urlencoded"), "");
        assertEquals(400, query.status(), query.body());
        assertTrue(query.body().contains("never in the query string"), query.body());
        RawHttp.Response json = client.send("POST", "/auth/session", Map.of("Content-Type", "application/json"),
                "{\"name\":\"dr-a\",\"password\":\"" + PASSWORD + "\"}");
        assertEquals(200, json.status(), json.body());
        assertEquals(400, client.send("POST", "/auth/session", Map.of("Content-Type", "application/json"), "{\"name\":").status());
    }

    @Test
    void behindTlsTheCookieIsSecureAndHostOnlyAndOnlyThatNameIsRead() throws Exception {
        start("", true, List.of());
        RawHttp.Response r = login("dr-a", PASSWORD, Map.of());
        String setCookie = r.headers().get("set-cookie");
        assertTrue(setCookie.startsWith("__Host-raddraft_session="), setCookie);
        assertTrue(setCookie.contains("; Secure") && setCookie.contains("; Path=/") && !setCookie.contains("Domain"), setCookie);
        String token = JSON.readTree(r.body()).get("access_token").asText();
        assertEquals(200, client.send("GET", "/auth/session", Map.of("Cookie", "__Host-raddraft_session=" + token), null).status());
        assertEquals(401, client.send("GET", "/auth/session", Map.of("Cookie", "raddraft_session=" + token), null).status(),
                "a cookie without the __Host- prefix (set by a sibling host or over HTTP) is not read");
    }

    @Test
    void behindATrustedProxyEachClientIsThrottledOnItsOwn() throws Exception {
        start("127.0.0.1", false, List.of());
        int throttled = 0;
        for (int i = 0; i < LoginThrottle.FREE_PER_ADDRESS + 3; i++) {
            RawHttp.Response r = login("guess" + i, "wrong password!", Map.of("X-Forwarded-For", "10.9.9.9"));
            throttled += r.status() == 429 ? 1 : 0;
        }
        assertTrue(throttled >= 1, "the guessing client is throttled");
        RawHttp.Response other = login("dr-a", PASSWORD, Map.of("X-Forwarded-For", "10.1.1.1"));
        assertEquals(200, other.status(), "another client behind the same proxy is not: " + other.body());
        assertEquals("10.9.9.9", ReviewDb.value(db, "SELECT source_ip FROM audit_event WHERE action = 'login-failure' "
                + "ORDER BY id LIMIT 1"), "the audit trail names the client, not the proxy");
        // X-Forwarded-For from a client that is no trusted proxy is its own claim: ignored
        assertEquals("192.168.1.7", new ClientAddress("10.0.0.0/8").of(new FakeRemote("192.168.1.7", "1.2.3.4")));
        assertEquals("1.2.3.4", new ClientAddress("10.0.0.0/8").of(new FakeRemote("10.0.0.8", "1.2.3.4")));
    }

    @Test
    void trustedProxiesAreAddressesOrRangesAndTheWalkStopsAtTheFirstUntrustedHop() {
        ClientAddress proxies = new ClientAddress("10.0.0.5, 10.1.0.0/16, ::1");
        assertEquals("192.0.2.7", proxies.of(new FakeRemote("10.0.0.5", "203.0.113.9, 192.0.2.7, 10.1.2.3")),
                "right to left past the trusted hops; what the client itself wrote (203.0.113.9) is not believed");
        assertEquals("10.0.0.5", proxies.of(new FakeRemote("10.0.0.5", "not-an-ip")));
        assertEquals("192.0.2.1", proxies.of(new FakeRemote("::1", "192.0.2.1")));
        assertThrows(IllegalArgumentException.class, () -> new ClientAddress("proxy.hospital.example"));
        assertThrows(IllegalArgumentException.class, () -> new ClientAddress("10.0.0.0/33"));
    }

    /**
     * A request seen from {@code remote} with an X-Forwarded-For header: a stand-in for Jetty's request,
     * which cannot be made to come from another address in a test.
     */
    static final class FakeRemote extends jakarta.servlet.http.HttpServletRequestWrapper {
        private final String remote;
        private final String forwarded;

        FakeRemote(String remote, String forwarded) {
            super((jakarta.servlet.http.HttpServletRequest) java.lang.reflect.Proxy.newProxyInstance(
                    FakeRemote.class.getClassLoader(), new Class<?>[] {jakarta.servlet.http.HttpServletRequest.class},
                    (p, m, a) -> null));
            this.remote = remote;
            this.forwarded = forwarded;
        }

        @Override
        public String getRemoteAddr() {
            return remote;
        }

        @Override
        public java.util.Enumeration<String> getHeaders(String name) {
            return java.util.Collections.enumeration(name.equalsIgnoreCase("X-Forwarded-For") ? List.of(forwarded) : List.of());
        }
    }
}
