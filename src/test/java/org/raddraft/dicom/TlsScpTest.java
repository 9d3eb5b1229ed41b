package org.raddraft.dicom;

import org.raddraft.testing.Dcmtk;
import org.raddraft.testing.TlsKeys;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLServerSocket;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS on the SCP: keys made at test time (keytool for the Java stores, openssl for DCMTK's PEM
 * files), random password, nothing kept in the repository.
 */
class TlsScpTest {

    @TempDir
    static Path keys;
    static String password;
    static Path serverKeystore;
    static Path serverCert;
    static Path truststore;
    static Path clientKey;
    static Path clientCert;

    @TempDir
    Path dir;
    ScpFixture scp;

    @BeforeAll
    static void makeKeys() throws Exception {
        TlsKeys k = TlsKeys.make(keys);
        password = k.password();
        serverKeystore = k.serverKeystore();
        serverCert = k.serverCert();
        truststore = k.truststore();
        clientKey = k.clientKey();
        clientCert = k.clientCert();
    }

    @AfterEach
    void stop() throws Exception {
        if (scp != null) {
            scp.close();
        }
    }

    private ScpFixture startTls() throws Exception {
        return ScpFixture.start(dir, Map.of("tlsEnabled", "true", "tlsKeystore", serverKeystore.toString(),
                "tlsKeystorePassword", password, "tlsTruststore", truststore.toString()));
    }

    private Dcmtk.Result storeOverTls(Path file) throws Exception {
        return Dcmtk.storescu(scp.port(), "PACS", ScpFixture.AE,
                List.of("+tls", clientKey.toString(), clientCert.toString(), "+cf", serverCert.toString()), file);
    }

    @Test
    void storesAStudyOverTlsWithClientCertificate() throws Exception {
        scp = startTls();
        TestImages.Spec first = TestImages.Spec.chest(12);
        Path a = TestImages.write(dir.resolve("a.dcm"), first);
        Path b = TestImages.write(dir.resolve("b.dcm"), first.inStudy(first.studyUid()));
        Dcmtk.Result r = Dcmtk.storescu(scp.port(), "PACS", ScpFixture.AE,
                List.of("+tls", clientKey.toString(), clientCert.toString(), "+cf", serverCert.toString()), a, b);
        assertTrue(r.ok(), r.toString());
        assertEquals(2, scp.receivedFiles().size(), r.toString());
    }

    @Test
    void plaintextClientFailsCleanlyAndTlsKeepsServing() throws Exception {
        scp = startTls();
        Dcmtk.Result plain = Dcmtk.storescu(scp.port(), "PACS", ScpFixture.AE, List.of("-to", "10"),
                ScpTestSupport.cr(dir, "plain.dcm"));
        assertNotEquals(0, plain.exitCode(), plain.toString());
        assertTrue(plain.output().contains("Association Request Failed"), plain.toString());
        assertEquals(List.of(), scp.instances);

        Dcmtk.Result tls = storeOverTls(ScpTestSupport.cr(dir, "tls.dcm"));
        assertTrue(tls.ok(), tls.toString());
        assertEquals(1, scp.receivedFiles().size());
    }

    @Test
    void requiresAClientCertificateWhenATruststoreIsSet() throws Exception {
        scp = startTls();
        Dcmtk.Result anonymous = Dcmtk.storescu(scp.port(), "PACS", ScpFixture.AE,
                List.of("+tla", "+cf", serverCert.toString()), ScpTestSupport.cr(dir, "a.dcm"));
        assertNotEquals(0, anonymous.exitCode(), anonymous.toString());
        assertEquals(List.of(), scp.instances);
    }

    @Test
    void acceptsAnonymousTlsClientsWithoutTruststore() throws Exception {
        scp = ScpFixture.start(dir, Map.of("tlsEnabled", "true", "tlsKeystore", serverKeystore.toString(),
                "tlsKeystorePassword", password, "tlsTruststore", ""));
        Dcmtk.Result r = Dcmtk.storescu(scp.port(), "PACS", ScpFixture.AE,
                List.of("+tla", "+cf", serverCert.toString()), ScpTestSupport.cr(dir, "a.dcm"));
        assertTrue(r.ok(), r.toString());
        assertEquals(1, scp.receivedFiles().size());
    }

    @Test
    void refusesNonBcp195CipherSuites() throws Exception {
        scp = startTls();
        Dcmtk.Result weak = Dcmtk.run("openssl", "s_client", "-connect", "127.0.0.1:" + scp.port(), "-tls1_2",
                "-cipher", "AES128-SHA256", "-cert", clientCert, "-key", clientKey);
        assertNotEquals(0, weak.exitCode(), weak.toString());
        Dcmtk.Result old = Dcmtk.run("openssl", "s_client", "-connect", "127.0.0.1:" + scp.port(), "-tls1_1",
                "-cert", clientCert, "-key", clientKey);
        assertNotEquals(0, old.exitCode(), old.toString());
    }

    @Test
    void enablesOnlyTls12And13WithAeadForwardSecretSuites() throws Exception {
        var context = TlsServerSockets.context(new TlsServerSockets.Settings(serverKeystore, password.toCharArray(),
                null, null));
        try (SSLServerSocket socket = (SSLServerSocket) TlsServerSockets.open(context, false,
                InetAddress.getLoopbackAddress(), 0, 5)) {
            assertEquals(List.of("TLSv1.3", "TLSv1.2"), Arrays.asList(socket.getSSLParameters().getProtocols()));
            for (String suite : socket.getSSLParameters().getCipherSuites()) {
                assertTrue(TlsServerSockets.CIPHER_SUITES.contains(suite), suite);
                assertTrue(suite.contains("GCM") || suite.contains("CHACHA20"), suite);
                assertTrue(suite.startsWith("TLS_AES") || suite.startsWith("TLS_CHACHA") || suite.startsWith("TLS_ECDHE"),
                        suite);
            }
        }
    }
}
