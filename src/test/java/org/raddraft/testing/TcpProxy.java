package org.raddraft.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP forwarder in front of a peer, so a test can take the peer off the network and bring it back
 * on the same port (connections refused meanwhile) without restarting a server that takes minutes
 * to start. Real sockets both ways; nothing is interpreted. It can also lose the peer's answers
 * after the peer has done the work ({@link #cutResponses}, {@link #holdResponses}): what a client
 * sees when a network drops between a server's commit and its reply.
 */
public final class TcpProxy implements AutoCloseable {

    public final int port;
    private final int target;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final AtomicInteger toCut = new AtomicInteger();
    private volatile CountDownLatch held = new CountDownLatch(0);
    private volatile ServerSocket listener;

    public TcpProxy(int target) throws IOException {
        this.target = target;
        this.port = DaemonProcess.freePort();
        start();
    }

    public synchronized void start() throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress("127.0.0.1", port));
        listener = s;
        Thread t = new Thread(() -> accept(s), "tcp-proxy-" + port);
        t.setDaemon(true);
        t.start();
    }

    /** Down: refuses new connections and cuts the open ones. */
    public synchronized void stop() throws IOException {
        listener.close();
        for (Socket s : open) {
            s.close();
        }
        open.clear();
    }

    /**
     * The next {@code n} answers of the peer never reach the client: when the first bytes of one
     * arrive, both connections are cut instead. Requests still reach the peer in full, so it has
     * done (and committed) the work the client then sees fail.
     */
    public void cutResponses(int n) {
        toCut.set(n);
    }

    /** From now on the peer's answers are kept back (the peer has the requests) until {@link #forward}. */
    public void holdResponses() {
        held = new CountDownLatch(1);
    }

    /** Answers flow again, the held ones first (to a client that may be gone). */
    public void forward() {
        toCut.set(0);
        held.countDown();
    }

    private void accept(ServerSocket s) {
        while (!s.isClosed()) {
            try {
                Socket client = s.accept();
                Socket upstream = new Socket("127.0.0.1", target);
                open.add(client);
                open.add(upstream);
                pipe(client, upstream, false);
                pipe(upstream, client, true);
            } catch (IOException e) {
                // closed by stop(), or the peer behind is down: the client sees the connection drop
            }
        }
    }

    private void pipe(Socket from, Socket to, boolean answers) {
        Thread t = new Thread(() -> {
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                byte[] buffer = new byte[8192];
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    if (answers) {
                        held.await();
                        if (toCut.getAndUpdate(c -> Math.max(0, c - 1)) > 0) {
                            from.close();
                            to.close();
                            return;
                        }
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side closed
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                try {
                    to.shutdownOutput();
                } catch (IOException ignored) {
                    // already closed
                }
            }
        });
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        forward();
        stop();
    }
}
