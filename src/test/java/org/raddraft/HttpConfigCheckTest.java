package org.raddraft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.TlsKeys;

/** check-config on the review API's transport and sign-in settings. */
class HttpConfigCheckTest {

    @TempDir
    Path dir;

    private List<String> problems(String properties) throws Exception {
        Path f = dir.resolve("r.properties");
        Files.writeString(f, "raddraft.home=" + dir + "\n" + properties);
        return ConfigCheck.problems(Settings.load(f, Map.of(), new Properties()));
    }

    @Test
    void refusesANetworkBindWithoutTls() throws Exception {
        List<String> p = problems("http.bind=0.0.0.0\n");
        assertEquals(1, p.size(), p.toString());
        assertTrue(p.get(0).startsWith("http.bind: 0.0.0.0 is reachable from other hosts but http.tls.keystore is empty"), p.get(0));
        assertTrue(p.get(0).contains("http.allow-insecure-plaintext=true"), p.get(0));
    }

    @Test
    void acceptsANetworkBindWhenTheAdminOptsIntoPlaintextByName() throws Exception {
        assertEquals(List.of(), problems("http.bind=0.0.0.0\nhttp.allow-insecure-plaintext=true\n"));
        assertEquals(List.of(), problems("http.bind=127.0.0.1\n"));
    }

    @Test
    void acceptsANetworkBindWithAKeystoreThatOpens() throws Exception {
        TlsKeys keys = TlsKeys.make(dir);
        assertEquals(List.of(), problems("http.bind=0.0.0.0\nhttp.tls.keystore=" + keys.serverKeystore()
                + "\nhttp.tls.keystore-password=" + keys.password() + "\n"));
        List<String> wrong = problems("http.bind=0.0.0.0\nhttp.tls.keystore=" + keys.serverKeystore()
                + "\nhttp.tls.keystore-password=not-it\n");
        assertEquals(1, wrong.size(), wrong.toString());
        assertTrue(wrong.get(0).contains("does not open as PKCS12 with http.tls.keystore-password"), wrong.get(0));
    }

    @Test
    void oidcNeedsKeysOverTlsOrFromAFile() throws Exception {
        assertTrue(problems("auth.oidc.issuer=https://idp.example/realms/h\n").get(0)
                .startsWith("auth.oidc.jwks: empty but auth.oidc.issuer is set"));
        assertTrue(problems("auth.oidc.issuer=https://idp.example/realms/h\nauth.oidc.jwks=http://idp.example/certs\n").get(0)
                .contains("is plain http"));
        assertEquals(List.of(), problems("auth.oidc.issuer=https://idp.example/realms/h\nauth.oidc.jwks=https://idp.example/certs\n"));
        List<String> p = problems("http.metrics-anonymous=maybe\nauth.session-hours=0\n");
        assertEquals(2, p.size(), p.toString());
        List<String> idle = problems("auth.session-idle-minutes=0\n");
        assertEquals(1, idle.size(), idle.toString());
        assertTrue(idle.get(0).startsWith("auth.session-idle-minutes"), idle.toString());
    }

    @Test
    void trustedProxiesMustBeAddressesOrRangesAndCookieSecureABoolean() throws Exception {
        assertEquals(List.of(), problems("http.trusted-proxies=10.0.0.5, 10.1.0.0/16, ::1\nhttp.cookie-secure=true\n"));
        List<String> p = problems("http.trusted-proxies=proxy.hospital.example\nhttp.cookie-secure=yes\n");
        assertEquals(2, p.size(), p.toString());
        assertTrue(p.stream().anyMatch(x -> x.startsWith("http.trusted-proxies: 'proxy.hospital.example' is not an IP")), p.toString());
        assertTrue(p.stream().anyMatch(x -> x.startsWith("http.cookie-secure: 'yes' is not a boolean")), p.toString());
    }
}
