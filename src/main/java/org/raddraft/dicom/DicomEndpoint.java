package org.raddraft.dicom;

import com.pixelmed.network.AssociationFactory;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code dicom:scp} endpoint. Parameters (empty string = not set, for the optional ones):
 * <ul>
 *   <li>{@code bind} address to listen on (default 0.0.0.0, all interfaces); {@code port} (default
 *       11112; 0 = ephemeral, see {@link DicomScpConsumer#getLocalPort()}); {@code aeTitle} our AE
 *       title, which callers must use as called AE (default RADDRAFT)</li>
 *   <li>{@code allowedPeers}: {@code AE} or {@code AE@host}, comma-separated; {@code *} = any AE.
 *       Empty accepts nobody.</li>
 *   <li>{@code maxAssociations} concurrent associations (default 10); beyond it A-ASSOCIATE-RJ
 *       transient, local-limit-exceeded</li>
 *   <li>{@code tlsEnabled}, {@code tlsKeystore} (PKCS12 or JKS), {@code tlsKeystorePassword},
 *       {@code tlsTruststore} (if set, client certificates are required and checked against it),
 *       {@code tlsTruststorePassword} (default: the keystore password)</li>
 *   <li>{@code spoolDir}: received files go to {@code <spoolDir>/tmp/*.part}, or to {@code receiveDir}
 *       when set (a directory of {@code <spoolDir>/tmp} of this node's own); {@code minFreeMb}
 *       free space below which C-STORE answers A700 (default 1024)</li>
 *   <li>{@code maxPduLength} (default PixelMed's), {@code requestTimeoutSeconds} to get the whole
 *       A-ASSOCIATE-RQ, TLS handshake included (default 30; a deadline, not a per-read timeout),
 *       {@code idleTimeoutSeconds} between messages (default 300), {@code shutdownTimeoutSeconds} to
 *       let associations finish on stop (default 10)</li>
 *   <li>{@code maxAssociationsPerHost} concurrent associations from one IP address (default 0 = as
 *       {@code maxAssociations}); beyond it A-ASSOCIATE-RJ transient, local-limit-exceeded</li>
 *   <li>{@code maxInstanceMb} largest data set accepted (default 0 = no limit); a larger one is
 *       answered A700 and nothing of it kept</li>
 * </ul>
 */
public class DicomEndpoint extends DefaultEndpoint {

    private String bind = "0.0.0.0";
    private int port = 11112;
    private String aeTitle = "RADDRAFT";
    private String allowedPeers = "";
    private int maxAssociations = 10;
    private boolean tlsEnabled;
    private String tlsKeystore = "";
    private String tlsKeystorePassword = "";
    private String tlsTruststore = "";
    private String tlsTruststorePassword = "";
    private String spoolDir;
    private String receiveDir = "";
    private long minFreeMb = 1024;
    private int maxPduLength = AssociationFactory.getDefaultMaximumLengthReceived();
    private int requestTimeoutSeconds = 30;
    private int idleTimeoutSeconds = 300;
    private int shutdownTimeoutSeconds = 10;
    private int maxAssociationsPerHost;
    private long maxInstanceMb;

    public DicomEndpoint(String uri, DicomComponent component) {
        super(uri, component);
    }

    @Override
    public Producer createProducer() {
        throw new UnsupportedOperationException("dicom:scp is consumer-only (from:), it cannot be used in to:");
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        DicomScpConsumer consumer = new DicomScpConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }

    /**
     * Checks every parameter and returns them as trusted settings.
     *
     * @throws IllegalArgumentException naming the parameter, what is wrong and what to write instead
     */
    ScpSettings scpSettings() {
        InetAddress bindAddress;
        try {
            bindAddress = InetAddress.getByName(bind == null || bind.isBlank() ? "0.0.0.0" : bind.trim());
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bind '" + bind + "' is not an address of this host: write an IP "
                    + "address such as 0.0.0.0 (all interfaces) or 127.0.0.1", e);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is out of range: write 1..65535 (or 0 for any free port)");
        }
        String ae = AeTitles.check(aeTitle == null ? null : aeTitle.trim(), "aeTitle");
        AcceptedPeers peers = AcceptedPeers.parse(allowedPeers);
        if (maxAssociations < 1) {
            throw new IllegalArgumentException("maxAssociations " + maxAssociations + " must be at least 1");
        }
        if (spoolDir == null || spoolDir.isBlank()) {
            throw new IllegalArgumentException("spoolDir is not set: write the spool directory, e.g. /var/lib/raddraft/spool");
        }
        if (minFreeMb < 0) {
            throw new IllegalArgumentException("minFreeMb " + minFreeMb + " must be 0 or more");
        }
        TlsServerSockets.Settings tls = null;
        if (tlsEnabled) {
            Path keystore = optionalPath(tlsKeystore);
            if (keystore == null || !Files.isReadable(keystore)) {
                throw new IllegalArgumentException("tlsEnabled is true but tlsKeystore '" + tlsKeystore
                        + "' is not a readable file: write the path of a PKCS12 keystore holding the server key");
            }
            Path truststore = optionalPath(tlsTruststore);
            if (truststore != null && !Files.isReadable(truststore)) {
                throw new IllegalArgumentException("tlsTruststore '" + tlsTruststore
                        + "' is not a readable file: write the path of a PKCS12 truststore, or leave it empty");
            }
            char[] keyPassword = tlsKeystorePassword == null ? new char[0] : tlsKeystorePassword.toCharArray();
            char[] trustPassword = tlsTruststorePassword == null || tlsTruststorePassword.isEmpty()
                    ? keyPassword : tlsTruststorePassword.toCharArray();
            tls = new TlsServerSockets.Settings(keystore, keyPassword, truststore, trustPassword);
        }
        if (maxPduLength < 4096 || requestTimeoutSeconds < 1 || idleTimeoutSeconds < 1 || shutdownTimeoutSeconds < 0) {
            throw new IllegalArgumentException("maxPduLength must be >= 4096, requestTimeoutSeconds and "
                    + "idleTimeoutSeconds >= 1, shutdownTimeoutSeconds >= 0");
        }
        if (maxAssociationsPerHost < 0 || maxInstanceMb < 0) {
            throw new IllegalArgumentException("maxAssociationsPerHost and maxInstanceMb must be 0 (no limit of"
                    + " their own) or more");
        }
        Path spool = Path.of(spoolDir.trim());
        Path receive = receiveDir == null || receiveDir.isBlank() ? spool.resolve("tmp") : Path.of(receiveDir.trim());
        if (!receive.toAbsolutePath().normalize().startsWith(spool.toAbsolutePath().normalize().resolve("tmp"))) {
            throw new IllegalArgumentException("receiveDir '" + receiveDir + "' must be spoolDir/tmp or a directory in it"
                    + " (the received files are renamed into the spool: same file system)");
        }
        return new ScpSettings(bindAddress, port, ae, peers, maxAssociations, tls, spool, receive,
                minFreeMb * 1024 * 1024, maxPduLength, requestTimeoutSeconds * 1000, idleTimeoutSeconds * 1000,
                shutdownTimeoutSeconds * 1000,
                maxAssociationsPerHost == 0 ? maxAssociations : Math.min(maxAssociationsPerHost, maxAssociations),
                maxInstanceMb == 0 ? Long.MAX_VALUE : maxInstanceMb * 1024 * 1024);
    }

    private static Path optionalPath(String value) {
        return value == null || value.isBlank() ? null : Path.of(value.trim());
    }

    public String getBind() {
        return bind;
    }

    public void setBind(String bind) {
        this.bind = bind;
    }

    public int getPort() {
        return port;
    }

    public void setPort(int port) {
        this.port = port;
    }

    public String getAeTitle() {
        return aeTitle;
    }

    public void setAeTitle(String aeTitle) {
        this.aeTitle = aeTitle;
    }

    public String getAllowedPeers() {
        return allowedPeers;
    }

    public void setAllowedPeers(String allowedPeers) {
        this.allowedPeers = allowedPeers;
    }

    public int getMaxAssociations() {
        return maxAssociations;
    }

    public void setMaxAssociations(int maxAssociations) {
        this.maxAssociations = maxAssociations;
    }

    public boolean isTlsEnabled() {
        return tlsEnabled;
    }

    public void setTlsEnabled(boolean tlsEnabled) {
        this.tlsEnabled = tlsEnabled;
    }

    public String getTlsKeystore() {
        return tlsKeystore;
    }

    public void setTlsKeystore(String tlsKeystore) {
        this.tlsKeystore = tlsKeystore;
    }

    public String getTlsKeystorePassword() {
        return tlsKeystorePassword;
    }

    public void setTlsKeystorePassword(String tlsKeystorePassword) {
        this.tlsKeystorePassword = tlsKeystorePassword;
    }

    public String getTlsTruststore() {
        return tlsTruststore;
    }

    public void setTlsTruststore(String tlsTruststore) {
        this.tlsTruststore = tlsTruststore;
    }

    public String getTlsTruststorePassword() {
        return tlsTruststorePassword;
    }

    public void setTlsTruststorePassword(String tlsTruststorePassword) {
        this.tlsTruststorePassword = tlsTruststorePassword;
    }

    public String getSpoolDir() {
        return spoolDir;
    }

    public void setSpoolDir(String spoolDir) {
        this.spoolDir = spoolDir;
    }

    public String getReceiveDir() {
        return receiveDir;
    }

    public void setReceiveDir(String receiveDir) {
        this.receiveDir = receiveDir;
    }

    public long getMinFreeMb() {
        return minFreeMb;
    }

    public void setMinFreeMb(long minFreeMb) {
        this.minFreeMb = minFreeMb;
    }

    public int getMaxPduLength() {
        return maxPduLength;
    }

    public void setMaxPduLength(int maxPduLength) {
        this.maxPduLength = maxPduLength;
    }

    public int getRequestTimeoutSeconds() {
        return requestTimeoutSeconds;
    }

    public void setRequestTimeoutSeconds(int requestTimeoutSeconds) {
        this.requestTimeoutSeconds = requestTimeoutSeconds;
    }

    public int getIdleTimeoutSeconds() {
        return idleTimeoutSeconds;
    }

    public void setIdleTimeoutSeconds(int idleTimeoutSeconds) {
        this.idleTimeoutSeconds = idleTimeoutSeconds;
    }

    public int getShutdownTimeoutSeconds() {
        return shutdownTimeoutSeconds;
    }

    public void setShutdownTimeoutSeconds(int shutdownTimeoutSeconds) {
        this.shutdownTimeoutSeconds = shutdownTimeoutSeconds;
    }

    public int getMaxAssociationsPerHost() {
        return maxAssociationsPerHost;
    }

    public void setMaxAssociationsPerHost(int maxAssociationsPerHost) {
        this.maxAssociationsPerHost = maxAssociationsPerHost;
    }

    public long getMaxInstanceMb() {
        return maxInstanceMb;
    }

    public void setMaxInstanceMb(long maxInstanceMb) {
        this.maxInstanceMb = maxInstanceMb;
    }
}
