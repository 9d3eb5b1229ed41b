package org.raddraft.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.store.Database;
import org.raddraft.testing.TestClock;

/** Accounts, tokens, sessions, throttling and acting-for rules on a real H2 database. */
class AuthenticatorTest {

    @TempDir
    Path dir;
    Database db;
    final TestClock clock = new TestClock(Instant.parse("2026-12-01T10:00:00Z"));
    Users users;
    Authenticator auth;
    final Actor admin = Actor.commandLine();

    @BeforeEach
    void open() {
        db = ReviewDb.open(dir);
        users = new Users(db, clock);
        auth = new Authenticator(db, clock, null, Duration.ofHours(8), Duration.ofMinutes(15));
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void integrationTokenAuthenticatesUntilRotatedOrDisabled() throws Exception {
        Users.Created ris = users.add(admin, "ris", Role.INTEGRATION, List.of(), null);
        Principal p = auth.authenticate("Bearer " + ris.token(), "10.0.0.9");
        assertEquals(Role.INTEGRATION, p.role());
        assertEquals("ris", p.name());
        String stored = (String) ReviewDb.value(db, "SELECT token_hash FROM app_user WHERE name = 'ris'");
        assertEquals(Tokens.sha256(ris.token()), stored, "only the hash is stored");

        Users.Created rotated = users.renewCredential(admin, "ris", null);
        assertEquals(401, assertThrows(AccessDenied.class,
                () -> auth.authenticate("Bearer " + ris.token(), "10.0.0.9")).status());
        auth.authenticate("Bearer " + rotated.token(), "10.0.0.9");

        users.disable(admin, "ris");
        AccessDenied d = assertThrows(AccessDenied.class, () -> auth.authenticate("Bearer " + rotated.token(), "10.0.0.9"));
        assertEquals(401, d.status());
        assertTrue(d.getMessage().contains("disabled"), d.getMessage());
        assertEquals(1, ReviewDb.count(db, "SELECT COUNT(*) FROM audit_event WHERE action = 'user-disable' AND entity_id = 'ris'"));
        assertTrue(ReviewDb.count(db, "SELECT COUNT(*) FROM audit_event WHERE action = 'authenticate' AND outcome = '4'") >= 2);
    }

    @Test
    void passwordLoginGivesASessionThatEndsWithTheNextPassword() throws Exception {
        users.add(admin, "dr-a", Role.RADIOLOGIST, List.of(), "a long enough pass".toCharArray());
        Authenticator.Session s = auth.login("dr-a", "a long enough pass".toCharArray(), "10.0.0.5");
        Principal p = auth.authenticate("Bearer " + s.token(), "10.0.0.5");
        assertEquals(Role.RADIOLOGIST, p.role());
        assertEquals("session", p.via());
        users.renewCredential(admin, "dr-a", "another long pass".toCharArray());
        assertEquals(401, assertThrows(AccessDenied.class, () -> auth.authenticate("Bearer " + s.token(), "x")).status());
    }

    @Test
    void sessionExpires() throws Exception {
        users.add(admin, "dr-a", Role.RADIOLOGIST, List.of(), "a long enough pass".toCharArray());
        Authenticator.Session s = auth.login("dr-a", "a long enough pass".toCharArray(), "10.0.0.5");
        for (int i = 0; i < 8 * 6 - 1; i++) { // used every 10 minutes for 7 h 50 min: never idle
            clock.advance(Duration.ofMinutes(10));
            auth.authenticate("Bearer " + s.token(), "x");
        }
        clock.advance(Duration.ofMinutes(10));
        AccessDenied d = assertThrows(AccessDenied.class, () -> auth.authenticate("Bearer " + s.token(), "x"));
        assertTrue(d.getMessage().contains("maximum lifetime"), d.getMessage());
        assertTrue(d.sessionExpired());
    }

    @Test
    void sessionUnusedForTheIdleLimitIsRefusedAndDeleted() throws Exception {
        users.add(admin, "dr-a", Role.RADIOLOGIST, List.of(), "a long enough pass".toCharArray());
        Authenticator.Session s = auth.login("dr-a", "a long enough pass".toCharArray(), "10.0.0.5");
        clock.advance(Duration.ofMinutes(14));
        auth.authenticate("Bearer " + s.token(), "10.0.0.5"); // a use restarts the idle count
        clock.advance(Duration.ofMinutes(14));
        auth.authenticate("Bearer " + s.token(), "10.0.0.5");
        clock.advance(Duration.ofMinutes(15));
        AccessDenied d = assertThrows(AccessDenied.class, () -> auth.authenticate("Bearer " + s.token(), "10.0.0.5"));
        assertEquals(401, d.status());
        assertTrue(d.sessionExpired());
        assertTrue(d.getMessage().contains("expired after 15 minutes of inactivity; log in again"), d.getMessage());
        assertEquals(0, ReviewDb.count(db, "SELECT COUNT(*) FROM app_session"), "the idle session is deleted");
        AccessDenied again = assertThrows(AccessDenied.class, () -> auth.authenticate("Bearer " + s.token(), "x"));
        assertTrue(again.getMessage().contains("has ended"), again.getMessage());
        assertEquals(1, ReviewDb.count(db, "SELECT COUNT(*) FROM audit_event WHERE action = 'authenticate' "
                + "AND detail LIKE '%inactivity%'"), "the refusal is audited");
    }

    @Test
    void lastUseIsWrittenAtMostOnceAMinute() throws Exception {
        users.add(admin, "dr-a", Role.RADIOLOGIST, List.of(), "a long enough pass".toCharArray());
        Authenticator.Session s = auth.login("dr-a", "a long enough pass".toCharArray(), "10.0.0.5");
        Instant login = clock.instant();
        clock.advance(Duration.ofSeconds(50));
        auth.authenticate("Bearer " + s.token(), "x");
        assertEquals(login, lastUsed(), "50 s after the stored use: no write");
        clock.advance(Duration.ofSeconds(10));
        auth.authenticate("Bearer " + s.token(), "x");
        assertEquals(clock.instant(), lastUsed(), "a minute after: written");
        // so a session used 20 s after its last write counts from that write: idle limit to within a minute
        clock.advance(Duration.ofSeconds(20));
        auth.authenticate("Bearer " + s.token(), "x");
        clock.advance(Duration.ofMinutes(15).minusSeconds(20));
        assertThrows(AccessDenied.class, () -> auth.authenticate("Bearer " + s.token(), "x"));
    }

    @Test
    void integrationTokensHaveNoIdleLimit() throws Exception {
        Users.Created ris = users.add(admin, "ris", Role.INTEGRATION, List.of(), null);
        auth.authenticate("Bearer " + ris.token(), "10.0.0.9");
        clock.advance(Duration.ofDays(3));
        assertEquals("ris", auth.authenticate("Bearer " + ris.token(), "10.0.0.9").name());
    }

    Instant lastUsed() throws Exception {
        return ((OffsetDateTime) ReviewDb.value(db, "SELECT last_used_at FROM app_session")).toInstant();
    }

    @Test
    void repeatedLoginFailuresAreSlowedDownAndAudited() throws Exception {
        users.add(admin, "dr-a", Role.RADIOLOGIST, List.of(), "a long enough pass".toCharArray());
        for (int i = 0; i < LoginThrottle.FREE_PER_USER; i++) {
            assertEquals(401, assertThrows(AccessDenied.class,
                    () -> auth.login("dr-a", "wrong guess!".toCharArray(), "10.0.0.7")).status());
        }
        // the next failure blocks for 1 s; even the right password is refused unchecked meanwhile
        assertEquals(401, assertThrows(AccessDenied.class,
                () -> auth.login("dr-a", "wrong guess!".toCharArray(), "10.0.0.7")).status());
        AccessDenied blocked = assertThrows(AccessDenied.class,
                () -> auth.login("dr-a", "a long enough pass".toCharArray(), "10.0.0.8"));
        assertEquals(429, blocked.status());
        assertTrue(blocked.retryAfterSeconds() >= 1);
        clock.advance(Duration.ofSeconds(2));
        auth.login("dr-a", "a long enough pass".toCharArray(), "10.0.0.8");
        assertEquals(5, ReviewDb.count(db, "SELECT COUNT(*) FROM audit_event WHERE action = 'login-failure' AND user_name = 'dr-a'"));
        assertEquals(1, ReviewDb.count(db, "SELECT COUNT(*) FROM audit_event WHERE action = 'login' AND outcome = '0'"));
    }

    @Test
    void unknownAccountAndDisabledAccountFailLikeAWrongPassword() throws Exception {
        users.add(admin, "dr-b", Role.RADIOLOGIST, List.of(), "a long enough pass".toCharArray());
        users.disable(admin, "dr-b");
        AccessDenied unknown = assertThrows(AccessDenied.class, () -> auth.login("nobody", "whatever pass".toCharArray(), "1.2.3.4"));
        AccessDenied disabled = assertThrows(AccessDenied.class, () -> auth.login("dr-b", "a long enough pass".toCharArray(), "1.2.3.4"));
        assertEquals(unknown.getMessage(), disabled.getMessage());
        assertEquals("unknown account", ReviewDb.value(db,
                "SELECT detail FROM audit_event WHERE action = 'login-failure' AND user_name = 'nobody'"));
    }

    @Test
    void integrationAccountsMustNameAnAllowedRadiologist() throws Exception {
        users.add(admin, "dr-a", Role.RADIOLOGIST, List.of(), "a long enough pass".toCharArray());
        users.add(admin, "dr-b", Role.RADIOLOGIST, List.of(), "a long enough pass".toCharArray());
        Users.Created ris = users.add(admin, "ris", Role.INTEGRATION, List.of("dr-a"), null);
        Principal p = auth.authenticate("Bearer " + ris.token(), "10.0.0.9");
        assertEquals(400, assertThrows(AccessDenied.class, () -> auth.actor(p, null, "10.0.0.9", true)).status());
        assertNull(auth.actor(p, null, "10.0.0.9", false).actingFor(), "reading needs no radiologist");
        assertEquals(403, assertThrows(AccessDenied.class, () -> auth.actor(p, "dr-b", "10.0.0.9", true)).status());
        assertEquals(403, assertThrows(AccessDenied.class, () -> auth.actor(p, "ris", "10.0.0.9", true)).status());
        assertEquals("dr-a", auth.actor(p, "dr-a", "10.0.0.9", true).actingFor().name());
        users.disable(admin, "dr-a");
        assertEquals(403, assertThrows(AccessDenied.class, () -> auth.actor(p, "dr-a", "10.0.0.9", true)).status());
    }

    @Test
    void accountRulesAreCheckedWhenAdding() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> users.add(admin, "dr-a", Role.RADIOLOGIST, List.of(), "short".toCharArray()));
        assertThrows(IllegalArgumentException.class, () -> users.add(admin, "ris", Role.INTEGRATION, List.of("nobody"), null));
        assertThrows(IllegalArgumentException.class, () -> users.add(admin, "bad name", Role.ADMIN, List.of(), "a long enough pass".toCharArray()));
        assertEquals(0, ReviewDb.count(db, "SELECT COUNT(*) FROM app_user"), "a refused add leaves nothing behind");
        users.add(admin, "adm", Role.ADMIN, List.of(), "a long enough pass".toCharArray());
        assertThrows(IllegalArgumentException.class, () -> users.add(admin, "adm", Role.ADMIN, List.of(), "a long enough pass".toCharArray()));
    }
    // --- issue 21: throttle bypass (3), failed-authentication rows (10), OIDC binding (12) ----------------

    @Test
    void overLongNamesAreRefusedBeforeHashingAuditedAndThrottledPerAddress() throws Exception {
        int refused = 0;
        int throttled = 0;
        for (int i = 0; i < 30; i++) {
            // on today's main the audit row's 100-character column fails the insert, which rolls back
            // the throttle's count: never 429, a PBKDF2 run per request
            AccessDenied d = assertThrows(AccessDenied.class,
                    () -> auth.login("n".repeat(150), "guess".toCharArray(), "10.0.0.66"));
            refused += d.status() == 400 ? 1 : 0;
            throttled += d.status() == 429 ? 1 : 0;
        }
        assertEquals(LoginThrottle.FREE_PER_ADDRESS + 1, refused, "counted against the address: then throttled");
        assertEquals(30 - refused, throttled);
        assertEquals(30, ReviewDb.count(db, "SELECT COUNT(*) FROM audit_event WHERE action = 'login-failure' "
                + "AND source_ip = '10.0.0.66'"), "each attempt is in the trail");
        assertTrue(ReviewDb.count(db, "SELECT COUNT(*) FROM audit_event WHERE detail LIKE 'malformed account name (150 characters%'") >= 1);
    }

    @Test
    void parallelGuessesAreCountedBeforeThePasswordIsChecked() throws Exception {
        users.add(admin, "dr-a", Role.RADIOLOGIST, List.of(), "a long enough pass".toCharArray());
        int n = 10;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(n);
        java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(n);
        List<java.util.concurrent.Future<Integer>> answers = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                String ip = "10.0.1." + i; // one address each: only the account's count can stop them
                answers.add(pool.submit(() -> {
                    together.await();
                    return assertThrows(AccessDenied.class, () -> auth.login("dr-a", "wrong guess!".toCharArray(), ip)).status();
                }));
            }
            long checked = 0;
            for (var a : answers) {
                checked += a.get() == 401 ? 1 : 0;
            }
            // today's main checks the wait before hashing and counts after: all ten are checked
            assertEquals(LoginThrottle.FREE_PER_USER + 1, checked, "the rest are refused unchecked (429)");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aSuccessfulLoginTakesBackItsCountOfTheAddress() throws Exception {
        users.add(admin, "dr-a", Role.RADIOLOGIST, List.of(), "a long enough pass".toCharArray());
        for (int i = 0; i < 3 * LoginThrottle.FREE_PER_ADDRESS; i++) {
            auth.login("dr-a", "a long enough pass".toCharArray(), "10.0.0.5"); // a busy shared workstation
        }
        assertEquals(0, ReviewDb.count(db, "SELECT failures FROM login_throttle WHERE subject = 'ip:10.0.0.5'"));
    }

    @Test
    void badTokensFromOneAddressWriteOneRowAMinuteWithTheCount() throws Exception {
        for (int i = 0; i < 50; i++) {
            assertEquals(401, assertThrows(AccessDenied.class,
                    () -> auth.authenticate("Bearer rdk_guess-" + Math.random(), "10.0.0.99")).status());
        }
        assertEquals(1, ReviewDb.count(db, "SELECT COUNT(*) FROM audit_event WHERE action = 'authenticate' "
                + "AND source_ip = '10.0.0.99'"), "one row, not fifty fsync'd ones");
        assertThrows(AccessDenied.class, () -> auth.authenticate("Bearer rdk_guess", "10.0.0.98"));
        assertEquals(1, ReviewDb.count(db, "SELECT COUNT(*) FROM audit_event WHERE source_ip = '10.0.0.98'"),
                "another address gets its own row");
        clock.advance(FailedAuthentications.WINDOW.plusSeconds(1));
        assertThrows(AccessDenied.class, () -> auth.authenticate("Bearer rdk_guess", "10.0.0.99"));
        assertEquals(1, ReviewDb.count(db, "SELECT COUNT(*) FROM audit_event WHERE source_ip = '10.0.0.99' "
                + "AND detail LIKE '%and 49 more such failure(s)%'"), "the next row counts the ones not written");
    }

    @Test
    void oidcAccountsAreBoundToIssuerAndSubjectNotToTheEditableName(@TempDir Path idp) throws Exception {
        com.nimbusds.jose.jwk.RSAKey key = new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(2048).keyID("k1").generate();
        java.nio.file.Files.writeString(idp.resolve("jwks.json"), new com.nimbusds.jose.jwk.JWKSet(key.toPublicJWK()).toString());
        Authenticator oidc = new Authenticator(db, clock, new OidcVerifier("https://idp", "raddraft",
                idp.resolve("jwks.json").toString(), "preferred_username", "roles"), Duration.ofHours(8), Duration.ofMinutes(15));
        users.add(admin, "dr-local", Role.RADIOLOGIST, List.of(), "a long enough pass".toCharArray());
        Principal first = oidc.authenticate("Bearer " + jwt(key, "sub-1", "dr-x"), "10.0.0.1");
        assertEquals("dr-x", first.name());
        // sub-1 renames itself at the provider: still its own account
        assertEquals(first.userId(), oidc.authenticate("Bearer " + jwt(key, "sub-1", "dr-renamed"), "10.0.0.1").userId());
        // another subject takes the name dr-x: on today's main it became dr-x
        AccessDenied taken = assertThrows(AccessDenied.class, () -> oidc.authenticate("Bearer " + jwt(key, "sub-2", "dr-x"), "10.0.0.1"));
        assertEquals(401, taken.status());
        assertTrue(taken.getMessage().contains("another identity"), taken.getMessage());
        assertEquals(401, assertThrows(AccessDenied.class,
                () -> oidc.authenticate("Bearer " + jwt(key, "sub-3", "dr-local"), "10.0.0.1")).status());
        // a name over 100 characters: a clear 401 (a 500 on today's main)
        AccessDenied longName = assertThrows(AccessDenied.class,
                () -> oidc.authenticate("Bearer " + jwt(key, "sub-4", "n".repeat(150)), "10.0.0.1"));
        assertEquals(401, longName.status());
        assertTrue(longName.getMessage().contains("not a valid RadDraft account name"), longName.getMessage());
        assertEquals("sub-1", ReviewDb.value(db, "SELECT oidc_subject FROM app_user WHERE name = 'dr-x'"));
    }

    static String jwt(com.nimbusds.jose.jwk.RSAKey key, String subject, String name) throws Exception {
        com.nimbusds.jwt.JWTClaimsSet claims = new com.nimbusds.jwt.JWTClaimsSet.Builder().issuer("https://idp")
                .audience("raddraft").subject(subject).claim("preferred_username", name).claim("roles", "radiologist")
                .expirationTime(new java.util.Date(System.currentTimeMillis() + 300_000)).build();
        com.nimbusds.jwt.SignedJWT t = new com.nimbusds.jwt.SignedJWT(new com.nimbusds.jose.JWSHeader.Builder(
                com.nimbusds.jose.JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), claims);
        t.sign(new com.nimbusds.jose.crypto.RSASSASigner(key));
        return t.serialize();
    }
}
