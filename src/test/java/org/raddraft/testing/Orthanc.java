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
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Orthanc (Debian {@code orthanc}) as the PACS that pushes studies and receives RadDraft's SRs:
 * started on free ports with RadDraft as its one DICOM modality {@code raddraft}, driven through its
 * REST API. Its own SCP checks the called AE title ({@link #AE_TITLE}), as a PACS configured for
 * RadDraft's reports would.
 */
public final class Orthanc implements AutoCloseable {

    /** Orthanc's own AE title, the calling AE of what it sends. */
    public static final String AE_TITLE = "ORTHANC";

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final Path dir;
    private final int httpPort;
    private final int dicomPort;
    private final Path configFile;
    private Process process;

    private Orthanc(Path dir, int httpPort, int dicomPort, Path configFile, Process process) {
        this.dir = dir;
        this.httpPort = httpPort;
        this.dicomPort = dicomPort;
        this.configFile = configFile;
        this.process = process;
    }

    /** Starts Orthanc under {@code dir}, knowing RadDraft as modality "raddraft" at 127.0.0.1:raddraftPort. */
    public static Orthanc start(Path dir, int raddraftPort) throws Exception {
        return start(dir, raddraftPort, DaemonProcess.freePort());
    }

    /** As {@link #start(Path, int)}, with Orthanc's own DICOM SCP on {@code dicomPort} (known before it starts). */
    public static Orthanc start(Path dir, int raddraftPort, int dicomPort) throws Exception {
        return start(dir, dicomPort, new int[] {raddraftPort});
    }

    /**
     * Orthanc knowing several RadDraft nodes (issue 25's failover test): modality "raddraft" at the first
     * port, "raddraft2", "raddraft3" ... at the others, all with the called AE title RADDRAFT.
     */
    public static Orthanc start(Path dir, int dicomPort, int[] raddraftPorts) throws Exception {
        int raddraftPort = raddraftPorts[0];
        Files.createDirectories(dir);
        int httpPort = DaemonProcess.freePort();
        var config = JSON.createObjectNode()
                .put("Name", "raddraft-test")
                .put("StorageDirectory", dir.resolve("storage").toString())
                .put("IndexDirectory", dir.resolve("storage").toString())
                .put("DicomAet", AE_TITLE)
                .put("DicomPort", dicomPort)
                .put("DicomCheckCalledAet", true)
                .put("HttpPort", httpPort)
                .put("RemoteAccessAllowed", false)
                .put("AuthenticationEnabled", false)
                // a connection per request: with keep-alive, Orthanc 1.10 sometimes closes a connection
                // the JDK client is about to reuse ("header parser received no bytes")
                .put("KeepAlive", false);
        config.putArray("Plugins");
        var modalities = config.putObject("DicomModalities");
        modalities.putArray("raddraft").add("RADDRAFT").add("127.0.0.1").add(raddraftPort);
        for (int i = 1; i < raddraftPorts.length; i++) {
            modalities.putArray("raddraft" + (i + 1)).add("RADDRAFT").add("127.0.0.1").add(raddraftPorts[i]);
        }
        Path configFile = dir.resolve("orthanc.json");
        JSON.writeValue(configFile.toFile(), config);
        Orthanc orthanc = new Orthanc(dir, httpPort, dicomPort, configFile, null);
        orthanc.restart();
        return orthanc;
    }

    /** Starts Orthanc again (after {@link #close}) on the same ports and storage, and waits until it answers. */
    public void restart() throws Exception {
        // appended, so a restart keeps the earlier log
        process = new ProcessBuilder(executable(), configFile.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("orthanc.log").toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Orthanc exited with " + process.exitValue() + ":\n" + log());
            }
            try {
                if (get("/system").statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        close();
        throw new IllegalStateException("Orthanc did not start within 30 s:\n" + log());
    }

    /** The port of Orthanc's own DICOM SCP (AE {@link #AE_TITLE}), where RadDraft sends its SRs. */
    public int dicomPort() {
        return dicomPort;
    }

    /** GET of a REST resource as JSON (e.g. /studies/{id}/instances); fails unless 200. */
    public JsonNode getJson(String path) throws Exception {
        HttpResponse<String> r = get(path);
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET " + path + ": " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }

    /** The DICOM file Orthanc stored for an instance (GET /instances/{id}/file), written to {@code out}. */
    public Path file(String instanceId, Path out) throws Exception {
        HttpResponse<Path> r = http.send(request("/instances/" + instanceId + "/file").GET().build(),
                HttpResponse.BodyHandlers.ofFile(out));
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET /instances/" + instanceId + "/file: " + r.statusCode());
        }
        return out;
    }

    /** Orthanc's instances of the study with this Study Instance UID (empty when Orthanc does not hold it). */
    public List<JsonNode> instancesOfStudy(String studyInstanceUid) throws Exception {
        var query = JSON.createObjectNode().put("Level", "Instance").put("Expand", true);
        query.putObject("Query").put("StudyInstanceUID", studyInstanceUid);
        HttpResponse<String> r = post("/tools/find", query);
        if (r.statusCode() != 200) {
            throw new IllegalStateException("/tools/find: " + r.statusCode() + " " + r.body());
        }
        List<JsonNode> instances = new java.util.ArrayList<>();
        JSON.readTree(r.body()).forEach(instances::add);
        return instances;
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
        return push(studyId, callingAe, "raddraft");
    }

    /** {@link #push(String, String)} to another RadDraft node ({@code raddraft2} ...). */
    public HttpResponse<String> push(String studyId, String callingAe, String modality) throws Exception {
        var body = JSON.createObjectNode().put("Synchronous", true).put("LocalAet", callingAe);
        body.putArray("Resources").add(studyId);
        return post("/modalities/" + modality + "/store", body);
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
        if (process == null) {
            return;
        }
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
