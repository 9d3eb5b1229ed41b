package org.raddraft.ops;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.Servlet;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one embedded Jetty 12 (ee10 servlets) on {@code http.bind:http.port}. It knows nothing of what it
 * serves: the composition root mounts servlets ({@code /fhir/*}, {@code /health/*}, {@code /metrics},
 * {@code /ui/*}) and filters (authentication in front of all of them) before {@link #start()}.
 */
public final class HttpServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

    private final Server server = new Server();
    private final ServerConnector connector = new ServerConnector(server);
    private final ServletContextHandler context = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
    private final List<String> mounted = new ArrayList<>();

    public HttpServer(String bind, int port) {
        connector.setHost(bind);
        connector.setPort(port);
        server.addConnector(connector);
        context.setContextPath("/");
        server.setHandler(context);
    }

    /** Serves {@code pathSpec} (servlet syntax: {@code /fhir/*}, {@code /metrics}) with this servlet. */
    public HttpServer servlet(String pathSpec, Servlet servlet) {
        ServletHolder holder = new ServletHolder(servlet);
        holder.setInitOrder(0); // initialised at start: a broken servlet stops start-up, not the first request
        context.addServlet(holder, pathSpec);
        mounted.add(pathSpec);
        return this;
    }

    /** Runs this filter before the servlets of {@code pathSpec} ({@code /*} = all), in the order added. */
    public HttpServer filter(Filter filter, String pathSpec) {
        context.addFilter(new FilterHolder(filter), pathSpec, EnumSet.of(DispatcherType.REQUEST));
        return this;
    }

    public void start() throws Exception {
        server.start();
        log.info("HTTP on {}:{} ({})", connector.getHost(), port(), String.join(", ", mounted));
    }

    /** The port listened on (the configured one, or the one picked for port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }
}
