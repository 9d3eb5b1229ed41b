package org.raddraft.dicom;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Arrays;
import java.util.List;

/**
 * TLS listening sockets restricted to the BCP 195 (RFC 9325) profile: TLS 1.2 and 1.3 only, and only
 * forward-secret AEAD cipher suites (ECDHE with AES-GCM or ChaCha20-Poly1305). With a truststore,
 * clients must present a certificate it trusts.
 */
final class TlsServerSockets {

    static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    static final List<String> CIPHER_SUITES = List.of(
            "TLS_AES_256_GCM_SHA384",
            "TLS_AES_128_GCM_SHA256",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    /** TLS material, checked: a keystore with the server key, optionally a truststore for client certs. */
    record Settings(Path keystore, char[] keystorePassword, Path truststore, char[] truststorePassword) {
    }

    private TlsServerSockets() {
    }

    static SSLContext context(Settings tls) throws IOException, GeneralSecurityException {
        KeyStore keys = KeyStore.getInstance(tls.keystore().toFile(), tls.keystorePassword());
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, tls.keystorePassword());
        TrustManagerFactory tmf = null;
        if (tls.truststore() != null) {
            KeyStore trust = KeyStore.getInstance(tls.truststore().toFile(), tls.truststorePassword());
            tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
        return context;
    }

    static ServerSocket open(SSLContext context, boolean requireClientCertificates, InetAddress bind, int port,
                             int backlog) throws IOException {
        SSLServerSocket socket = (SSLServerSocket) context.getServerSocketFactory()
                .createServerSocket(port, backlog, bind);
        String[] supported = socket.getSupportedCipherSuites();
        String[] suites = CIPHER_SUITES.stream().filter(s -> Arrays.asList(supported).contains(s))
                .toArray(String[]::new);
        if (suites.length == 0) {
            socket.close();
            throw new IOException("this JDK supports none of the BCP 195 cipher suites " + CIPHER_SUITES);
        }
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setProtocols(PROTOCOLS.toArray(String[]::new));
        parameters.setCipherSuites(suites);
        parameters.setUseCipherSuitesOrder(true);
        parameters.setNeedClientAuth(requireClientCertificates);
        socket.setSSLParameters(parameters);
        return socket;
    }
}
