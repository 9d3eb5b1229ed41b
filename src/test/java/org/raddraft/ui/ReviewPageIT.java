package org.raddraft.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.Dcmtk;

/**
 * The review page's files and image endpoints through the real daemon's HTTP port: a strict
 * Content-Security-Policy on every response, no inline script or external reference in the page, no
 * HTML sinks in its script, and a pushed study's images listed and rendered with the asked window.
 */
class ReviewPageIT {

    static final Path STUDY = Path.of(System.getProperty("raddraft.app", "."), "testdata/phantoms/dicom/ph-23-000002");
    static final String STUDY_UID = uid(STUDY.resolve("1-PA.dcm"));
    static DaemonProcess daemon;
    static Path home;
    final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @BeforeAll
    static void start() throws Exception {
        home = Files.createTempDirectory("raddraft-ui-it");
        daemon = new DaemonProcess(home, Map.of()).start();
        assertEquals(2, Dcmtk.storeAsIs(daemon.dicomPort, "PACS",
                java.util.List.of(STUDY.resolve("1-PA.dcm"), STUDY.resolve("2-LL.dcm"))).size(), "both views stored");
    }

    @AfterAll
    static void stop() throws Exception {
        daemon.close();
    }

    /** The page's files anonymously (they must load before the login); study images with a token. */
    HttpResponse<byte[]> get(String path) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.httpPort + path));
        if (path.startsWith("/ui/studies/")) {
            b.header("Authorization", "Bearer " + daemon.token("radiologist"));
            assertEquals(401, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.httpPort + path))
                    .build(), HttpResponse.BodyHandlers.discarding()).statusCode(), "images need a session");
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void pageFilesCarryAStrictContentSecurityPolicy() throws Exception {
        for (String f : new String[] {"/ui/", "/ui/app.js", "/ui/app.css"}) {
            HttpResponse<byte[]> r = get(f);
            assertEquals(200, r.statusCode(), f);
            String csp = r.headers().firstValue("Content-Security-Policy").orElse("");
            assertTrue(csp.startsWith("default-src 'self'"), f + ": " + csp);
            assertTrue(csp.contains("script-src 'self';") && !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
                    f + ": " + csp);
            assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElse(""), f);
        }
        assertTrue(get("/ui/").headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        assertEquals(302, get("/ui").statusCode(), "/ui redirects to /ui/ so relative links work");
        assertEquals(400, get("/ui/../raddraft.properties").statusCode(), "dot segments are refused (issue 21)");
        assertEquals(404, get("/ui/nothing.js").statusCode());
    }

    @Test
    void pageHasNoInlineScriptNoExternalReferenceAndNoHtmlSinks() throws Exception {
        String html = new String(get("/ui/").body());
        String js = new String(get("/ui/app.js").body());
        String css = new String(get("/ui/app.css").body());
        assertFalse(Pattern.compile("<script(?![^>]*\\bsrc=)[^>]*>", Pattern.CASE_INSENSITIVE).matcher(html).find(),
                "every <script> has a src");
        assertFalse(Pattern.compile("\\son[a-z]+\\s*=", Pattern.CASE_INSENSITIVE).matcher(html).find(), "no on* handlers");
        assertFalse(Pattern.compile("\\sstyle\\s*=", Pattern.CASE_INSENSITIVE).matcher(html).find(), "no inline styles");
        for (String text : new String[] {html, js, css}) {
            assertFalse(Pattern.compile("(https?:)?//[a-z0-9.-]+\\.[a-z]{2,}/", Pattern.CASE_INSENSITIVE)
                    .matcher(text.replaceAll("(?m)^\\s*//.*$", "")).find(), "nothing loaded from another host");
        }
        for (String sink : new String[] {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("}) {
            assertFalse(js.contains(sink), "app.js uses " + sink);
        }
        assertTrue(js.contains("textContent"));
    }

    @Test
    void studyImagesAreListedAndRenderedWithTheAskedWindow() throws Exception {
        JsonNode list = org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(
                () -> new ObjectMapper().readTree(get("/ui/studies/" + STUDY_UID + "/instances").body()),
                n -> n.size() == 2);
        assertEquals("PA", list.get(0).get("viewPosition").asText(), "frontal first");
        String sop = list.get(0).get("sopInstanceUid").asText();
        String base = "/ui/studies/" + STUDY_UID + "/instances/" + sop + "/rendered";
        HttpResponse<byte[]> png = get(base);
        assertEquals(200, png.statusCode());
        assertEquals("image/png", png.headers().firstValue("Content-Type").orElse(""));
        assertTrue(png.headers().firstValue("Cache-Control").orElse("").contains("no-store"));
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png.body()));
        assertEquals(320, img.getWidth());
        byte[] bone = get(base + "?preset=bone").body();
        assertFalse(Arrays.equals(png.body(), bone), "bone window differs from the file's window");
        assertEquals(160, ImageIO.read(new ByteArrayInputStream(get(base + "?size=160").body())).getWidth());
        HttpResponse<byte[]> explicit = get(base + "?window=30000,20000&format=jpeg");
        assertEquals("image/jpeg", explicit.headers().firstValue("Content-Type").orElse(""));
        assertTrue(explicit.headers().firstValue("X-Window").orElse("").startsWith("30000.0,20000.0,explicit"));
        HttpResponse<byte[]> bad = get(base + "?preset=brain");
        assertEquals(400, bad.statusCode());
        assertTrue(new String(bad.body()).contains("default, lung, soft or bone"), new String(bad.body()));
        assertEquals(404, get("/ui/studies/" + STUDY_UID + "/instances/1.2.3/rendered").statusCode());
        assertNotEquals(200, get("/ui/studies/1.2.3/instances/x/rendered").statusCode());
    }

    @Test
    void imageReadsAreAuditedOncePerStudyAndWindowAndServedAsAuditEvents() throws Exception {
        String viewer = daemon.newAccount("it-viewer", "radiologist");
        String base = "/ui/studies/" + STUDY_UID + "/instances";
        JsonNode list = org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(
                () -> new ObjectMapper().readTree(daemon.request("GET", base, viewer, Map.of(), null).body()),
                n -> n.size() == 2);
        for (String preset : new String[] {"default", "lung", "bone", "lung"}) { // a reviewer trying windows
            for (JsonNode inst : list) {
                assertEquals(200, daemon.request("GET", base + "/" + inst.get("sopInstanceUid").asText()
                        + "/rendered?size=64&preset=" + preset, viewer, Map.of(), null).statusCode());
            }
        }
        assertEquals(404, daemon.request("GET", base + "/1.2.3/rendered", viewer, Map.of(), null).statusCode());
        String admin = daemon.token("admin");
        JsonNode images = new ObjectMapper().readTree(daemon.request("GET",
                "/fhir/AuditEvent?subtype=study-image&agent-name=it-viewer", admin, Map.of(), null).body());
        assertEquals(2, images.path("entry").size(), "8 renderings: one success row, and one for the missing image: "
                + images);
        long studyId = daemon.study(STUDY_UID).get("id").asLong();
        for (JsonNode e : images.path("entry")) {
            JsonNode ev = e.get("resource");
            assertEquals("110103", ev.at("/type/code").asText(), "DICOM Instances Accessed");
            assertEquals("R", ev.get("action").asText());
            assertEquals(String.valueOf(studyId), ev.at("/entity/0/detail/0/valueString").asText());
            assertFalse(ev.toString().contains(STUDY_UID), "the study's internal id, as the other events");
        }
        assertEquals(java.util.Set.of("0", "4"), java.util.Set.of(images.at("/entry/0/resource/outcome").asText(),
                images.at("/entry/1/resource/outcome").asText()), "the outcome of each kind");
        JsonNode lists = new ObjectMapper().readTree(daemon.request("GET",
                "/fhir/AuditEvent?subtype=study-instances&agent-name=it-viewer", admin, Map.of(), null).body());
        assertEquals(1, lists.path("entry").size(), "the instance list: " + lists);
    }

    static String uid(Path dcm) {
        try {
            return org.raddraft.dicom.DicomImageWriter.attribute(dcm, "StudyInstanceUID");
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
