package org.raddraft.review;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Password hashes: PBKDF2-HMAC-SHA256 from the JDK, 600 000 iterations (OWASP 2023), 16-byte random
 * salt, 32-byte hash, stored as {@code pbkdf2-sha256$<iterations>$<salt>$<hash>} (base64) so the
 * iteration count can be raised later without breaking existing hashes.
 */
public final class Passwords {

    static final String SCHEME = "pbkdf2-sha256";
    static final int ITERATIONS = 600_000;
    /** People choose these; shorter ones are refused when set. */
    public static final int MIN_LENGTH = 10;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Verified against when the account does not exist, so an unknown name costs as long as a known one. */
    private static final String DUMMY = hash("not-a-password".toCharArray(), ITERATIONS);

    private Passwords() {
    }

    public static String hash(char[] password) {
        return hash(password, ITERATIONS);
    }

    static String hash(char[] password, int iterations) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
        return SCHEME + "$" + iterations + "$" + b64.encodeToString(salt) + "$"
                + b64.encodeToString(pbkdf2(password, salt, iterations));
    }

    /** Constant-time comparison with a stored hash; a null or malformed stored value never matches. */
    public static boolean verify(String stored, char[] password) {
        String[] parts = stored == null ? new String[0] : stored.split("\\$");
        if (parts.length != 4 || !parts[0].equals(SCHEME)) {
            verify(DUMMY, password); // same cost either way
            return false;
        }
        Base64.Decoder b64 = Base64.getDecoder();
        byte[] expected = b64.decode(parts[3]);
        byte[] actual = pbkdf2(password, b64.decode(parts[2]), Integer.parseInt(parts[1]));
        return MessageDigest.isEqual(expected, actual);
    }

    /** Burns the time of one verification (for unknown account names). */
    static void verifyNothing(char[] password) {
        verify(DUMMY, password);
    }

    private static byte[] pbkdf2(char[] password, byte[] salt, int iterations) {
        PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, 256);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks PBKDF2WithHmacSHA256", e);
        } finally {
            spec.clearPassword();
        }
    }
}
