package org.raddraft.dicom;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomOutputStream;
import com.pixelmed.dicom.TagFromName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * C-STORE SCU (PS3.4 Annex B, PS3.7 9.1.1, PS3.8): sends one Part 10 file in its own association and
 * reports exactly what the peer answered. Written on RadDraft's own upper layer code, as the SCP is,
 * because the SCU must tell a warning from a success and a permanent failure from a transient one,
 * give the peer's reason (A-ASSOCIATE-RJ fields, DIMSE status and Error Comment), never wait forever
 * (connect and response timeouts), and use its own TLS settings; PixelMed's StorageSOPClassSCU gives
 * only counts, opens sockets without timeouts and takes TLS from JVM-wide defaults.
 *
 * <p>Outcomes: 0000 success, a Bxxx warning (the peer stored the instance, maybe coerced) and 0111
 * (duplicate SOP instance: the peer already holds this very instance, e.g. from an attempt whose
 * response was lost) are {@link Stored}; everything else is a {@link StoreFailure}, permanent or not
 * as {@link #permanentStatus} and the association rejection say.
 */
public final class StoreScu {

    private static final Logger LOG = LoggerFactory.getLogger(StoreScu.class);

    static final String EXPLICIT_VR_LE = "1.2.840.10008.1.2.1";
    static final String IMPLICIT_VR_LE = "1.2.840.10008.1.2";
    private static final String APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1";
    /** RadDraft's Implementation Class UID: a name-based UUID, the same in every installation. */
    static final String IMPLEMENTATION_CLASS_UID = DicomUids.forName("org.raddraft.dicom.StoreScu");
    static final String IMPLEMENTATION_VERSION = "RADDRAFT_0_1";
    private static final int MAX_PDU_RECEIVED = 65536;
    private static final int PRESENTATION_CONTEXT_ID = 1;
    private static final int DUPLICATE_SOP_INSTANCE = 0x0111;

    /**
     * Where to send and how: the peer's address and AE title, our (calling) AE title, timeouts in
     * milliseconds, and TLS ({@code null}: plain TCP).
     */
    public record Peer(String host, int port, String calledAe, String callingAe, int connectTimeoutMs,
                       int responseTimeoutMs, Tls tls) {

        public Peer {
            AeTitles.check(calledAe, "called AE title");
            AeTitles.check(callingAe, "calling AE title");
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " is out of range 1..65535");
            }
        }

        @Override
        public String toString() {
            return calledAe + "@" + host + ":" + port + (tls == null ? "" : " (TLS)");
        }
    }

    /**
     * TLS as the DICOM secure transport connection profile: TLS 1.2/1.3 with BCP 195 cipher suites,
     * the peer's certificate checked against {@code truststore} (PKCS12 or JKS; null: the JDK's CAs)
     * and its host name; {@code keystore} (may be null) holds a client certificate for peers that ask.
     */
    public record Tls(Path truststore, char[] truststorePassword, Path keystore, char[] keystorePassword) {
    }

    /** The peer stored the instance: status 0000, a Bxxx warning, or 0111 (it already had it). */
    public record Stored(int status, String errorComment) {

        public boolean warning() {
            return status != DimseMessages.SUCCESS;
        }

        public String statusHex() {
            return String.format("%04X", status);
        }
    }

    private StoreScu() {
    }

    /**
     * Sends the file and waits for the C-STORE-RSP, then releases the association.
     *
     * @throws StoreFailure with the peer's reason when the instance was not stored
     * @throws DicomFormatException when the file is not a DICOM Part 10 file
     */
    public static Stored store(Peer peer, Path part10File) throws StoreFailure, DicomFormatException {
        AttributeList list = DicomAttributes.parse(part10File, null);
        String sopClass = Attribute.getSingleStringValueOrNull(list, TagFromName.SOPClassUID);
        String sopInstance = Attribute.getSingleStringValueOrNull(list, TagFromName.SOPInstanceUID);
        String fileSyntax = Attribute.getSingleStringValueOrNull(list, TagFromName.TransferSyntaxUID);
        if (sopClass == null || sopInstance == null || fileSyntax == null) {
            throw new DicomFormatException(part10File + " lacks SOP Class, SOP Instance or Transfer Syntax UID");
        }
        long start = System.nanoTime();
        try (Socket socket = connect(peer)) {
            PduInput in = new PduInput(socket.getInputStream());
            socket.getOutputStream().write(associateRequest(peer, sopClass, proposedSyntaxes(fileSyntax)));
            socket.getOutputStream().flush();
            Accepted accepted = awaitAccept(peer, in, sopClass);
            PduOutput out = new PduOutput(socket.getOutputStream(), accepted.peerMaxPduLength());
            byte[] dataSet = encode(list, accepted.transferSyntax());
            out.sendCommand(PRESENTATION_CONTEXT_ID, DimseMessages.cStoreRequest(1, sopClass, sopInstance));
            out.sendDataSet(PRESENTATION_CONTEXT_ID, dataSet);
            DimseMessages.Response rsp = DimseMessages.parseResponse(readCommand(peer, in));
            if (rsp.commandField() != DimseMessages.C_STORE_RSP || rsp.messageIdBeingRespondedTo() != 1) {
                throw new IOException(peer + " answered the C-STORE-RQ with command " + rsp.commandField()
                        + " for message " + rsp.messageIdBeingRespondedTo());
            }
            release(out, in);
            long ms = (System.nanoTime() - start) / 1_000_000;
            String line = String.format("C-STORE-RQ to %s sop=%s status=%04X%s %d ms", peer, sopInstance, rsp.status(),
                    rsp.errorComment() == null ? "" : " (" + rsp.errorComment() + ")", ms);
            if (rsp.status() == DimseMessages.SUCCESS) {
                LOG.info(line);
            } else if (storedWithWarning(rsp.status())) {
                LOG.warn(line + ": stored with a warning");
            } else {
                LOG.warn(line);
                throw new StoreFailure(permanentStatus(rsp.status()), String.format("%s answered C-STORE status %04X%s",
                        peer, rsp.status(), rsp.errorComment() == null ? "" : " (" + rsp.errorComment() + ")"));
            }
            return new Stored(rsp.status(), rsp.errorComment());
        } catch (StoreFailure e) {
            throw e;
        } catch (SSLException e) {
            throw new StoreFailure(true, "TLS with " + peer + " failed: " + e.getMessage()
                    + " (check delivery.dicom.tls.truststore and the peer's certificate)", e);
        } catch (ConnectException e) {
            throw new StoreFailure(false, "connection to " + peer + " refused: " + e.getMessage(), e);
        } catch (SocketTimeoutException e) {
            throw new StoreFailure(false, "no answer from " + peer + " within the timeout: " + e.getMessage(), e);
        } catch (IOException | GeneralSecurityException e) {
            throw new StoreFailure(false, "C-STORE to " + peer + " failed: " + e, e);
        }
    }

    /** Storage statuses (PS3.4 B.2.3) and general ones (PS3.7 C) after which a retry can succeed. */
    static boolean permanentStatus(int status) {
        int high = status & 0xFF00;
        boolean transientStatus = high == 0xA700 // Refused: Out of Resources
                || status == 0x0110              // Processing failure
                || status == 0x0213              // Resource limitation
                || status == 0x0210              // Duplicate invocation
                || status == 0xFE00;             // Cancel
        return !transientStatus;
    }

    private static boolean storedWithWarning(int status) {
        return (status & 0xF000) == 0xB000 || status == DUPLICATE_SOP_INSTANCE;
    }

    private static Socket connect(Peer peer) throws IOException, GeneralSecurityException {
        Socket plain = new Socket();
        try {
            plain.setTcpNoDelay(true);
            plain.setSoTimeout(peer.responseTimeoutMs());
            plain.connect(new InetSocketAddress(peer.host(), peer.port()), peer.connectTimeoutMs());
            if (peer.tls() == null) {
                return plain;
            }
            SSLSocket tls = (SSLSocket) tlsContext(peer.tls()).getSocketFactory()
                    .createSocket(plain, peer.host(), peer.port(), true);
            SSLParameters parameters = tls.getSSLParameters();
            List<String> supported = Arrays.asList(tls.getSupportedCipherSuites());
            parameters.setProtocols(TlsServerSockets.PROTOCOLS.toArray(String[]::new));
            parameters.setCipherSuites(TlsServerSockets.CIPHER_SUITES.stream().filter(supported::contains)
                    .toArray(String[]::new));
            parameters.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host
            tls.setSSLParameters(parameters);
            tls.startHandshake();
            return tls;
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    private static SSLContext tlsContext(Tls tls) throws IOException, GeneralSecurityException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(tls.truststore() == null ? null : KeyStore.getInstance(tls.truststore().toFile(), tls.truststorePassword()));
        KeyManagerFactory kmf = null;
        if (tls.keystore() != null) {
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(KeyStore.getInstance(tls.keystore().toFile(), tls.keystorePassword()), tls.keystorePassword());
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }

    /** The file's own syntax first; an uncompressed file may also go in the other uncompressed syntax. */
    private static List<String> proposedSyntaxes(String fileSyntax) {
        Set<String> syntaxes = new LinkedHashSet<>(List.of(fileSyntax));
        if (fileSyntax.equals(EXPLICIT_VR_LE) || fileSyntax.equals(IMPLICIT_VR_LE)) {
            syntaxes.add(EXPLICIT_VR_LE);
            syntaxes.add(IMPLICIT_VR_LE);
        }
        return new ArrayList<>(syntaxes);
    }

    /** A-ASSOCIATE-RQ (PS3.8 9.3.2): one presentation context, the SOP class in the proposed syntaxes. */
    static byte[] associateRequest(Peer peer, String sopClass, List<String> syntaxes) {
        ByteArrayOutputStream items = new ByteArrayOutputStream();
        item(items, 0x10, ascii(APPLICATION_CONTEXT));
        ByteArrayOutputStream context = new ByteArrayOutputStream();
        context.writeBytes(new byte[] {PRESENTATION_CONTEXT_ID, 0, 0, 0});
        item(context, 0x30, ascii(sopClass));
        for (String syntax : syntaxes) {
            item(context, 0x40, ascii(syntax));
        }
        item(items, 0x20, context.toByteArray());
        ByteArrayOutputStream user = new ByteArrayOutputStream();
        item(user, 0x51, new byte[] {(byte) (MAX_PDU_RECEIVED >>> 24), (byte) (MAX_PDU_RECEIVED >>> 16),
            (byte) (MAX_PDU_RECEIVED >>> 8), (byte) MAX_PDU_RECEIVED});
        item(user, 0x52, ascii(IMPLEMENTATION_CLASS_UID));
        item(user, 0x55, ascii(IMPLEMENTATION_VERSION));
        item(items, 0x50, user.toByteArray());

        byte[] variable = items.toByteArray();
        byte[] pdu = new byte[74 + variable.length];
        pdu[0] = PduType.A_ASSOCIATE_RQ;
        int length = pdu.length - 6;
        pdu[2] = (byte) (length >>> 24);
        pdu[3] = (byte) (length >>> 16);
        pdu[4] = (byte) (length >>> 8);
        pdu[5] = (byte) length;
        pdu[7] = 1; // protocol version
        aeTitle(pdu, 10, peer.calledAe());
        aeTitle(pdu, 26, peer.callingAe());
        System.arraycopy(variable, 0, pdu, 74, variable.length);
        return pdu;
    }

    /** What the peer accepted: the transfer syntax of our presentation context and its maximum PDU length. */
    record Accepted(String transferSyntax, int peerMaxPduLength) {
    }

    private static Accepted awaitAccept(Peer peer, PduInput in, String sopClass) throws IOException, StoreFailure {
        int type = in.readUnsignedByte();
        in.readUnsignedByte();
        byte[] body = body(in);
        if (type == PduType.A_ASSOCIATE_RJ && body.length >= 4) {
            int result = body[1] & 0xff;
            int source = body[2] & 0xff;
            int reason = body[3] & 0xff;
            throw new StoreFailure(result == 1, String.format("%s rejected the association: %s (result %d %s, source %d, "
                            + "reason %d)", peer, rejectReason(source, reason), result,
                    result == 1 ? "rejected-permanent" : "rejected-transient", source, reason));
        }
        if (type == PduType.A_ABORT) {
            throw new StoreFailure(false, peer + " aborted the association request (A-ABORT source "
                    + (body.length > 2 ? body[2] & 0xff : -1) + ", reason " + (body.length > 3 ? body[3] & 0xff : -1) + ")");
        }
        if (type != PduType.A_ASSOCIATE_AC) {
            throw new IOException(peer + " answered the A-ASSOCIATE-RQ with PDU type " + type);
        }
        String syntax = null;
        int result = -1;
        int maxPdu = 0;
        for (int i = 68; i + 4 <= body.length; ) {
            int itemType = body[i] & 0xff;
            int length = u16(body, i + 2);
            int end = Math.min(body.length, i + 4 + length);
            if (itemType == 0x21 && (body[i + 4] & 0xff) == PRESENTATION_CONTEXT_ID) {
                result = body[i + 6] & 0xff;
                for (int j = i + 8; j + 4 <= end; j += 4 + u16(body, j + 2)) {
                    if ((body[j] & 0xff) == 0x40) {
                        syntax = new String(body, j + 4, u16(body, j + 2), StandardCharsets.US_ASCII).trim();
                    }
                }
            } else if (itemType == 0x50) {
                for (int j = i + 4; j + 8 <= end; j += 4 + u16(body, j + 2)) {
                    if ((body[j] & 0xff) == 0x51) {
                        maxPdu = (int) Math.min(Integer.MAX_VALUE, ((body[j + 4] & 0xffL) << 24)
                                | ((body[j + 5] & 0xff) << 16) | ((body[j + 6] & 0xff) << 8) | (body[j + 7] & 0xff));
                    }
                }
            }
            i = end;
        }
        if (result != 0 || syntax == null) {
            throw new StoreFailure(true, String.format("%s accepted the association but not SOP class %s: %s", peer,
                    sopClass, contextResult(result)));
        }
        return new Accepted(syntax.replace("\0", ""), maxPdu);
    }

    /** The command set of the C-STORE-RSP, from as many P-DATA-TF PDUs as it takes. */
    private static byte[] readCommand(Peer peer, PduInput in) throws IOException, StoreFailure {
        ByteArrayOutputStream command = new ByteArrayOutputStream();
        while (true) {
            int type = in.readUnsignedByte();
            in.readUnsignedByte();
            if (type != PduType.P_DATA_TF) {
                byte[] body = body(in);
                if (type == PduType.A_ABORT) {
                    throw new StoreFailure(false, peer + " aborted the association before answering the C-STORE"
                            + " (A-ABORT source " + (body.length > 2 ? body[2] & 0xff : -1) + ", reason "
                            + (body.length > 3 ? body[3] & 0xff : -1) + ")");
                }
                throw new IOException(peer + " sent PDU type " + type + " instead of the C-STORE-RSP");
            }
            long remaining = in.readUnsignedInt();
            boolean last = false;
            while (remaining > 0) {
                long itemLength = in.readUnsignedInt();
                in.readUnsignedByte(); // presentation context ID
                int control = in.readUnsignedByte();
                if ((control & 0x01) == 0) {
                    throw new IOException(peer + " sent a data set fragment with its C-STORE-RSP");
                }
                in.readInto(command, itemLength - 2);
                remaining -= 4 + itemLength;
                last |= (control & 0x02) != 0;
            }
            if (last) {
                return command.toByteArray();
            }
        }
    }

    /** A-RELEASE-RQ and its -RP; a peer that closes instead has still answered the C-STORE. */
    private static void release(PduOutput out, PduInput in) {
        try {
            out.releaseRequest();
            int type = in.readUnsignedByte();
            in.readUnsignedByte();
            body(in);
            if (type != PduType.A_RELEASE_RP) {
                LOG.debug("peer answered A-RELEASE-RQ with PDU type {}", type);
            }
        } catch (IOException e) {
            LOG.debug("association release: {}", e.toString());
        }
    }

    private static byte[] body(PduInput in) throws IOException {
        long length = in.readUnsignedInt();
        if (length > MAX_PDU_RECEIVED * 4L) {
            throw new IOException("PDU of " + length + " bytes");
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream((int) length);
        in.readInto(body, length);
        return body.toByteArray();
    }

    /** The file's data set, without its meta header, in the accepted transfer syntax (changes {@code file}). */
    private static byte[] encode(AttributeList file, String transferSyntax) throws IOException, StoreFailure {
        try {
            file.removeMetaInformationHeaderAttributes();
            file.removeGroupLengthAttributes();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DicomOutputStream out = new DicomOutputStream(bytes, null, transferSyntax);
            file.write(out);
            out.flush();
            return bytes.toByteArray();
        } catch (DicomException e) {
            throw new StoreFailure(true, "cannot encode the data set in " + transferSyntax + ": " + e.getMessage(), e);
        }
    }

    /** A-ASSOCIATE-RJ source and reason (PS3.8 9.3.4) in words. */
    static String rejectReason(int source, int reason) {
        return switch (source * 10 + reason) {
            case 11 -> "no reason given";
            case 12 -> "application context name not supported";
            case 13 -> "calling AE title not recognized";
            case 17 -> "called AE title not recognized";
            case 21 -> "no reason given (ACSE)";
            case 22 -> "protocol version not supported";
            case 31 -> "temporary congestion";
            case 32 -> "local limit exceeded";
            default -> "reason " + reason + " from source " + source;
        };
    }

    private static String contextResult(int result) {
        return switch (result) {
            case 1 -> "user rejection";
            case 2 -> "no reason (provider rejection)";
            case 3 -> "abstract syntax not supported";
            case 4 -> "transfer syntaxes not supported";
            default -> "no presentation context in the A-ASSOCIATE-AC";
        };
    }

    private static void item(ByteArrayOutputStream out, int type, byte[] value) {
        out.write(type);
        out.write(0);
        out.write(value.length >>> 8);
        out.write(value.length);
        out.writeBytes(value);
    }

    private static void aeTitle(byte[] pdu, int offset, String ae) {
        Arrays.fill(pdu, offset, offset + 16, (byte) ' ');
        byte[] b = ascii(ae);
        System.arraycopy(b, 0, pdu, offset, b.length);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static int u16(byte[] b, int at) {
        return ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
    }
}
