package org.raddraft.review;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.raddraft.store.Database;

/**
 * Who is calling. {@code Authorization: Bearer} carries a system account's token, a session token
 * from {@link #login} (a person's password exchanged once), or, when configured, an OIDC JWT.
 * Refusals are {@link AccessDenied} with the status and what to fix; wrong credentials are audited.
 */
public final class Authenticator {

    /** A person's session: the bearer token and when it stops working. */
    public record Session(String token, Instant expires, Principal principal) {
    }

    private final Database db;
    private final Clock clock;
    private final OidcVerifier oidc;
    private final Duration sessionTtl;
    private final AuditLog audit;
    private final LoginThrottle throttle;
    private final Users users;

    /** @param oidc null when OIDC is off */
    public Authenticator(Database db, Clock clock, OidcVerifier oidc, Duration sessionTtl) {
        this.db = db;
        this.clock = clock;
        this.oidc = oidc;
        this.sessionTtl = sessionTtl;
        this.audit = new AuditLog(clock);
        this.throttle = new LoginThrottle(clock);
        this.users = new Users(db, clock);
    }

    /** The principal of an {@code Authorization} header value (may be null). */
    public Principal authenticate(String authorization, String sourceIp) throws AccessDenied, SQLException {
        if (authorization == null || authorization.isBlank()) {
            throw new AccessDenied(401, "authentication required: send Authorization: Bearer <token> "
                    + "(a system account's token, a session from POST /auth/session, or an OIDC access token)");
        }
        if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new AccessDenied(401, "only the Bearer scheme is accepted; send Authorization: Bearer <token>");
        }
        String token = authorization.substring(7).trim();
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            try {
                Principal p = principal(c, token);
                c.commit();
                return p;
            } catch (AccessDenied e) {
                c.rollback();
                audit.record(c, AuditEntry.anonymous(null, "authenticate", sourceIp, e.getMessage()));
                c.commit();
                throw e;
            }
        }
    }

    private Principal principal(Connection c, String token) throws AccessDenied, SQLException {
        if (token.startsWith(Tokens.ACCOUNT_PREFIX)) {
            Users.User u = Users.byTokenHash(c, Tokens.sha256(token));
            return active(u, "token", "this token belongs to no account (it may have been rotated)");
        }
        if (token.startsWith(Tokens.SESSION_PREFIX)) {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT user_id, expires_at FROM app_session WHERE token_hash = ?")) {
                ps.setString(1, Tokens.sha256(token));
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next() || rs.getObject(2, OffsetDateTime.class).toInstant().isBefore(clock.instant())) {
                        throw new AccessDenied(401, "the session has expired or ended; log in again at POST /auth/session");
                    }
                    return active(Users.byId(c, rs.getLong(1)), "session", "the session's account no longer exists");
                }
            }
        }
        if (oidc != null && OidcVerifier.looksLikeJwt(token)) {
            OidcVerifier.Claims claims = oidc.verify(token);
            Users.User existing = Users.byName(c, claims.name());
            if (existing != null && !existing.source().equals("oidc")) {
                throw new AccessDenied(401, "the OIDC user name '" + claims.name()
                        + "' is a local account's; rename one of them");
            }
            return active(users.provisionOidc(c, claims.name(), claims.role()), "oidc", "");
        }
        throw new AccessDenied(401, "the bearer token is not one RadDraft issued"
                + (oidc == null ? " (OIDC is not configured: auth.oidc.issuer is empty)" : " nor a JWT"));
    }

    private static Principal active(Users.User u, String via, String whenMissing) throws AccessDenied {
        if (u == null) {
            throw new AccessDenied(401, whenMissing);
        }
        if (u.disabled()) {
            throw new AccessDenied(401, "account '" + u.name() + "' is disabled; ask an admin");
        }
        return new Principal(u.id(), u.name(), u.role(), via);
    }

    /**
     * A person logs in with a password and gets a session token. Failures are audited and slowed
     * down per account and per address ({@link LoginThrottle}); while throttled, 429 with Retry-After.
     */
    public Session login(String name, char[] password, String sourceIp) throws AccessDenied, SQLException {
        String userKey = LoginThrottle.user(name);
        String ipKey = LoginThrottle.address(sourceIp);
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            Duration wait = max(throttle.wait(c, userKey), throttle.wait(c, ipKey));
            if (!wait.isZero()) {
                audit.record(c, AuditEntry.anonymous(name, "login-failure", sourceIp,
                        "refused unchecked: too many failed logins, next attempt in " + wait.toSeconds() + " s"));
                c.commit();
                throw new AccessDenied(429, "too many failed logins for this account or address; try again in "
                        + Math.max(1, wait.toSeconds()) + " s", Math.max(1, wait.toSeconds()));
            }
            c.commit();
            Users.User u = Users.byName(c, name);
            String stored = u == null ? null : Users.passwordHash(c, u.id());
            // the hash runs outside any transaction: it takes a while on purpose
            boolean ok = stored != null ? Passwords.verify(stored, password) : fail(password);
            if (!ok || u.disabled()) {
                String why = u == null ? "unknown account" : !ok ? "wrong password" : "account disabled";
                throttle.failed(c, userKey, LoginThrottle.FREE_PER_USER);
                throttle.failed(c, ipKey, LoginThrottle.FREE_PER_ADDRESS);
                audit.record(c, new AuditEntry(u == null ? null : u.id(), name, u == null ? null : u.role().code(),
                        null, "login-failure", "User", name, null, null, AuditEntry.MINOR_FAILURE, sourceIp, why));
                c.commit();
                // one message for all three: do not tell a guesser which names exist
                throw new AccessDenied(401, "wrong account name or password, or the account is disabled");
            }
            throttle.succeeded(c, userKey);
            String token = Tokens.newToken(Tokens.SESSION_PREFIX);
            Instant expires = clock.instant().plus(sessionTtl);
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO app_session (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)")) {
                ps.setString(1, Tokens.sha256(token));
                ps.setLong(2, u.id());
                ps.setObject(3, clock.instant().atOffset(ZoneOffset.UTC));
                ps.setObject(4, expires.atOffset(ZoneOffset.UTC));
                ps.executeUpdate();
            }
            Principal p = new Principal(u.id(), u.name(), u.role(), "session");
            audit.record(c, AuditEntry.of(new Actor(p, null, sourceIp), "login", "User", name));
            c.commit();
            return new Session(token, expires, p);
        }
    }

    private static boolean fail(char[] password) {
        Passwords.verifyNothing(password);
        return false;
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** Ends a session (logout); unknown tokens are ignored. */
    public void logout(String sessionToken) throws SQLException {
        try (Connection c = db.connection();
                PreparedStatement ps = c.prepareStatement("DELETE FROM app_session WHERE token_hash = ?")) {
            ps.setString(1, Tokens.sha256(sessionToken));
            ps.executeUpdate();
        }
    }

    /**
     * The actor of a request: a radiologist acts for themselves; an integration account must name the
     * radiologist it acts for ({@code actingFor}, e.g. the X-Acting-For header), an active radiologist it
     * is allowed to act for. Admins act for nobody.
     *
     * @param needsRadiologist whether the action is a radiologist's (approve, reject): then an
     *                         integration account without an acting radiologist is refused with 400
     */
    public Actor actor(Principal p, String actingFor, String sourceIp, boolean needsRadiologist)
            throws AccessDenied, SQLException {
        boolean named = actingFor != null && !actingFor.isBlank();
        try (Connection c = db.connection()) {
            switch (p.role()) {
                case RADIOLOGIST -> {
                    if (named && !actingFor.equals(p.name())) {
                        throw new AccessDenied(403, "a radiologist acts only for themselves; drop X-Acting-For "
                                + "or name yourself");
                    }
                    return new Actor(p, Users.byId(c, p.userId()), sourceIp);
                }
                case INTEGRATION -> {
                    if (!named) {
                        if (needsRadiologist) {
                            throw new AccessDenied(400, "integration accounts must name the radiologist they act for: "
                                    + "send the header X-Acting-For: <radiologist account name>");
                        }
                        return new Actor(p, null, sourceIp);
                    }
                    Users.User rad = Users.byName(c, actingFor.trim());
                    if (rad == null || rad.role() != Role.RADIOLOGIST || rad.disabled()) {
                        throw new AccessDenied(403, "X-Acting-For '" + actingFor
                                + "' is not an active radiologist account");
                    }
                    Users.User self = Users.byId(c, p.userId());
                    if (!self.actsFor().isEmpty() && !self.actsFor().contains(rad.name())) {
                        throw new AccessDenied(403, "account '" + p.name() + "' may act only for "
                                + String.join(", ", self.actsFor()) + ", not for '" + rad.name() + "'");
                    }
                    return new Actor(p, rad, sourceIp);
                }
                default -> {
                    return new Actor(p, null, sourceIp);
                }
            }
        }
    }
}
