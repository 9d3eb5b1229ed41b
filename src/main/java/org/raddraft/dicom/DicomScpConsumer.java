package org.raddraft.dicom;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.ShutdownRunningTask;
import org.apache.camel.spi.ShutdownAware;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The C-STORE SCP: owns the listening socket and one thread per association. Each received
 * instance becomes one exchange (body {@link ReceivedInstance}) processed synchronously on the
 * association's thread; its outcome is the C-STORE status. On stop: no new connections, in-flight
 * associations get {@code shutdownTimeoutSeconds} to finish, then their sockets are closed.
 */
public class DicomScpConsumer extends DefaultConsumer implements ShutdownAware {

    private static final Logger LOG = LoggerFactory.getLogger(DicomScpConsumer.class);
    /** Over-limit connections are still answered with an A-ASSOCIATE-RJ, by at most this many threads. */
    private static final int MAX_CONCURRENT_REJECTIONS = 4;

    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger rejecting = new AtomicInteger();
    /** Associations (accepted or being screened) per peer address, for {@code maxAssociationsPerHost}. */
    private final ConcurrentHashMap<InetAddress, Integer> perHost = new ConcurrentHashMap<>();
    /** Closes a connection whose A-ASSOCIATE-RQ is not complete by its deadline. */
    private ScheduledExecutorService deadlines;
    private final Set<Socket> openSockets = ConcurrentHashMap.newKeySet();
    private volatile ScpSettings settings;
    private volatile ServerSocket serverSocket;
    private volatile boolean running;
    private ExecutorService associations;
    private Thread acceptor;
    private StorageScp storageScp;

    public DicomScpConsumer(DicomEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
    }

    @Override
    public DicomEndpoint getEndpoint() {
        return (DicomEndpoint) super.getEndpoint();
    }

    /** The port actually listened on (useful with {@code port=0}); -1 when not started. */
    public int getLocalPort() {
        ServerSocket s = serverSocket;
        return s == null ? -1 : s.getLocalPort();
    }

    /** Associations currently open (accepted or being screened). */
    public int getActiveAssociations() {
        return active.get();
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        settings = getEndpoint().scpSettings();
        storageScp = new StorageScp(settings.receiveDir(), settings.minFreeBytes(), settings.maxInstanceBytes(),
                this::deliver);
        Files.createDirectories(storageScp.tmpDir());
        sweepStaleTempFiles();
        int backlog = Math.max(50, settings.maxAssociations() * 2);
        if (settings.tlsEnabled()) {
            SSLContext context = TlsServerSockets.context(settings.tls());
            serverSocket = TlsServerSockets.open(context, settings.tls().truststore() != null, settings.bind(),
                    settings.port(), backlog);
        } else {
            serverSocket = new ServerSocket(settings.port(), backlog, settings.bind());
        }
        deadlines = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dicom-scp-deadlines");
            t.setDaemon(true);
            return t;
        });
        AtomicInteger threadNumber = new AtomicInteger();
        associations = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "dicom-scp-" + getLocalPort() + "-assoc-" + threadNumber.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        running = true;
        acceptor = new Thread(this::acceptLoop, "dicom-scp-" + getLocalPort() + "-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
        LOG.info("DICOM SCP {} listening on {}:{}{} maxAssociations={} allowedPeers=[{}] spool={}", settings.aeTitle(),
                settings.bind().getHostAddress(), getLocalPort(), settings.tlsEnabled() ? " (TLS)" : "",
                settings.maxAssociations(), settings.allowedPeers(), settings.spoolDir());
        if (settings.allowedPeers().isEmpty()) {
            LOG.warn("allowedPeers is empty: every association will be rejected (calling AE not recognized); "
                    + "list the PACS as AE@host, or * to accept any calling AE");
        }
    }

    /**
     * A {@code .part} file present before we accept anything was never acknowledged (success is only
     * answered after the route moved it away), so the sender still has it and will send it again.
     */
    private void sweepStaleTempFiles() throws IOException {
        try (var files = Files.list(storageScp.tmpDir())) {
            for (var file : (Iterable<java.nio.file.Path>) files::iterator) {
                if (file.getFileName().toString().endsWith(".part")) {
                    Files.deleteIfExists(file);
                    LOG.info("M-DELETE {} (unacknowledged receipt left by an earlier run)", file);
                }
            }
        }
    }

    private void acceptLoop() {
        while (running) {
            Socket socket;
            try {
                socket = serverSocket.accept();
            } catch (IOException e) {
                if (running) {
                    LOG.error("accept on port {} failed: {}", getLocalPort(), e.toString());
                    pause();
                }
                continue;
            }
            try {
                socket.setTcpNoDelay(true);
            } catch (SocketException e) {
                // the handler will find out
            }
            InetAddress remote = socket.getInetAddress();
            if (!settings.allowedPeers().admitsAddress(remote)) {
                refuseAddress(socket);
                continue;
            }
            boolean hostOverLimit = perHost.merge(remote, 1, Integer::sum) > settings.maxAssociationsPerHost();
            if (!hostOverLimit && active.incrementAndGet() <= settings.maxAssociations()) {
                dispatch(socket, false, active);
            } else {
                if (!hostOverLimit) {
                    active.decrementAndGet();
                }
                if (rejecting.incrementAndGet() <= MAX_CONCURRENT_REJECTIONS) {
                    dispatch(socket, true, rejecting);
                } else {
                    rejecting.decrementAndGet();
                    release(remote);
                    ScpMetrics.associationRejected(ScpMetrics.LOCAL_LIMIT_EXCEEDED);
                    LOG.warn("connection from {} closed: association limit{} reached and rejection queue full",
                            remote.getHostAddress(), hostOverLimit ? " of this host" : "");
                    closeQuietly(socket);
                }
            }
        }
    }

    /**
     * A caller at an address no allow-list entry admits, refused before a byte is read and without a
     * thread or slot: an A-ASSOCIATE-RJ (calling AE not recognized) is written at once (the request
     * it answers is never read), output shut, and the socket closed half a second later, so the peer
     * can read the answer first. Over TLS the socket is closed at once (an answer would need the
     * handshake, on the acceptor's thread).
     */
    private void refuseAddress(Socket socket) {
        ScpMetrics.associationRejected(ScpMetrics.HOST_NOT_ALLOWED);
        LOG.warn("connection from {} refused: no dicom.allowed-peers entry admits this address",
                socket.getInetAddress().getHostAddress());
        if (socket instanceof javax.net.ssl.SSLSocket) {
            closeQuietly(socket);
            return;
        }
        try {
            socket.getOutputStream().write(AssociationHandler.associateReject(AssociationHandler.REJECTED_PERMANENT,
                    AssociationHandler.SOURCE_SERVICE_USER, AssociationHandler.REASON_CALLING_AE_NOT_RECOGNIZED));
            socket.shutdownOutput();
            deadlines.schedule(() -> closeQuietly(socket), 500, TimeUnit.MILLISECONDS);
        } catch (IOException | RuntimeException e) { // gone already, or stopping
            closeQuietly(socket);
        }
    }

    /** One association of {@code remote} fewer. */
    private void release(InetAddress remote) {
        perHost.computeIfPresent(remote, (a, n) -> n <= 1 ? null : n - 1);
    }

    private void dispatch(Socket socket, boolean overLimit, AtomicInteger counter) {
        openSockets.add(socket);
        AssociationHandler handler = new AssociationHandler(socket, overLimit, settings, storageScp, deadlines);
        try {
            associations.execute(() -> {
                try {
                    handler.run();
                } finally {
                    openSockets.remove(socket);
                    counter.decrementAndGet();
                    release(socket.getInetAddress());
                }
            });
        } catch (RuntimeException e) { // rejected: shutting down
            openSockets.remove(socket);
            counter.decrementAndGet();
            release(socket.getInetAddress());
            closeQuietly(socket);
        }
    }

    /** The Camel side of {@link StorageScp.Route}: one exchange per instance, synchronously. */
    private void deliver(ReceivedInstance instance) throws Exception {
        Exchange exchange = createExchange(false);
        try {
            exchange.getIn().setBody(instance);
            exchange.getIn().setHeader("DicomCallingAeTitle", instance.callingAeTitle());
            exchange.getIn().setHeader("DicomSopInstanceUid", instance.attributes().sopInstanceUid());
            getProcessor().process(exchange);
            Exception failure = exchange.getException();
            if (failure != null) {
                throw failure;
            }
        } finally {
            releaseExchange(exchange, false);
        }
    }

    /**
     * Camel's graceful shutdown: stop accepting new associations at once, but keep the route running
     * (defer) until the associations in flight have finished, so their C-STOREs are still indexed
     * and answered instead of failing with 0110. Camel bounds the wait by its shutdown timeout.
     */
    @Override
    public boolean deferShutdown(ShutdownRunningTask task) {
        stopAccepting();
        return true;
    }

    /** Open associations count as pending work for Camel's shutdown wait. */
    @Override
    public int getPendingExchangesSize() {
        return running ? 0 : active.get();
    }

    @Override
    public void prepareShutdown(boolean suspendOnly, boolean forced) {
        stopAccepting();
    }

    private void stopAccepting() {
        running = false;
        ServerSocket s = serverSocket;
        if (s != null) {
            closeQuietly(s);
        }
        if (acceptor != null) {
            try {
                acceptor.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    protected void doStop() throws Exception {
        ServerSocket s = serverSocket;
        stopAccepting();
        if (associations != null) {
            associations.shutdown();
            int timeout = settings.shutdownTimeoutMs();
            if (!associations.awaitTermination(timeout, TimeUnit.MILLISECONDS)) {
                LOG.warn("{} association(s) still open {} ms after stop: closing them", openSockets.size(), timeout);
                openSockets.forEach(DicomScpConsumer::closeQuietly);
                associations.shutdownNow();
                associations.awaitTermination(2, TimeUnit.SECONDS);
            }
        }
        if (storageScp != null) {
            storageScp.close();
        }
        if (deadlines != null) {
            deadlines.shutdownNow();
        }
        LOG.info("DICOM SCP on port {} stopped", s == null ? -1 : s.getLocalPort());
        serverSocket = null;
        super.doStop();
    }

    private static void pause() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // nothing to do
        }
    }
}
