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
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
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
    private final ServerConnector connector;
    private final ServletContextHandler context = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
    private final List<String> mounted = new ArrayList<>();
    private final String scheme;

    public HttpServer(String bind, int port) {
        this(bind, port, null, null);
    }

    /**
     * @param keystore PKCS12 with the server key and certificate: HTTPS only (TLS 1.2/1.3) on this port;
     *                 null = plain HTTP
     */
    public HttpServer(String bind, int port, java.nio.file.Path keystore, String keystorePassword) {
        HttpConfiguration http = strict(new HttpConfiguration());
        if (keystore == null) {
            connector = new ServerConnector(server, new HttpConnectionFactory(http));
        } else {
            SslContextFactory.Server tls = new SslContextFactory.Server();
            tls.setKeyStorePath(keystore.toString());
            tls.setKeyStoreType("PKCS12");
            tls.setKeyStorePassword(keystorePassword);
            tls.setIncludeProtocols("TLSv1.3", "TLSv1.2");
            HttpConfiguration https = http;
            SecureRequestCustomizer secure = new SecureRequestCustomizer();
            secure.setSniHostCheck(false); // clients may address us by IP; the certificate check is theirs
            https.addCustomizer(secure);
            connector = new ServerConnector(server, new SslConnectionFactory(tls, "http/1.1"),
                    new HttpConnectionFactory(https));
        }
        scheme = keystore == null ? "http" : "https";
        connector.setHost(bind);
        connector.setPort(port);
        server.addConnector(connector);
        context.setContextPath("/");
        server.setHandler(context);
        // Jetty's refusals (a URI it will not route, 404 of an unmapped path) and servlets' sendError
        // answer as FHIR OperationOutcome, like every other refusal of this port
        server.setErrorHandler(new OutcomeErrorHandler.Server());
        context.setErrorHandler(new OutcomeErrorHandler.Context());
    }

    /**
     * URI handling: Jetty's {@link UriCompliance#DEFAULT} (RFC 3986, no violation allowed) answers 400
     * to ambiguous paths before any filter runs: encoded separators ({@code %2F}, {@code %5C}), encoded
     * dot segments ({@code %2E%2E}), empty segments ({@code //}), {@code ..;} path parameters, encoded
     * {@code %25}, bad or overlong UTF-8, NUL and other illegal characters. What it allows and
     * normalises (plain {@code ./}, {@code ../}, {@code ;params}, {@code %41}) the authentication filter
     * refuses or decides on the routed path ({@code RoutedPath}). The server's version is not sent.
     */
    static HttpConfiguration strict(HttpConfiguration c) {
        c.setUriCompliance(UriCompliance.DEFAULT);
        c.setSendServerVersion(false);
        c.setSendXPoweredBy(false);
        return c;
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
        log.info("{} on {}:{} ({})", scheme.toUpperCase(java.util.Locale.ROOT), connector.getHost(), port(),
                String.join(", ", mounted));
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
