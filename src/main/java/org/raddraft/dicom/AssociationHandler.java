package org.raddraft.dicom;

import com.pixelmed.network.AssociationFactory;
import com.pixelmed.network.DicomNetworkException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLSocket;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Locale;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One transport connection, from TCP accept to close: TLS handshake (if any), screening of the
 * A-ASSOCIATE-RQ (association limit, called AE, calling AE allow-list) with a real A-ASSOCIATE-RJ,
 * then PixelMed's association acceptor on a socket that replays the request (negotiation only),
 * then our own DIMSE loop (C-ECHO and C-STORE) on the socket until release or abort.
 * PixelMed's P-DATA loop is not used after negotiation: it reads the socket unbuffered and copies
 * every PDV twice, which alone capped ingest at about 250 instances/s of 1 MiB.
 */
final class AssociationHandler implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(AssociationHandler.class);

    /** An A-ASSOCIATE-RQ is a few KB; refuse to buffer anything much larger before accepting. */
    static final int MAX_ASSOCIATE_RQ_LENGTH = 1 << 20;
    /** Fixed part of the A-ASSOCIATE-RQ after the 6-byte PDU header. */
    private static final int FIXED_RQ_FIELDS = 68;

    // A-ASSOCIATE-RJ result / source / reason (PS3.8 Table 9-21)
    static final int REJECTED_PERMANENT = 1;
    static final int REJECTED_TRANSIENT = 2;
    static final int SOURCE_SERVICE_USER = 1;
    static final int SOURCE_SERVICE_PROVIDER_PRESENTATION = 3;
    static final int REASON_CALLING_AE_NOT_RECOGNIZED = 3;
    static final int REASON_CALLED_AE_NOT_RECOGNIZED = 7;
    static final int REASON_LOCAL_LIMIT_EXCEEDED = 2;

    private final Socket socket;
    private final boolean overLimit;
    private final ScpSettings settings;
    private final StorageScp storageScp;
    private final PresentationContextPolicy policy = new PresentationContextPolicy();
    private final String remoteHost;
    private final ScheduledExecutorService deadlines;
    /** Set when the request deadline closed the socket. */
    private final AtomicBoolean deadlinePassed = new AtomicBoolean();

    /** @param deadlines closes the socket when the A-ASSOCIATE-RQ is not complete {@code requestTimeoutMs} after accept */
    AssociationHandler(Socket socket, boolean overLimit, ScpSettings settings, StorageScp storageScp,
                       ScheduledExecutorService deadlines) {
        this.socket = socket;
        this.overLimit = overLimit;
        this.settings = settings;
        this.storageScp = storageScp;
        this.deadlines = deadlines;
        InetAddress remote = socket.getInetAddress();
        this.remoteHost = remote == null ? "?" : remote.getHostAddress();
    }

    /**
     * The request deadline: from accept to A-ASSOCIATE-AC (TLS handshake, request, negotiation) in
     * {@code requestTimeoutMs} all told. The socket timeout alone is per read, and a peer trickling a
     * byte every few seconds would hold an association slot for as long as it liked.
     */
    private ScheduledFuture<?> startDeadline() {
        try {
            return deadlines.schedule(() -> {
                deadlinePassed.set(true);
                closeQuietly();
            }, settings.requestTimeoutMs(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopping) {
            return null;
        }
    }

    @Override
    public void run() {
        ScheduledFuture<?> deadline = startDeadline();
        try {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(settings.requestTimeoutMs());
            if (socket instanceof SSLSocket ssl && !handshake(ssl)) {
                return;
            }
            byte[] rq = readAssociateRequest(socket.getInputStream(), socket.getOutputStream());
            if (rq == null) {
                return;
            }
            String calledAe = AssociateRequests.calledAe(rq);
            String callingAe = AssociateRequests.callingAe(rq);
            if (!screen(calledAe, callingAe)) {
                return;
            }
            ReplayingSocket replaying = new ReplayingSocket(socket, rq);
            AssociationFactory.createNewAssociation(replaying, settings.aeTitle(), settings.maxPduLength(), 0, 0,
                    policy);
            if (deadline != null && !deadline.cancel(false)) {
                return; // negotiated just as the deadline closed the socket
            }
            ScpMetrics.associationAccepted();
            LOG.info("A-ASSOCIATE-AC to {}@{}{}", callingAe, remoteHost, settings.tlsEnabled() ? " (TLS)" : "");
            socket.setSoTimeout(settings.idleTimeoutMs());
            // PixelMed read exactly the replayed A-ASSOCIATE-RQ: the stream is at the first P-DATA-TF
            serve(new PduInput(replaying.getInputStream()),
                    new PduOutput(socket.getOutputStream(), AssociateRequests.maxPduLength(rq)), callingAe);
        } catch (DicomNetworkException | IOException e) {
            if (deadlinePassed.get()) {
                ScpMetrics.associationRejected(ScpMetrics.REQUEST_DEADLINE_PASSED);
                LOG.warn("connection from {} closed: no complete A-ASSOCIATE-RQ within {} s", remoteHost,
                        settings.requestTimeoutMs() / 1000);
            } else if (e instanceof DicomNetworkException) {
                LOG.info("association from {} ended: {}", remoteHost, e.getMessage());
            } else {
                LOG.info("connection from {} ended: {}", remoteHost, e.toString());
            }
        } catch (RuntimeException e) {
            LOG.error("association from {} failed", remoteHost, e);
        } catch (StackOverflowError | OutOfMemoryError e) {
            LOG.error("association from {} aborted: {}", remoteHost, e.getClass().getSimpleName());
        } finally {
            if (deadline != null) {
                deadline.cancel(false);
            }
            closeQuietly();
        }
    }

    private boolean handshake(SSLSocket ssl) {
        try {
            ssl.startHandshake();
            LOG.debug("TLS {} {} with {}", ssl.getSession().getProtocol(), ssl.getSession().getCipherSuite(),
                    remoteHost);
            return true;
        } catch (IOException e) {
            ScpMetrics.associationRejected(ScpMetrics.TLS_HANDSHAKE_FAILED);
            LOG.warn("TLS handshake with {} failed: {}", remoteHost, e.getMessage());
            return false;
        }
    }

    /** The whole A-ASSOCIATE-RQ PDU, header included, or null (after an A-ABORT where due) if it is not one. */
    private byte[] readAssociateRequest(InputStream in, OutputStream out) throws IOException {
        DataInputStream din = new DataInputStream(in);
        byte[] header = new byte[6];
        try {
            din.readFully(header);
        } catch (EOFException | SocketTimeoutException e) {
            LOG.info("connection from {} closed before an A-ASSOCIATE-RQ ({})", remoteHost, e.getClass().getSimpleName());
            return null;
        }
        int type = header[0] & 0xff;
        long length = ((header[2] & 0xffL) << 24) | ((header[3] & 0xff) << 16) | ((header[4] & 0xff) << 8)
                | (header[5] & 0xff);
        if (type != PduType.A_ASSOCIATE_RQ || length < FIXED_RQ_FIELDS || length > MAX_ASSOCIATE_RQ_LENGTH) {
            ScpMetrics.associationRejected(ScpMetrics.NOT_AN_ASSOCIATE_REQUEST);
            LOG.warn("connection from {} did not start with an A-ASSOCIATE-RQ (PDU type 0x{}, length {}): aborting",
                    remoteHost, Integer.toHexString(type), length);
            if (type != PduType.A_ABORT) {
                new PduOutput(out, 0).abort(PduOutput.SOURCE_SERVICE_PROVIDER, PduException.UNEXPECTED_PDU);
            }
            return null;
        }
        byte[] pdu = new byte[6 + (int) length];
        System.arraycopy(header, 0, pdu, 0, 6);
        din.readFully(pdu, 6, (int) length);
        return pdu;
    }

    private boolean screen(String calledAe, String callingAe) throws IOException {
        if (overLimit) {
            reject(REJECTED_TRANSIENT, SOURCE_SERVICE_PROVIDER_PRESENTATION, REASON_LOCAL_LIMIT_EXCEEDED,
                    ScpMetrics.LOCAL_LIMIT_EXCEEDED, callingAe, calledAe);
            return false;
        }
        if (!settings.aeTitle().equals(calledAe)) {
            reject(REJECTED_PERMANENT, SOURCE_SERVICE_USER, REASON_CALLED_AE_NOT_RECOGNIZED,
                    ScpMetrics.CALLED_AE_NOT_RECOGNIZED, callingAe, calledAe);
            return false;
        }
        if (!settings.allowedPeers().accepts(callingAe, socket.getInetAddress())) {
            reject(REJECTED_PERMANENT, SOURCE_SERVICE_USER, REASON_CALLING_AE_NOT_RECOGNIZED,
                    ScpMetrics.CALLING_AE_NOT_RECOGNIZED, callingAe, calledAe);
            return false;
        }
        return true;
    }

    private void reject(int result, int source, int reason, String metricReason, String callingAe, String calledAe)
            throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(associateReject(result, source, reason));
        out.flush();
        ScpMetrics.associationRejected(metricReason);
        LOG.warn("A-ASSOCIATE-RJ to {}@{} called {}: {} (result {}, source {}, reason {})", callingAe, remoteHost,
                calledAe, metricReason, result, source, reason);
    }

    /** An A-ASSOCIATE-RJ PDU (PS3.8 section 9.3.4). */
    static byte[] associateReject(int result, int source, int reason) {
        return new byte[] {PduType.A_ASSOCIATE_RJ, 0, 0, 0, 0, 4, 0, (byte) result, (byte) source, (byte) reason};
    }

    private void serve(PduInput in, PduOutput out, String callingAe) throws IOException {
        ByteBuffer writeBuffer = IncomingInstance.writeBuffer(); // lent to each C-STORE in turn
        DimseRequestReader<IncomingInstance> reader = new DimseRequestReader<>(in, policy::acceptedTransferSyntax,
                (rq, ts) -> rq.commandField() == DimseMessages.C_STORE_RQ
                        ? storageScp.begin(rq, ts, callingAe, writeBuffer) : null);
        try {
            while (true) {
                DimseRequestReader.Request<IncomingInstance> rq = reader.next();
                if (rq == null) {
                    out.releaseResponse();
                    LOG.debug("association with {}@{} released", callingAe, remoteHost);
                    return;
                }
                if (!answer(rq, out, callingAe)) {
                    out.abort(PduOutput.SOURCE_SERVICE_USER, 0);
                    return;
                }
            }
        } catch (PduException e) {
            reader.abandon();
            LOG.warn("{}@{} broke the DICOM upper layer protocol ({}): aborting association", callingAe, remoteHost,
                    e.getMessage());
            out.abort(PduOutput.SOURCE_SERVICE_PROVIDER, e.abortReason());
        } catch (SocketTimeoutException e) {
            reader.abandon();
            LOG.info("association with {}@{} idle for {} s: aborting", callingAe, remoteHost,
                    settings.idleTimeoutMs() / 1000);
            out.abort(PduOutput.SOURCE_SERVICE_PROVIDER, 0);
        } catch (IOException | RuntimeException | Error e) {
            reader.abandon(); // whatever ended the association, no .part file is left behind
            throw e;
        }
    }

    /**
     * Answers one request; false when it is one we do not serve (the caller aborts). Each line is
     * logged after its response went out: the SCU's next request need not wait for our log.
     */
    private boolean answer(DimseRequestReader.Request<IncomingInstance> rq, PduOutput out, String callingAe)
            throws IOException {
        DimseMessages.Command command = rq.command();
        if (command.commandField() == DimseMessages.C_ECHO_RQ) {
            out.sendCommand(rq.presentationContextId(), DimseMessages.cEchoResponse(command));
            LOG.info("C-ECHO-RQ from {}@{} status=0000", callingAe, remoteHost);
            return true;
        }
        if (command.commandField() == DimseMessages.C_STORE_RQ) {
            StorageScp.Outcome outcome = storageScp.complete(rq.dataSet(), callingAe, remoteHost);
            ScpMetrics.storeAnswered(outcome.status());
            out.sendCommand(rq.presentationContextId(),
                    DimseMessages.cStoreResponse(command, outcome.status(), outcome.errorComment()));
            logStore(callingAe, command, outcome, rq.startNanos());
            return true;
        }
        LOG.warn("{}@{} sent unsupported DIMSE command 0x{}: aborting association", callingAe, remoteHost,
                Integer.toHexString(command.commandField()));
        return false;
    }

    private void logStore(String callingAe, DimseMessages.Command rq, StorageScp.Outcome outcome, long startNanos) {
        double ms = (System.nanoTime() - startNanos) / 1e6;
        String took = String.format(Locale.ROOT, "%.1f ms", ms);
        if (outcome.status() == DimseMessages.SUCCESS) {
            LOG.info("C-STORE-RQ from {}@{} sop={} status={} {}", callingAe, remoteHost, rq.affectedSopInstanceUid(),
                    outcome.statusHex(), took);
        } else {
            LOG.warn("C-STORE-RQ from {}@{} sop={} status={} {} comment=\"{}\"", callingAe, remoteHost,
                    rq.affectedSopInstanceUid(), outcome.statusHex(), took,
                    DimseMessages.errorComment(outcome.errorComment()));
        }
    }

    void closeQuietly() {
        try {
            socket.close();
        } catch (IOException e) {
            // already gone
        }
    }
}
