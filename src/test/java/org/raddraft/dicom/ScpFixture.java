package org.raddraft.dicom;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * A CamelContext with {@code from("dicom:scp?port=0&...")} to a step that, like the real ingest
 * bean, moves the received {@code .part} file atomically into {@code received/<sop>.dcm}; tests can
 * swap the step ({@link #step}) to throw or block.
 */
final class ScpFixture implements AutoCloseable {

    static final String AE = "RADDRAFT";

    static {
        quietLogging();
    }

    /** What the route does with each instance. */
    interface Step {
        void handle(ReceivedInstance instance) throws Exception;
    }

    final Path spool;
    /** Where the receiver writes: spool/tmp, or the {@code receiveDir} parameter. */
    final Path receiveDir;
    final Path received;
    final List<ReceivedInstance> instances = new CopyOnWriteArrayList<>();
    /** Whether each instance's temp file existed, in {@link #receiveDir}, when the route ran. */
    final List<Boolean> tempFileWasInPlace = new CopyOnWriteArrayList<>();
    volatile Step step;
    private final CamelContext camel;
    private final DicomScpConsumer consumer;

    private ScpFixture(Path dir, Map<String, String> parameters) throws Exception {
        this.spool = dir.resolve("spool");
        this.received = Files.createDirectories(dir.resolve("received"));
        this.step = this::moveIntoPlace;
        Map<String, String> p = new LinkedHashMap<>();
        p.put("port", "0");
        p.put("bind", "127.0.0.1");
        p.put("aeTitle", AE);
        p.put("allowedPeers", "PACS,MODALITY@127.0.0.1");
        p.put("spoolDir", spool.toString());
        p.put("minFreeMb", "1");
        p.put("shutdownTimeoutSeconds", "2");
        p.putAll(parameters);
        this.receiveDir = p.containsKey("receiveDir") ? Path.of(p.get("receiveDir")) : spool.resolve("tmp");
        String uri = "dicom:scp?" + p.entrySet().stream().map(e -> e.getKey() + "=RAW(" + e.getValue() + ")")
                .collect(Collectors.joining("&"));
        camel = new DefaultCamelContext();
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(uri).routeId("ingest").process(ScpFixture.this::process);
            }
        });
        camel.start();
        consumer = (DicomScpConsumer) camel.getRoute("ingest").getConsumer();
    }

    static ScpFixture start(Path dir, Map<String, String> parameters) throws Exception {
        return new ScpFixture(dir, parameters);
    }

    static ScpFixture start(Path dir) throws Exception {
        return start(dir, Map.of());
    }

    int port() {
        return consumer.getLocalPort();
    }

    DicomScpConsumer consumer() {
        return consumer;
    }

    private void process(Exchange exchange) throws Exception {
        ReceivedInstance instance = exchange.getIn().getBody(ReceivedInstance.class);
        instances.add(instance);
        tempFileWasInPlace.add(Files.isRegularFile(instance.tempFile())
                && instance.tempFile().getParent().equals(receiveDir)
                && instance.tempFile().getFileName().toString().endsWith(".part"));
        step.handle(instance);
    }

    void moveIntoPlace(ReceivedInstance instance) throws Exception {
        instance.awaitDurable();
        Files.move(instance.tempFile(), received.resolve(instance.attributes().sopInstanceUid() + ".dcm"),
                StandardCopyOption.ATOMIC_MOVE);
    }

    List<Path> receivedFiles() throws Exception {
        try (var s = Files.list(received)) {
            return s.sorted().toList();
        }
    }

    List<Path> tempFiles() throws Exception {
        Path tmp = spool.resolve("tmp");
        if (!Files.isDirectory(tmp)) {
            return List.of();
        }
        try (var s = Files.list(tmp)) {
            return new ArrayList<>(s.toList());
        }
    }

    /** Logback without a config logs DEBUG; keep test output to our INFO lines. */
    static void quietLogging() {
        if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext lc) {
            lc.getLogger("ROOT").setLevel(ch.qos.logback.classic.Level.INFO);
            lc.getLogger("com.pixelmed").setLevel(ch.qos.logback.classic.Level.WARN);
            lc.getLogger("org.apache.camel").setLevel(ch.qos.logback.classic.Level.WARN);
        }
    }

    @Override
    public void close() throws Exception {
        camel.close();
    }
}
