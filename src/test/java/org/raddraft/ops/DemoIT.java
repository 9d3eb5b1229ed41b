package org.raddraft.ops;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.DaemonProcess;

/** The README's first command: `raddraft demo` on embedded defaults pushes the demo study to itself. */
class DemoIT {

    @Test
    void demoReceivesItsOwnStudyUnderVar(@TempDir Path cwd) throws Exception {
        int dicom = DaemonProcess.freePort();
        int http = DaemonProcess.freePort();
        Path log = cwd.resolve("demo.log");
        Process demo = new ProcessBuilder(DaemonProcess.javaCommand(
                Map.of("dicom.port", String.valueOf(dicom), "http.port", String.valueOf(http)), "demo"))
                .directory(cwd.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            Path config = cwd.resolve("admin.properties");
            Files.writeString(config, "raddraft.home=" + cwd.resolve("var") + "\n");
            JsonNode study = await().atMost(180, SECONDS) // start-up takes a minute on the shared 2-core machine
                    .pollInterval(1, SECONDS).until(() -> {
                Process p = new ProcessBuilder(DaemonProcess.javaCommand("admin", "studies", "--json", "--config",
                        config.toString())).redirectError(ProcessBuilder.Redirect.DISCARD).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                p.waitFor();
                JsonNode rows = out.contains("[") ? new ObjectMapper().readTree(out.substring(out.indexOf('['))) : null;
                return rows != null && rows.size() == 1 ? rows.get(0) : null;
            }, s -> s != null && !s.get("state").asText().equals("COLLECTING"));
            assertEquals(2, study.get("instances").asInt(), "PA and lateral of the demo study");
            assertTrue(Files.isDirectory(cwd.resolve("var/spool")), "state lives under ./var");
            assertTrue(Files.readString(log).contains("demo: pushed 2 instance(s)"), Files.readString(log));
            java.util.regex.Matcher login = java.util.regex.Pattern.compile(
                    "demo: review page (http://127.0.0.1:" + http + "/ui/) - log in as demo-radiologist with password (\\S+)")
                    .matcher(Files.readString(log));
            assertTrue(login.find(), "the demo prints the page and its login:\n" + Files.readString(log));
            java.net.http.HttpResponse<String> page = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(login.group(1))).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("RadDraft review"), page.body());
            var client = java.net.http.HttpClient.newHttpClient();
            var metadata = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + http + "/fhir/metadata"));
            assertEquals(401, client.send(metadata.build(), java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode(),
                    "the demo's FHIR API needs a login too");
            var session = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + http
                    + "/auth/session")).header("Content-Type", "application/json").POST(java.net.http.HttpRequest.BodyPublishers
                    .ofString("{\"name\":\"demo-radiologist\",\"password\":\"" + login.group(2) + "\"}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, session.statusCode(), session.body());
            String token = new ObjectMapper().readTree(session.body()).get("access_token").asText();
            assertEquals(200, client.send(metadata.header("Authorization", "Bearer " + token).build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode());
            // the demo prints where its draft is served; curl of that URL returns the DiagnosticReport
            JsonNode report = servedDraft(log, 180);
            assertEquals("DiagnosticReport", report.path("resourceType").asText(), report.toString());
            assertEquals("preliminary", report.path("status").asText(), report.toString());
        } finally {
            demo.destroy();
            demo.waitFor();
        }
    }

    /**
     * Issue 22: `raddraft demo --backend remote --endpoints URL` drafts the demo study through an
     * OpenAI-compatible engine: here the vLLM stand-in (OpenAiPeer, test code: no engine can run on
     * this machine) as its own process, recording every request it gets.
     */
    @Test
    void demoDraftsThroughTheRemoteEngine(@TempDir Path cwd) throws Exception {
        int dicom = DaemonProcess.freePort();
        int http = DaemonProcess.freePort();
        Path log = cwd.resolve("demo.log");
        Path recorded = Files.createDirectories(cwd.resolve("requests"));
        try (org.raddraft.testing.OpenAiPeer.Launched peer = org.raddraft.testing.OpenAiPeer.launch(
                cwd.resolve("peer.log"), "--port", "0", "--model",
                org.raddraft.testing.OpenAiPeer.referenceModel().toString(),
                "--served-model-name", "google/medgemma-4b-it", "--record", recorded.toString())) {
            Process demo = new ProcessBuilder(DaemonProcess.javaCommand(
                    Map.of("dicom.port", String.valueOf(dicom), "http.port", String.valueOf(http)), "demo",
                    "--backend", "remote", "--endpoints", peer.baseUrl()))
                    .directory(cwd.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                JsonNode report = servedDraft(log, 300);
                assertEquals("preliminary", report.path("status").asText(), report.toString());
                assertTrue(report.path("conclusion").asText().length() > 0, report.toString());
                // drafted by the remote model, through the engine: its answers are the draft
                Path config = cwd.resolve("admin.properties");
                Files.writeString(config, "raddraft.home=" + cwd.resolve("var") + "\n");
                Process admin = new ProcessBuilder(DaemonProcess.javaCommand("admin", "draft", "--study",
                        report.path("imagingStudy").get(0).path("identifier").path("value").asText()
                                .replaceFirst("^urn:oid:", ""), "--json", "--config", config.toString()))
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                String out = new String(admin.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertEquals(0, admin.waitFor(), out);
                JsonNode draft = new ObjectMapper().readTree(out);
                assertEquals("medgemma-4b-it", draft.path("model_name").asText(), out);
                assertEquals(report.path("conclusion").asText(), draft.path("impression").asText(), out);
                long chats;
                try (java.util.stream.Stream<Path> files = Files.list(recorded)) {
                    chats = files.filter(f -> {
                        try {
                            return Files.readString(f).contains("/v1/chat/completions");
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }).count();
                }
                assertTrue(chats >= 1, "the engine was asked for the draft");
            } finally {
                demo.destroy();
                demo.waitFor();
            }
        }
    }

    /** The draft the demo says it serves ("demo: draft report at URL - curl ..."), fetched as it says with curl. */
    private static JsonNode servedDraft(Path log, int seconds) throws Exception {
        java.util.regex.Matcher url = await().atMost(seconds, SECONDS).pollInterval(1, SECONDS).until(() ->
                java.util.regex.Pattern.compile("demo: draft report at (http://\\S+/fhir/DiagnosticReport/\\d+)"
                        + " - curl -H 'Authorization: Bearer (\\S+)'").matcher(Files.readString(log)),
                java.util.regex.Matcher::find);
        Process curl = new ProcessBuilder("curl", "-s", "-H", "Accept: application/fhir+json", "-H",
                "Authorization: Bearer " + url.group(2), url.group(1)).redirectErrorStream(true).start();
        JsonNode report = new ObjectMapper().readTree(curl.getInputStream());
        assertEquals(0, curl.waitFor());
        return report;
    }
}
