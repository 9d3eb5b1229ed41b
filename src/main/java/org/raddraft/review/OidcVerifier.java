package org.raddraft.review;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * OIDC access tokens (JWT) from the hospital's identity provider, checked with nimbus-jose-jwt:
 * signature by a key of the configured JWKS (a file, or an https URL that is cached and refreshed on
 * an unknown key id), {@code iss} equal to the issuer, {@code aud} containing the audience,
 * {@code exp} in the future (60 s clock skew), and exactly one RadDraft role in the roles claim.
 */
public final class OidcVerifier {

    /** What a valid token says: who ({@code iss} + {@code sub}), under which name, with which role. */
    record Claims(String issuer, String subject, String name, Role role) {
    }

    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    private final String usernameClaim;
    private final String rolesClaim;

    /**
     * @param jwks a file path, or an http(s) URL of the identity provider's JWKS
     */
    public OidcVerifier(String issuer, String audience, String jwks, String usernameClaim, String rolesClaim)
            throws IOException, ParseException {
        this.usernameClaim = usernameClaim;
        this.rolesClaim = rolesClaim;
        JWKSource<SecurityContext> keys = jwks.startsWith("https://") || jwks.startsWith("http://")
                ? JWKSourceBuilder.create(URI.create(jwks).toURL()).build()
                : new ImmutableJWKSet<>(JWKSet.load(Path.of(jwks).toFile()));
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(
                Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512, JWSAlgorithm.PS256,
                        JWSAlgorithm.ES256, JWSAlgorithm.ES384), keys));
        processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(audience,
                new JWTClaimsSet.Builder().issuer(issuer).build(), Set.of("sub", "exp", usernameClaim)));
    }

    /** True when the bearer value is shaped like a JWT (header.payload.signature). */
    static boolean looksLikeJwt(String token) {
        return token.chars().filter(ch -> ch == '.').count() == 2;
    }

    Claims verify(String token) throws AccessDenied {
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (ParseException e) {
            throw new AccessDenied(401, "the bearer token is not a well-formed JWT");
        } catch (BadJOSEException e) {
            // nimbus' messages say which check failed (audience, expiry, signature, unknown key) and hold no secret
            throw new AccessDenied(401, "the OIDC token was refused: " + e.getMessage());
        } catch (JOSEException e) {
            throw new AccessDenied(401, "the OIDC token could not be checked: " + e.getMessage());
        }
        List<Role> roles = new ArrayList<>();
        for (String value : roleValues(claims.getClaim(rolesClaim))) {
            for (Role r : Role.values()) {
                if (r.code().equals(value)) {
                    roles.add(r);
                }
            }
        }
        if (roles.size() != 1) {
            throw new AccessDenied(403, "the OIDC token's claim '" + rolesClaim + "' must name exactly one RadDraft role ("
                    + Role.codes() + "); it names " + roles.size());
        }
        Object name = claims.getClaim(usernameClaim);
        return new Claims(claims.getIssuer(), claims.getSubject(), name instanceof String n ? n : null, roles.get(0));
    }

    private static List<String> roleValues(Object claim) {
        if (claim instanceof String s) {
            return List.of(s.split("[ ,]+"));
        }
        if (claim instanceof Collection<?> c) {
            return c.stream().map(String::valueOf).toList();
        }
        return List.of();
    }
}
