package org.raddraft.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JWTs signed with a locally generated RSA key set, checked as the identity provider's would be. */
class OidcVerifierTest {

    static final String ISSUER = "https://idp.example.org/realms/hospital";
    static final String AUDIENCE = "raddraft";
    static RSAKey key;
    static RSAKey stranger;
    static OidcVerifier verifier;

    @BeforeAll
    static void keys(@TempDir Path dir) throws Exception {
        key = new RSAKeyGenerator(2048).keyID("hospital-1").generate();
        stranger = new RSAKeyGenerator(2048).keyID("hospital-2").generate();
        Path jwks = dir.resolve("jwks.json");
        Files.writeString(jwks, new JWKSet(key.toPublicJWK()).toString());
        verifier = new OidcVerifier(ISSUER, AUDIENCE, jwks.toString(), "preferred_username", "roles");
    }

    static String jwt(RSAKey signer, String issuer, String audience, long expiresInSeconds, Object roles)
            throws Exception {
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(issuer).audience(audience).subject("u-123")
                .claim("preferred_username", "dr-oidc").claim("roles", roles)
                .expirationTime(new Date(System.currentTimeMillis() + expiresInSeconds * 1000))
                .issueTime(new Date()).build();
        SignedJWT t = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(signer.getKeyID()).build(), claims);
        t.sign(new RSASSASigner(signer));
        return t.serialize();
    }

    @Test
    void rightIssuerAndAudienceIsAccepted() throws Exception {
        OidcVerifier.Claims c = verifier.verify(jwt(key, ISSUER, AUDIENCE, 300, List.of("offline_access", "radiologist")));
        assertEquals("dr-oidc", c.name());
        assertEquals(Role.RADIOLOGIST, c.role());
    }

    @Test
    void wrongAudienceIsRefused() throws Exception {
        AccessDenied d = assertThrows(AccessDenied.class, () -> verifier.verify(jwt(key, ISSUER, "other-app", 300, "radiologist")));
        assertEquals(401, d.status());
        assertTrue(d.getMessage().contains("aud claim rejected"), d.getMessage());
    }

    @Test
    void wrongIssuerIsRefused() throws Exception {
        assertEquals(401, assertThrows(AccessDenied.class,
                () -> verifier.verify(jwt(key, "https://evil.example", AUDIENCE, 300, "radiologist"))).status());
    }

    @Test
    void expiredIsRefused() throws Exception {
        AccessDenied d = assertThrows(AccessDenied.class, () -> verifier.verify(jwt(key, ISSUER, AUDIENCE, -600, "radiologist")));
        assertEquals(401, d.status());
        assertTrue(d.getMessage().toLowerCase().contains("expired"), d.getMessage());
    }

    @Test
    void unknownKeyIsRefused() throws Exception {
        assertEquals(401, assertThrows(AccessDenied.class,
                () -> verifier.verify(jwt(stranger, ISSUER, AUDIENCE, 300, "radiologist"))).status());
    }

    @Test
    void tamperedSignatureIsRefused() throws Exception {
        String t = jwt(key, ISSUER, AUDIENCE, 300, "radiologist");
        String forged = t.substring(0, t.lastIndexOf('.') + 1) + "AAAA" + t.substring(t.lastIndexOf('.') + 5);
        assertEquals(401, assertThrows(AccessDenied.class, () -> verifier.verify(forged)).status());
    }

    @Test
    void exactlyOneRadDraftRoleIsRequired() throws Exception {
        assertEquals(403, assertThrows(AccessDenied.class,
                () -> verifier.verify(jwt(key, ISSUER, AUDIENCE, 300, List.of("radiologist", "admin")))).status());
        assertEquals(403, assertThrows(AccessDenied.class,
                () -> verifier.verify(jwt(key, ISSUER, AUDIENCE, 300, "nurse"))).status());
        assertEquals(Role.ADMIN, verifier.verify(jwt(key, ISSUER, AUDIENCE, 300, "admin")).role());
    }
}
