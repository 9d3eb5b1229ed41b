package org.raddraft.review;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.raddraft.store.Database;

/**
 * Accounts in the database. People (radiologists, admins) have a password; integration accounts
 * have a bearer token, shown once when made or rotated. Every change is audited in its transaction.
 */
public final class Users {

    /**
     * An account.
     *
     * @param source  local, or oidc (made at the first request with a valid JWT)
     * @param actsFor for integration accounts: the radiologists it may act for (empty = any radiologist)
     * @param displayName the person's name as reports print it (Family^Given^Middle^Prefix^Suffix), or null
     */
    public record User(long id, String name, Role role, String source, boolean disabled, Instant createdAt,
            List<String> actsFor, String displayName) {
    }

    /** A new or changed account and its token, when it has one (print it once, it is not stored). */
    public record Created(User user, String token) {
    }

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,99}");

    private final Database db;
    private final Clock clock;
    private final AuditLog audit;

    public Users(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
        this.audit = new AuditLog(clock);
    }

    /** Adds an account; people need a password, integration accounts get a token. */
    public Created add(Actor admin, String name, Role role, List<String> actsFor, char[] password) throws SQLException {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("name '" + name + "' is not allowed; use 1 to 100 letters, digits, "
                    + "'.', '_', '@' or '-', starting with a letter or digit");
        }
        if (role == Role.INTEGRATION ? password != null : password == null) {
            throw new IllegalArgumentException(role == Role.INTEGRATION
                    ? "integration accounts use a token, not a password"
                    : role.code() + " accounts need a password");
        }
        if (!actsFor.isEmpty() && role != Role.INTEGRATION) {
            throw new IllegalArgumentException("--acts-for applies to integration accounts only");
        }
        String token = role == Role.INTEGRATION ? Tokens.newToken(Tokens.ACCOUNT_PREFIX) : null;
        String passwordHash = password == null ? null : Passwords.hash(checkedPassword(password));
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            try {
                if (byName(c, name) != null) {
                    throw new IllegalArgumentException("an account named '" + name + "' exists already");
                }
                long id;
                try (PreparedStatement ps = c.prepareStatement("""
                        INSERT INTO app_user (name, role, source, password_hash, token_hash, created_at)
                        VALUES (?, ?, 'local', ?, ?, ?)""", new String[] {"id"})) {
                    ps.setString(1, name);
                    ps.setString(2, role.code());
                    ps.setString(3, passwordHash);
                    ps.setString(4, token == null ? null : Tokens.sha256(token));
                    ps.setObject(5, now());
                    ps.executeUpdate();
                    try (ResultSet k = ps.getGeneratedKeys()) {
                        k.next();
                        id = k.getLong(1);
                    }
                }
                for (String r : actsFor) {
                    User rad = byName(c, r);
                    if (rad == null || rad.role() != Role.RADIOLOGIST) {
                        throw new IllegalArgumentException("--acts-for '" + r + "' is not a radiologist account; "
                                + "add it first with --role radiologist");
                    }
                    try (PreparedStatement ps = c.prepareStatement(
                            "INSERT INTO acts_for (integration_id, radiologist_id) VALUES (?, ?)")) {
                        ps.setLong(1, id);
                        ps.setLong(2, rad.id());
                        ps.executeUpdate();
                    }
                }
                audit.record(c, userChange(admin, "user-add", name,
                        "role " + role.code() + (actsFor.isEmpty() ? "" : ", acts for " + String.join(",", actsFor))));
                c.commit();
                return new Created(byName(c, name), token);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    public List<User> list() throws SQLException {
        List<User> out = new ArrayList<>();
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(
                "SELECT name FROM app_user ORDER BY name")) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(byName(c, rs.getString(1)));
                }
            }
        }
        return out;
    }

    /** Disables an account and ends its sessions; its history stays. */
    public User disable(Actor admin, String name) throws SQLException {
        return change(admin, name, "user-disable", c -> {
            update(c, "UPDATE app_user SET disabled = TRUE WHERE name = ?", name);
            update(c, "DELETE FROM app_session WHERE user_id = (SELECT id FROM app_user WHERE name = ?)", name);
            return null;
        });
    }

    /**
     * A new password for a person (their sessions end), or a new token for an integration account
     * (the old one stops working at once; returned in {@link Created#token}).
     */
    public Created renewCredential(Actor admin, String name, char[] password) throws SQLException {
        String[] token = new String[1];
        User u = change(admin, name, "user-credential", c -> {
            User before = byName(c, name);
            if (before.role() == Role.INTEGRATION) {
                token[0] = Tokens.newToken(Tokens.ACCOUNT_PREFIX);
                update(c, "UPDATE app_user SET token_hash = ? WHERE name = ?", Tokens.sha256(token[0]), name);
            } else {
                if (password == null) {
                    throw new IllegalArgumentException(before.role().code() + " accounts need a password");
                }
                update(c, "UPDATE app_user SET password_hash = ? WHERE name = ?",
                        Passwords.hash(checkedPassword(password)), name);
            }
            update(c, "DELETE FROM app_session WHERE user_id = ?", before.id());
            return before.role() == Role.INTEGRATION ? "token rotated" : "password set";
        });
        return new Created(u, token[0]);
    }

    /**
     * The name reports print for this person (DICOM SR Person Observer Name, HL7 OBR-32), in DICOM PN
     * order {@code Family^Given^Middle^Prefix^Suffix}; empty clears it (the account name is printed).
     */
    public User setDisplayName(Actor admin, String name, String displayName) throws SQLException {
        String checked = checkedDisplayName(displayName);
        return change(admin, name, "user-display-name", c -> {
            update(c, "UPDATE app_user SET display_name = ? WHERE name = ?", checked, name);
            return checked == null ? "display name cleared" : "display name set";
        });
    }

    /** A display name as a DICOM PN value (one component group, at most 64 characters each part), null for empty. */
    public static String checkedDisplayName(String displayName) {
        String v = displayName == null ? "" : displayName.strip();
        if (v.isEmpty()) {
            return null;
        }
        String[] parts = v.split("\\^", -1);
        if (parts.length > 5 || parts[0].isBlank() || v.chars().anyMatch(ch -> ch == '\\' || ch == '=' || ch < 0x20)
                || java.util.Arrays.stream(parts).anyMatch(p -> p.length() > 64)) {
            throw new IllegalArgumentException("display name '" + v + "' is not a person name as reports print it; write "
                    + "Family^Given^Middle^Prefix^Suffix (e.g. Smith^Jane^^Dr), the family name first, at most 64 "
                    + "characters per part, without '\\' or '='");
        }
        return v;
    }

    private interface Change {
        String apply(Connection c) throws SQLException;
    }

    private User change(Actor admin, String name, String action, Change change) throws SQLException {
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            try {
                if (byName(c, name) == null) {
                    throw new IllegalArgumentException("no account named '" + name + "' (see raddraft admin users list)");
                }
                String detail = change.apply(c);
                audit.record(c, userChange(admin, action, name, detail));
                c.commit();
                return byName(c, name);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private static AuditEntry userChange(Actor admin, String action, String name, String detail) {
        return AuditEntry.of(admin, action, "User", name).outcome(AuditEntry.SUCCESS, detail);
    }

    private static char[] checkedPassword(char[] password) {
        if (password.length < Passwords.MIN_LENGTH) {
            throw new IllegalArgumentException("the password is too short; use at least " + Passwords.MIN_LENGTH
                    + " characters (a passphrase of several words is easiest)");
        }
        return password;
    }

    /** Whether {@code name} is shaped like an account name (1 to 100 letters, digits, '.', '_', '@', '-'). */
    static boolean validName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /**
     * The OIDC user of a valid JWT, bound to the token's issuer and subject ({@code iss} + {@code sub},
     * which the identity provider never reassigns), not to its user name claim, which users may edit at
     * some providers: made at first use under the name claim, its role kept as the provider says. An
     * OIDC account made before the binding existed (no subject stored) is bound at its next use.
     *
     * @throws AccessDenied 401 when the name claim is no valid account name, or names an account of
     *                      another identity (a local account, or another subject)
     */
    User provisionOidc(Connection c, OidcVerifier.Claims claims) throws SQLException, AccessDenied {
        User u = one(c, "SELECT * FROM app_user WHERE oidc_issuer = ? AND oidc_subject = ?", claims.issuer(),
                claims.subject());
        if (u == null) {
            String name = claims.name();
            if (!validName(name)) {
                throw new AccessDenied(401, "the OIDC token's user name claim is not a valid RadDraft account name "
                        + "(1 to 100 letters, digits, '.', '_', '@' or '-'; it has " + (name == null ? 0 : name.length())
                        + " characters); set auth.oidc.username-claim to a claim that is, or fix it at the provider");
            }
            User named = byName(c, name);
            if (named != null && !(named.source().equals("oidc") && unbound(c, named.id()))) {
                throw new AccessDenied(401, "the OIDC user name '" + name + "' belongs to another account ("
                        + (named.source().equals("oidc") ? "another identity at the provider" : "a local account")
                        + "); accounts are bound to the provider's subject, so ask an admin to rename one of them");
            }
            if (named == null) {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO app_user (name, role, source, created_at, "
                        + "oidc_issuer, oidc_subject) VALUES (?, ?, 'oidc', ?, ?, ?)")) {
                    ps.setString(1, name);
                    ps.setString(2, claims.role().code());
                    ps.setObject(3, now());
                    ps.setString(4, claims.issuer());
                    ps.setString(5, claims.subject());
                    ps.executeUpdate();
                }
            } else {
                update(c, "UPDATE app_user SET oidc_issuer = ?, oidc_subject = ? WHERE id = ?", claims.issuer(),
                        claims.subject(), named.id());
            }
            u = byName(c, name);
        }
        if (u.role() != claims.role()) {
            update(c, "UPDATE app_user SET role = ? WHERE id = ?", claims.role().code(), u.id());
            u = byId(c, u.id());
        }
        return u;
    }

    private static boolean unbound(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT oidc_subject FROM app_user WHERE id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getString(1) == null;
            }
        }
    }

    private static User one(Connection c, String sql, Object key1, Object key2) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, key1);
            ps.setObject(2, key2);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? byId(c, rs.getLong("id")) : null;
            }
        }
    }

    static User byName(Connection c, String name) throws SQLException {
        return one(c, "SELECT * FROM app_user WHERE name = ?", name);
    }

    static User byTokenHash(Connection c, String hash) throws SQLException {
        return one(c, "SELECT * FROM app_user WHERE token_hash = ?", hash);
    }

    static User byId(Connection c, long id) throws SQLException {
        return one(c, "SELECT * FROM app_user WHERE id = ?", id);
    }

    static String passwordHash(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT password_hash FROM app_user WHERE id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private static User one(Connection c, String sql, Object key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                long id = rs.getLong("id");
                return new User(id, rs.getString("name"), Role.parse(rs.getString("role")), rs.getString("source"),
                        rs.getBoolean("disabled"), rs.getObject("created_at", OffsetDateTime.class).toInstant(),
                        actsFor(c, id), rs.getString("display_name"));
            }
        }
    }

    private static List<String> actsFor(Connection c, long integrationId) throws SQLException {
        List<String> names = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT u.name FROM acts_for a JOIN app_user u ON u.id = a.radiologist_id
                WHERE a.integration_id = ? ORDER BY u.name""")) {
            ps.setLong(1, integrationId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
        }
        return names;
    }

    private static void update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            ps.executeUpdate();
        }
    }

    private OffsetDateTime now() {
        return clock.instant().atOffset(ZoneOffset.UTC);
    }
}
