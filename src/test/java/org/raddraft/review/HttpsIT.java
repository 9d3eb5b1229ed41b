package org.raddraft.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.TlsKeys;

/** http.tls.keystore set: the one HTTP port speaks HTTPS only (TLS 1.2/1.3), the keystore password from the environment. */
class HttpsIT {

    @TempDir
    Path tmp;

    @Test
    void httpPortServesHttpsOnlyWithTheConfiguredKey() throws Exception {
        TlsKeys keys = TlsKeys.make(Files.createDirectories(tmp.resolve("keys")));
        try (DaemonProcess d = new DaemonProcess(tmp.resolve("home"), Map.of("http.tls.keystore", keys.serverKeystore().toString()))
                .env("HTTP_TLS_KEYSTORE_PASSWORD", keys.password()).start()) {
            assertTrue(d.baseUrl().startsWith("https://"));
            assertEquals(200, d.httpStatus("/health/live"), "health over HTTPS, trusting the daemon's certificate");
            String token = d.token("integration");
            HttpResponse<String> meta = d.request("GET", "/fhir/metadata", token, Map.of(), null);
            assertEquals(200, meta.statusCode(), meta.body());
            assertEquals(401, d.request("GET", "/fhir/metadata", null, Map.of(), null).statusCode());

            // plain HTTP on the same port gets no answer a client could mistake for the API
            HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpRequest http = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + d.httpPort + "/health/live"))
                    .timeout(Duration.ofSeconds(5)).build();
            int status;
            try {
                status = plain.send(http, HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (java.io.IOException e) {
                status = -1;
            }
            assertTrue(status == -1 || status == 400, "plain HTTP refused, got " + status);

            // a client that does not trust the certificate fails the handshake
            HttpClient untrusting = HttpClient.newHttpClient();
            assertThrows(SSLHandshakeException.class, () -> untrusting.send(HttpRequest.newBuilder(
                    URI.create(d.baseUrl() + "/health/live")).build(), HttpResponse.BodyHandlers.discarding()));

            // TLS 1.1 is not offered
            SSLParameters old = new SSLParameters();
            old.setProtocols(new String[] {"TLSv1.1"});
            HttpClient tls11 = HttpClient.newBuilder().sslContext(javax.net.ssl.SSLContext.getDefault()).sslParameters(old).build();
            assertThrows(java.io.IOException.class, () -> tls11.send(HttpRequest.newBuilder(
                    URI.create(d.baseUrl() + "/health/live")).build(), HttpResponse.BodyHandlers.discarding()));
        }
    }
}
