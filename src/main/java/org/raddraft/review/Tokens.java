package org.raddraft.review;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Bearer tokens for system accounts and sessions: 256 random bits, shown once, stored as their
 * SHA-256 (a slow hash buys nothing against guessing 256 bits and would cost every request).
 */
public final class Tokens {

    /** Prefix of system-account tokens, so a leaked one is recognisable in a secret scanner. */
    static final String ACCOUNT_PREFIX = "rdk_";
    static final String SESSION_PREFIX = "rds_";
    private static final SecureRandom RANDOM = new SecureRandom();

    private Tokens() {
    }

    static String newToken(String prefix) {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /**
     * The CSRF token of a session: derived from the session token, so a page that can read its own
     * session answer can send it, and another site (which cannot read the HttpOnly cookie) cannot.
     */
    static String csrf(String sessionToken) {
        return sha256("csrf:" + sessionToken).substring(0, 43);
    }

    static String sha256(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
