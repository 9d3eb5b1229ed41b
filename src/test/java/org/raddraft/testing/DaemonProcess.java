package org.raddraft.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real daemon as a separate JVM ({@code raddraft run --config}), so tests can SIGTERM and
 * kill -9 it. Needs the packaged build (target/classes + target/lib), as in {@code mvn verify}.
 */
public final class DaemonProcess implements AutoCloseable {

    public static final Path APP = Path.of(System.getProperty("raddraft.app", ".")).toAbsolutePath().normalize();

    private final Path home;
    private final Map<String, String> config;
    private final Path log;
    private final Map<String, String> env = new LinkedHashMap<>();
    private Process process;
    public final int dicomPort;
    public final int httpPort;

    public DaemonProcess(Path home, Map<String, String> overrides) throws IOException {
        this.home = home;
        this.dicomPort = freePort();
        this.httpPort = freePort();
        this.config = new LinkedHashMap<>();
        config.put("raddraft.home", home.toString());
        config.put("dicom.bind", "127.0.0.1");
        config.put("dicom.port", String.valueOf(dicomPort));
        config.put("dicom.allowed-peers", "PACS,MODALITY@127.0.0.1");
        config.put("http.port", String.valueOf(httpPort));
        config.put("study.quiet-seconds", "2");
        config.put("storage.min-free-mb", "1");
        config.putAll(overrides);
        this.log = home.resolve("daemon.log");
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    public Path configFile() throws IOException {
        Files.createDirectories(home);
        Path f = home.resolve("raddraft.properties");
        StringBuilder sb = new StringBuilder();
        config.forEach((k, v) -> sb.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
        Files.writeString(f, sb.toString());
        return f;
    }

    public static List<String> javaCommand(String... args) {
        return javaCommand(Map.of(), args);
    }

    /** {@code java -D... org.raddraft.App args}, as bin/raddraft runs it. */
    public static List<String> javaCommand(Map<String, String> systemProperties, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Draddraft.app=" + APP));
        systemProperties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(List.of("-cp", APP.resolve("target/classes") + ":" + APP.resolve("target/lib") + "/*",
                "org.raddraft.App"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** An environment variable for the daemon (secrets, as systemd's EnvironmentFile gives them). */
    public DaemonProcess env(String name, String value) {
        env.put(name, value);
        return this;
    }

    /**
     * Starts the daemon and waits until it answers on the HTTP and DICOM ports and has finished
     * starting: its FHIR validator is warm (the first validation loads the definitions, ~10 s on a
     * quiet machine), so that a test's first draft is not timed against the warm-up.
     */
    public DaemonProcess start() throws Exception {
        Path cfg = configFile();
        ProcessBuilder pb = new ProcessBuilder(javaCommand("run", "--config", cfg.toString())).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        process = pb.start();
        // 240 s: start-up (model, FHIR server, validator) takes a minute or more on the shared test machine
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("daemon exited with " + process.exitValue() + ":\n" + log());
            }
            if (listening(dicomPort) && httpStatus("/health/live") == 200
                    && request("GET", "/health", null, Map.of(), null).body().contains("\"fhir_validator\":\"UP\"")) {
                return this;
            }
            Thread.sleep(200);
        }
        // a test whose start() throws never gets the object to close: stop the process here
        process.destroyForcibly().waitFor();
        throw new IllegalStateException("daemon did not start within 240 s:\n" + log());
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Status of an anonymous GET (only /health answers those with 200). */
    public int httpStatus(String path) {
        try {
            return client().send(HttpRequest.newBuilder(URI.create(baseUrl() + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    /** The body of a GET as the test integration account ({@link #token}), e.g. /metrics. */
    public String http(String path) throws Exception {
        return request("GET", path, token("integration"), Map.of(), null).body();
    }

    /** {@code raddraft admin studies --json} run as its own process against this daemon's config. */
    public JsonNode studies() throws Exception {
        return adminJson("studies");
    }

    /** {@code raddraft admin <args> --config <this daemon's>} as its own process: exit code and stdout + stderr. */
    public Dcmtk.Result admin(String... args) throws Exception {
        Process p = adminProcess(args).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Dcmtk.Result(p.waitFor(), out);
    }

    /**
     * {@code raddraft admin <args> --json --config ...}: stdout parsed whole as JSON, so a log line
     * there (logs belong on stderr) fails the test.
     */
    public JsonNode adminJson(String... args) throws Exception {
        List<String> withJson = new ArrayList<>(List.of(args));
        withJson.add("--json");
        Process p = adminProcess(withJson.toArray(String[]::new)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("admin " + List.of(args) + " failed: " + out);
        }
        return new ObjectMapper().readTree(out);
    }

    private ProcessBuilder adminProcess(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("admin"));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--config", configFile().toString()));
        ProcessBuilder pb = new ProcessBuilder(javaCommand(cmd.toArray(String[]::new)));
        pb.environment().putAll(env); // the daemon's secrets (STORE_PASSWORD), as the admin's shell has them
        return pb;
    }

    /** The study with this Study Instance UID from {@link #studies()}, or null. */
    public JsonNode study(String studyUid) throws Exception {
        for (JsonNode s : studies()) {
            if (s.get("study_instance_uid").asText().equals(studyUid)) {
                return s;
            }
        }
        return null;
    }

    /** SIGTERM, as systemd stops it; returns the exit code. */
    public int stop() throws Exception {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new IllegalStateException("daemon ignored SIGTERM for 60 s");
        }
        return process.exitValue();
    }

    /** kill -9: no shutdown hook, no flush. */
    public void kill9() throws Exception {
        process.destroyForcibly();
        process.waitFor();
    }

    public String log() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** The daemon JVM's process id (for /proc: its sockets, threads and file descriptors). */
    public long pid() {
        return process.pid();
    }

    public Path home() {
        return home;
    }

    /**
     * The daemon's database: through its loopback-only H2 server while it runs (the way admin commands
     * reach it), else the file itself.
     */
    public String jdbcUrl() {
        if (!config.getOrDefault("store.jdbc-url", "").isEmpty()) {
            return config.get("store.jdbc-url"); // a database server (PostgreSQL)
        }
        try {
            String running = org.raddraft.store.EmbeddedH2.runningUrl(home.resolve("db"));
            return running != null ? running : org.raddraft.store.EmbeddedH2.fileUrl(home.resolve("db"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A connection to the daemon's database as its service user, with the password it generated. */
    public java.sql.Connection db() throws java.sql.SQLException {
        if (!config.getOrDefault("store.jdbc-url", "").isEmpty()) {
            return java.sql.DriverManager.getConnection(jdbcUrl(), config.getOrDefault("store.user", "raddraft"),
                    env.getOrDefault("STORE_PASSWORD", config.getOrDefault("store.password", "")));
        }
        String password;
        try {
            password = java.nio.file.Files.readString(home.resolve("db/raddraft.password")).strip();
        } catch (java.io.IOException e) {
            throw new java.sql.SQLException("no database password in " + home.resolve("db"), e);
        }
        return java.sql.DriverManager.getConnection(jdbcUrl(), "raddraft", password);
    }

    // --- the HTTP API with accounts (review) ---------------------------------------------------------

    /** Password of the test people ({@code it-radiologist}, {@code it-admin}); made at test time only. */
    public static final String TEST_PASSWORD = "integration-test-password";
    private final Map<String, String> tokens = new java.util.concurrent.ConcurrentHashMap<>();

    /** http://127.0.0.1:port, or https:// when the config sets http.tls.keystore. */
    public String baseUrl() {
        return (config.getOrDefault("http.tls.keystore", "").isEmpty() ? "http" : "https") + "://127.0.0.1:" + httpPort;
    }

    /** A client that trusts the daemon's own keystore when it serves HTTPS (and nothing else). */
    public HttpClient client() throws Exception {
        String keystore = config.getOrDefault("http.tls.keystore", "");
        if (keystore.isEmpty()) {
            return HttpClient.newHttpClient();
        }
        String password = env.getOrDefault("HTTP_TLS_KEYSTORE_PASSWORD", config.getOrDefault("http.tls.keystore-password", ""));
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(Path.of(keystore))) {
            ks.load(in, password.toCharArray());
        }
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
        tmf.init(ks);
        javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(ssl).build();
    }

    /**
     * A bearer token of the test account for a role: {@code it-integration} gets a system token from
     * {@code admin users add}; {@code it-radiologist} / {@code it-admin} log in with {@link #TEST_PASSWORD}
     * at POST /auth/session. Made at the first call, then cached.
     */
    public String token(String role) throws Exception {
        String t = tokens.get(role);
        if (t == null) {
            t = newAccount("it-" + role, role);
            tokens.put(role, t);
        }
        return t;
    }

    /** Adds an account {@code name} with this role and returns its token (integration) or a session token (people). */
    public String newAccount(String name, String role, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("users", "add", "--name", name, "--role", role));
        args.addAll(List.of(extra));
        Dcmtk.Result r = adminWithInput(role.equals("integration") ? "" : TEST_PASSWORD + "\n", args.toArray(String[]::new));
        if (r.exitCode() != 0) {
            throw new IllegalStateException("admin users add " + name + " failed: " + r.output());
        }
        if (role.equals("integration")) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(rdk_[A-Za-z0-9_-]+)").matcher(r.output());
            if (!m.find()) {
                throw new IllegalStateException("no token printed: " + r.output());
            }
            return m.group(1);
        }
        return login(name, TEST_PASSWORD);
    }

    /** POST /auth/session; the session's bearer token. */
    public String login(String name, String password) throws Exception {
        HttpResponse<String> r = request("POST", "/auth/session", null, Map.of("Content-Type", "application/json"),
                new ObjectMapper().writeValueAsString(Map.of("name", name, "password", password)));
        if (r.statusCode() != 200) {
            throw new IllegalStateException("login of " + name + " answered " + r.statusCode() + ": " + r.body());
        }
        return new ObjectMapper().readTree(r.body()).get("access_token").asText();
    }

    /** Any request; {@code token} null = anonymous, {@code body} null = none. */
    public HttpResponse<String> request(String method, String path, String token, Map<String, String> headers,
            String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl() + path)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        headers.forEach(b::header);
        return client().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** HAPI's FHIR client (the RIS) on /fhir with the test integration account's token. */
    public ca.uhn.fhir.rest.client.api.IGenericClient fhir() throws Exception {
        return fhir(token("integration"));
    }

    public ca.uhn.fhir.rest.client.api.IGenericClient fhir(String token) {
        var client = ca.uhn.fhir.context.FhirContext.forR4Cached().newRestfulGenericClient(baseUrl() + "/fhir");
        client.registerInterceptor(new ca.uhn.fhir.rest.client.interceptor.BearerTokenAuthInterceptor(token));
        return client;
    }

    /** {@code raddraft admin <args>} with {@code stdin} as its standard input (passwords). */
    public Dcmtk.Result adminWithInput(String stdin, String... args) throws Exception {
        Process p = adminProcess(args).redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Dcmtk.Result(p.waitFor(), out);
    }

    @Override
    public void close() throws Exception {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor();
        }
    }
}
