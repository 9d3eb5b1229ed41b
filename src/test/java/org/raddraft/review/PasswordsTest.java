package org.raddraft.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PasswordsTest {

    @Test
    void storedHashNamesAlgorithmAndIterationsAndVerifies() {
        String h = Passwords.hash("correct horse battery".toCharArray());
        String[] parts = h.split("\\$");
        assertEquals("pbkdf2-sha256", parts[0]);
        assertEquals("600000", parts[1]);
        assertTrue(Passwords.verify(h, "correct horse battery".toCharArray()));
        assertFalse(Passwords.verify(h, "correct horse batterx".toCharArray()));
    }

    @Test
    void saltMakesEqualPasswordsHashDifferently() {
        assertNotEquals(Passwords.hash("same password".toCharArray(), 1000),
                Passwords.hash("same password".toCharArray(), 1000));
    }

    @Test
    void olderIterationCountsStillVerify() {
        String h = Passwords.hash("an old password".toCharArray(), 1000);
        assertTrue(Passwords.verify(h, "an old password".toCharArray()));
    }

    @Test
    void malformedOrMissingHashNeverMatches() {
        assertFalse(Passwords.verify(null, "x".toCharArray()));
        assertFalse(Passwords.verify("plain", "plain".toCharArray()));
        assertFalse(Passwords.verify("md5$1$a$b", "x".toCharArray()));
    }

    @Test
    void tokensAreLongRandomAndHashedStably() {
        String t = Tokens.newToken(Tokens.ACCOUNT_PREFIX);
        assertTrue(t.startsWith("rdk_") && t.length() >= 40, t);
        assertNotEquals(t, Tokens.newToken(Tokens.ACCOUNT_PREFIX));
        assertEquals(64, Tokens.sha256(t).length());
        assertEquals(Tokens.sha256(t), Tokens.sha256(t));
    }

    @Test
    void throttleDoublesAfterTheFreeAttemptsUpToTheCap() {
        assertEquals(0, LoginThrottle.waitAfter(3, 3).toSeconds());
        assertEquals(1, LoginThrottle.waitAfter(4, 3).toSeconds());
        assertEquals(2, LoginThrottle.waitAfter(5, 3).toSeconds());
        assertEquals(8, LoginThrottle.waitAfter(7, 3).toSeconds());
        assertEquals(LoginThrottle.MAX_WAIT, LoginThrottle.waitAfter(60, 3));
    }
}
