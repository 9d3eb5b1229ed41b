package org.raddraft.testing;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Keys made at test time with a random password (keytool for the Java stores, openssl for DCMTK's
 * PEM files); nothing is kept in the repository.
 *
 * @param serverKeystore PKCS12 with the SCP's key (CN=localhost)
 * @param serverCert     its certificate in PEM, for storescu +cf
 * @param truststore     PKCS12 trusting the client certificate
 * @param clientKey      PEM key for storescu +tls
 * @param clientCert     PEM certificate for storescu +tls
 */
public record TlsKeys(String password, Path serverKeystore, Path serverCert, Path truststore, Path clientKey,
        Path clientCert) {

    public static TlsKeys make(Path dir) throws Exception {
        byte[] random = new byte[12];
        new SecureRandom().nextBytes(random);
        String password = HexFormat.of().formatHex(random);
        TlsKeys k = new TlsKeys(password, dir.resolve("server.p12"), dir.resolve("server.crt"), dir.resolve("trust.p12"),
                dir.resolve("client.key"), dir.resolve("client.crt"));
        Dcmtk.ok("keytool", "-genkeypair", "-alias", "raddraft", "-keyalg", "RSA", "-keysize", "2048",
                "-dname", "CN=localhost", "-ext", "san=dns:localhost,ip:127.0.0.1", "-validity", "2",
                "-storetype", "PKCS12", "-keystore", k.serverKeystore, "-storepass", password, "-keypass", password);
        Dcmtk.ok("keytool", "-exportcert", "-rfc", "-alias", "raddraft", "-keystore", k.serverKeystore,
                "-storepass", password, "-file", k.serverCert);
        Dcmtk.ok("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", k.clientKey, "-out",
                k.clientCert, "-subj", "/CN=PACS", "-days", "2");
        Dcmtk.ok("keytool", "-importcert", "-noprompt", "-alias", "pacs", "-file", k.clientCert,
                "-storetype", "PKCS12", "-keystore", k.truststore, "-storepass", password);
        return k;
    }

    /** storescu options for TLS with the client certificate, trusting the server's. */
    public java.util.List<String> storescuOptions() {
        return java.util.List.of("+tls", clientKey.toString(), clientCert.toString(), "+cf", serverCert.toString());
    }
}
