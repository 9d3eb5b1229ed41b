package org.raddraft.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real Orthanc (Debian {@code orthanc}) as the PACS that pushes studies: started on free ports
 * with RadDraft as its one DICOM modality {@code raddraft}, driven through its REST API.
 */
public final class Orthanc implements AutoCloseable {

    /** Orthanc's own AE title, the calling AE of what it sends. */
    public static final String AE_TITLE = "ORTHANC";

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final Path dir;
    private final int httpPort;
    private final Process process;

    private Orthanc(Path dir, int httpPort, Process process) {
        this.dir = dir;
        this.httpPort = httpPort;
        this.process = process;
    }

    /** Starts Orthanc under {@code dir}, knowing RadDraft as modality "raddraft" at 127.0.0.1:raddraftPort. */
    public static Orthanc start(Path dir, int raddraftPort) throws Exception {
        Files.createDirectories(dir);
        int httpPort = DaemonProcess.freePort();
        int dicomPort = DaemonProcess.freePort();
        var config = JSON.createObjectNode()
                .put("Name", "raddraft-test")
                .put("StorageDirectory", dir.resolve("storage").toString())
                .put("IndexDirectory", dir.resolve("storage").toString())
                .put("DicomAet", AE_TITLE)
                .put("DicomPort", dicomPort)
                .put("HttpPort", httpPort)
                .put("RemoteAccessAllowed", false)
                .put("AuthenticationEnabled", false)
                // a connection per request: with keep-alive, Orthanc 1.10 sometimes closes a connection
                // the JDK client is about to reuse ("header parser received no bytes")
                .put("KeepAlive", false);
        config.putArray("Plugins");
        config.putObject("DicomModalities").putArray("raddraft").add("RADDRAFT").add("127.0.0.1").add(raddraftPort);
        Path configFile = dir.resolve("orthanc.json");
        JSON.writeValue(configFile.toFile(), config);
        Process p = Dcmtk.start(dir.resolve("orthanc.log"), executable(), configFile.toString());
        Orthanc orthanc = new Orthanc(dir, httpPort, p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("Orthanc exited with " + p.exitValue() + ":\n" + orthanc.log());
            }
            try {
                if (orthanc.get("/system").statusCode() == 200) {
                    return orthanc;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        orthanc.close();
        throw new IllegalStateException("Orthanc did not start within 30 s:\n" + orthanc.log());
    }

    /** Debian installs Orthanc in /usr/sbin, which is not on an ordinary user's PATH. */
    private static String executable() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "Orthanc");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return "/usr/sbin/Orthanc";
    }

    /** Uploads a DICOM file (POST /instances); returns Orthanc's id of its study. */
    public String upload(Path dicomFile) throws Exception {
        HttpResponse<String> r = http.send(request("/instances")
                .POST(HttpRequest.BodyPublishers.ofFile(dicomFile)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("Orthanc refused " + dicomFile + ": " + r.body());
        }
        return JSON.readTree(r.body()).get("ParentStudy").asText();
    }

    /** C-ECHO to RadDraft; returns the HTTP response (200 when the echo succeeded). */
    public HttpResponse<String> echo() throws Exception {
        return post("/modalities/raddraft/echo", JSON.createObjectNode());
    }

    /**
     * C-STORE of a whole study to RadDraft, synchronously, with {@code callingAe} as the calling
     * AE title; returns the HTTP response (200 with the instance counts, or an Orthanc error).
     */
    public HttpResponse<String> push(String studyId, String callingAe) throws Exception {
        var body = JSON.createObjectNode().put("Synchronous", true).put("LocalAet", callingAe);
        body.putArray("Resources").add(studyId);
        return post("/modalities/raddraft/store", body);
    }

    public static JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }

    public String log() throws IOException {
        Path log = dir.resolve("orthanc.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    private HttpResponse<String> post(String path, JsonNode body) throws Exception {
        return http.send(request(path).POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path)).timeout(Duration.ofSeconds(60));
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
