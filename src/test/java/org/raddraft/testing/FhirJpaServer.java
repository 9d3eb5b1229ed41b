package org.raddraft.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A real HAPI FHIR JPA server (8.8.0, H2 file database) as its own JVM: the test peer in
 * test-peers/fhir-jpa-server, built here with Maven on first use. Its Spring, Hibernate and Flyway
 * versions clash with the daemon's, hence the separate build and process. Starting it takes one to
 * a few minutes (schema creation), so a test class starts it once.
 */
public final class FhirJpaServer implements AutoCloseable {

    static final Path PROJECT = DaemonProcess.APP.resolve("test-peers/fhir-jpa-server");

    public final int port;
    private final String token;
    private final Path dir;
    private final Process process;

    /**
     * @param token   bearer token every request must carry, or null for none
     * @param refused accession whose reports the server refuses with 422, or null
     */
    public FhirJpaServer(Path dir, String token, String refused) throws Exception {
        this.dir = Files.createDirectories(dir);
        this.token = token;
        this.port = DaemonProcess.freePort();
        String classpath = build();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx1g", "-cp", classpath,
                "org.raddraft.testpeer.FhirJpaServerMain", Integer.toString(port), dir.toString(),
                token == null ? "" : token, refused == null ? "" : refused));
        process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        Path log = dir.resolve("server.log");
        CompletableFuture<Boolean> ready = CompletableFuture.supplyAsync(() -> {
            // not closed here once the server is up: the drain below goes on reading it (closing it
            // would wait for the lock the drain's readLine holds until the server prints again)
            BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            try {
                for (String line; (line = r.readLine()) != null; ) {
                    Files.writeString(log, line + "\n", java.nio.file.StandardOpenOption.CREATE,
                            java.nio.file.StandardOpenOption.APPEND);
                    if (line.startsWith("FHIR JPA server ready on")) {
                        // keep draining its output so it never blocks
                        CompletableFuture.runAsync(() -> drain(r, log));
                        return true;
                    }
                }
                return false;
            } catch (IOException e) {
                return false;
            }
        });
        Boolean up;
        try {
            up = ready.get(10, TimeUnit.MINUTES);
        } catch (java.util.concurrent.TimeoutException e) {
            up = false;
        }
        if (!up) {
            process.destroyForcibly();
            throw new IllegalStateException("the FHIR JPA server did not start:\n" + Files.readString(log));
        }
    }

    private static void drain(BufferedReader r, Path log) {
        try {
            for (String line; (line = r.readLine()) != null; ) {
                Files.writeString(log, line + "\n", java.nio.file.StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            // the server stopped
        }
    }

    /** Compiles the test peer and returns its classpath (offline when the local repository has it all). */
    static synchronized String build() throws Exception {
        Path cpFile = PROJECT.resolve("target/classpath.txt");
        List<String> goals = List.of("-q", "-B", "-f", PROJECT.resolve("pom.xml").toString(), "compile",
                "dependency:build-classpath", "-Dmdep.outputFile=" + cpFile);
        List<String> offline = new ArrayList<>(List.of("mvn", "-o"));
        offline.addAll(goals);
        Dcmtk.Result r = Dcmtk.run(offline.toArray());
        if (!r.ok()) {
            List<String> online = new ArrayList<>(List.of("mvn"));
            online.addAll(goals);
            r = Dcmtk.run(online.toArray());
            if (!r.ok()) {
                throw new IllegalStateException("cannot build the FHIR JPA test server: " + r.output());
            }
        }
        return PROJECT.resolve("target/classes") + ":" + Files.readString(cpFile).strip();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port + "/fhir";
    }

    /**
     * The body of a GET on the FHIR base (e.g. {@code /DiagnosticReport?identifier=A1}) with the token;
     * fails unless 200. Never from HAPI's search cache, which would answer a repeated search with the
     * matches of its first run for a minute.
     */
    public String get(String path) throws Exception {
        var rq = java.net.http.HttpRequest.newBuilder(java.net.URI.create(baseUrl() + path)).header("Cache-Control", "no-cache");
        if (token != null) {
            rq.header("Authorization", "Bearer " + token);
        }
        var r = java.net.http.HttpClient.newHttpClient().send(rq.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET " + path + ": " + r.statusCode() + " " + r.body());
        }
        return r.body();
    }

    /** One line per transaction received: the accession numbers of its DiagnosticReports. */
    public List<String> transactions() throws IOException {
        Path f = dir.resolve("requests.log");
        return Files.exists(f) ? Files.readAllLines(f) : List.of();
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
