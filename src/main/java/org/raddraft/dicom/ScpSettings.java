package org.raddraft.dicom;

import java.net.InetAddress;
import java.nio.file.Path;

/**
 * The {@code dicom:scp} endpoint's parameters, checked once ({@link DicomEndpoint#scpSettings()})
 * and trusted from then on.
 */
record ScpSettings(InetAddress bind, int port, String aeTitle, AcceptedPeers allowedPeers, int maxAssociations,
                   TlsServerSockets.Settings tls, Path spoolDir, Path receiveDir, long minFreeBytes, int maxPduLength,
                   int requestTimeoutMs, int idleTimeoutMs, int shutdownTimeoutMs, int maxAssociationsPerHost,
                   long maxInstanceBytes) {

    boolean tlsEnabled() {
        return tls != null;
    }
}
