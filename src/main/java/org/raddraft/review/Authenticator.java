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

    /** How long a person's session may go unused before it is refused (the page times out the same). */
    public Duration sessionIdle() {
        return sessionIdle;
    }

    private final Database db;
    private final Clock clock;
    private final OidcVerifier oidc;
    private final Duration sessionTtl;
    private final Duration sessionIdle;
    private final AuditLog audit;
    private final LoginThrottle throttle;
    private final Users users;
    private final FailedAuthentications failures;

    /** How stale a session's stored last use may get before a request writes it again. */
    static final Duration LAST_USED_RESOLUTION = Duration.ofMinutes(1);

    /**
     * @param oidc        null when OIDC is off
     * @param sessionTtl  a person's session's absolute lifetime ({@code auth.session-hours})
     * @param sessionIdle how long a session may go unused ({@code auth.session-idle-minutes}); system
     *                    account tokens and OIDC tokens have no idle limit
     */
    public Authenticator(Database db, Clock clock, OidcVerifier oidc, Duration sessionTtl, Duration sessionIdle) {
        this.db = db;
        this.clock = clock;
        this.oidc = oidc;
        this.sessionTtl = sessionTtl;
        this.sessionIdle = sessionIdle;
        this.audit = new AuditLog(clock);
        this.throttle = new LoginThrottle(clock);
        this.users = new Users(db, clock);
        this.failures = new FailedAuthentications(clock);
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
                String note = failures.due(sourceIp, e.getMessage());
                if (note != null) { // else counted: the next row of this address and reason says how many
                    audit.record(c, AuditEntry.anonymous(null, "authenticate", sourceIp, e.getMessage() + note));
                    c.commit();
                }
                throw e;
            }
        }
    }

    /**
     * Audits a request refused before anyone authenticated (a path with a second reading, a method
     * not served), aggregated per address and reason like failed authentications.
     */
    public void refusedUnauthenticated(String sourceIp, String what, String why) throws SQLException {
        String note = failures.due(sourceIp, why);
        if (note != null) {
            AuditEntry e = AuditEntry.anonymous(null, "request-refused", sourceIp, why + note);
            audit.record(db, new AuditEntry(null, null, null, null, e.action(), "Request", what, null, null,
                    e.outcome(), sourceIp, e.detail()));
        }
    }

    /** Audits a refused request of an authenticated caller: who, what, why and from where, one row each. */
    public void refused(Principal p, String actingFor, String sourceIp, String action, String entityType,
            String entityId, String why) throws SQLException {
        audit.refused(db, p, actingFor, sourceIp, action, entityType, entityId, why);
    }

    private Principal principal(Connection c, String token) throws AccessDenied, SQLException {
        if (token.startsWith(Tokens.ACCOUNT_PREFIX)) {
            Users.User u = Users.byTokenHash(c, Tokens.sha256(token));
            return active(u, "token", "this token belongs to no account (it may have been rotated)");
        }
        if (token.startsWith(Tokens.SESSION_PREFIX)) {
            return session(c, Tokens.sha256(token));
        }
        if (oidc != null && OidcVerifier.looksLikeJwt(token)) {
            OidcVerifier.Claims claims = oidc.verify(token);
            return active(users.provisionOidc(c, claims), "oidc", "");
        }
        throw new AccessDenied(401, "the bearer token is not one RadDraft issued"
                + (oidc == null ? " (OIDC is not configured: auth.oidc.issuer is empty)" : " nor a JWT"));
    }

    /**
     * A person's session: refused and deleted once past its absolute lifetime ({@code auth.session-hours})
     * or unused for {@code auth.session-idle-minutes}; otherwise its last use moves to now.
     */
    private Principal session(Connection c, String tokenHash) throws AccessDenied, SQLException {
        Instant now = clock.instant();
        long userId;
        Instant expires;
        Instant lastUsed;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT user_id, expires_at, last_used_at FROM app_session WHERE token_hash = ?")) {
            ps.setString(1, tokenHash);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new AccessDenied(401, "the session has ended (logged out, or its account's password "
                            + "changed); log in again at POST /auth/session");
                }
                userId = rs.getLong(1);
                expires = rs.getObject(2, OffsetDateTime.class).toInstant();
                lastUsed = rs.getObject(3, OffsetDateTime.class).toInstant();
            }
        }
        String expired = !now.isBefore(expires)
                ? "the session expired: it reached its maximum lifetime of " + sessionTtl.toHours()
                        + " h (auth.session-hours)"
                : !now.isBefore(lastUsed.plus(sessionIdle))
                ? "the session expired after " + sessionIdle.toMinutes() + " minutes of inactivity"
                : null;
        if (expired != null) {
            update(c, "DELETE FROM app_session WHERE token_hash = ?", null, tokenHash);
            c.commit(); // the session stays deleted although the request is refused (and rolled back)
            throw AccessDenied.expired(expired + "; log in again at POST /auth/session");
        }
        // Moved forward only when a minute old: the page polls every 10 s and loads images in bursts,
        // and a write per request would make every read a database write (H2 fsyncs each commit).
        // The idle limit is then enforced to within a minute, well inside its 1-minute minimum.
        if (!now.isBefore(lastUsed.plus(LAST_USED_RESOLUTION))) {
            update(c, "UPDATE app_session SET last_used_at = ? WHERE token_hash = ?", now, tokenHash);
        }
        return active(Users.byId(c, userId), "session", "the session's account no longer exists");
    }

    private static void update(Connection c, String sql, Instant time, String tokenHash) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            if (time != null) {
                ps.setObject(i++, time.atOffset(ZoneOffset.UTC));
            }
            ps.setString(i, tokenHash);
            ps.executeUpdate();
        }
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

    /** The longest password looked at; longer ones are refused before hashing. */
    static final int MAX_PASSWORD = 1024;

    /**
     * A person logs in with a password and gets a session token. Each attempt is counted per account
     * and per address ({@link LoginThrottle}) in a transaction committed before the password is hashed,
     * so parallel guesses are counted as they start and a later failure (of the audit row, say) cannot
     * undo the count; while throttled, 429 with Retry-After. A malformed name (not an account name's
     * 1 to 100 characters) or an over-long password is refused with 400 before hashing, counted against
     * the address. Failures are audited.
     */
    public Session login(String name, char[] password, String sourceIp) throws AccessDenied, SQLException {
        boolean wellFormed = Users.validName(name) && password.length <= MAX_PASSWORD;
        String userKey = wellFormed ? LoginThrottle.user(name) : null;
        String ipKey = LoginThrottle.address(sourceIp);
        String auditName = wellFormed ? name : null;
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            Duration wait = throttle.attempt(c, ipKey, LoginThrottle.FREE_PER_ADDRESS);
            if (wait.isZero() && userKey != null) {
                wait = throttle.attempt(c, userKey, LoginThrottle.FREE_PER_USER);
            }
            if (!wait.isZero()) {
                c.rollback(); // a refused attempt is not counted: the wait would only grow
                audit.record(c, AuditEntry.anonymous(auditName, "login-failure", sourceIp,
                        "refused unchecked: too many failed logins, next attempt in " + wait.toSeconds() + " s"));
                c.commit();
                throw new AccessDenied(429, "too many failed logins for this account or address; try again in "
                        + Math.max(1, wait.toSeconds()) + " s", Math.max(1, wait.toSeconds()));
            }
            c.commit(); // the attempt counts from here, whatever happens next
            if (!wellFormed) {
                audit.record(c, AuditEntry.anonymous(null, "login-failure", sourceIp, name.length() > 100
                        ? "malformed account name (" + name.length() + " characters; at most 100)"
                        : password.length > MAX_PASSWORD ? "password over " + MAX_PASSWORD + " characters"
                        : "malformed account name (not letters, digits, '.', '_', '@', '-')"));
                c.commit();
                throw new AccessDenied(400, "an account name is 1 to 100 letters, digits, '.', '_', '@' or '-' "
                        + "(starting with a letter or digit) and a password at most " + MAX_PASSWORD + " characters");
            }
            Users.User u = Users.byName(c, name);
            String stored = u == null ? null : Users.passwordHash(c, u.id());
            // the hash runs outside any transaction: it takes a while on purpose
            boolean ok = stored != null ? Passwords.verify(stored, password) : fail(password);
            if (!ok || u.disabled()) {
                String why = u == null ? "unknown account" : !ok ? "wrong password" : "account disabled";
                audit.record(c, new AuditEntry(u == null ? null : u.id(), name, u == null ? null : u.role().code(),
                        null, "login-failure", "User", name, null, null, AuditEntry.MINOR_FAILURE, sourceIp, why));
                c.commit();
                // one message for all three: do not tell a guesser which names exist
                throw new AccessDenied(401, "wrong account name or password, or the account is disabled");
            }
            throttle.succeeded(c, userKey);
            throttle.uncount(c, ipKey); // a success is no failure of the address
            String token = Tokens.newToken(Tokens.SESSION_PREFIX);
            Instant now = clock.instant();
            Instant expires = now.plus(sessionTtl);
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO app_session (token_hash, user_id, created_at, expires_at, last_used_at) "
                            + "VALUES (?, ?, ?, ?, ?)")) {
                ps.setString(1, Tokens.sha256(token));
                ps.setLong(2, u.id());
                ps.setObject(3, now.atOffset(ZoneOffset.UTC));
                ps.setObject(4, expires.atOffset(ZoneOffset.UTC));
                ps.setObject(5, now.atOffset(ZoneOffset.UTC));
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
