package org.raddraft.inference;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.Dcmtk;

/** The daemon drafts what it receives with the committed reference model (routes/draft.yaml). */
class DraftIT {

    @TempDir
    static Path tmp;
    static DaemonProcess daemon;

    @BeforeAll
    static void start() throws Exception {
        daemon = new DaemonProcess(tmp.resolve("home"), Map.of("draft.retry-seconds", "1", "draft.max-attempts", "2"))
                .start();
    }

    @AfterAll
    static void stop() throws Exception {
        daemon.close();
    }

    static JsonNode awaitState(String studyUid, String state) {
        return await().atMost(60, SECONDS).pollInterval(500, java.util.concurrent.TimeUnit.MILLISECONDS)
                .until(() -> daemon.study(studyUid), s -> s != null && s.get("state").asText().equals(state));
    }

    /** A copy of a testdata file as a new study (new Study/Series/SOP Instance UIDs). */
    static Path asNewStudy(Path source, String name) throws Exception {
        Path copy = Files.createDirectories(tmp.resolve("in")).resolve(name);
        Files.copy(source, copy);
        Dcmtk.ok("dcmodify", "-nb", "-gst", "-gse", "-gin", copy);
        return copy;
    }

    static List<String> drafts(String studyUid) throws Exception {
        List<String> texts = new ArrayList<>();
        try (Connection c = daemon.db();
                var ps = c.prepareStatement("""
                        SELECT d.state, d.findings, d.impression, d.missing_view, d.token_logprobs
                        FROM draft d JOIN study s ON s.id = d.study_id WHERE s.study_instance_uid = ? ORDER BY d.id""")) {
            ps.setString(1, studyUid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    texts.add(rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getString(3) + "|" + rs.getString(4)
                            + "|" + rs.getString(5));
                }
            }
        }
        return texts;
    }

    @Test
    void everyTestdataPhantomStudyIsDrafted() throws Exception {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(DaemonProcess.APP.resolve("testdata/phantoms/dicom"))) {
            files = walk.filter(p -> p.toString().endsWith(".dcm")).sorted().toList();
        }
        // each study in the transfer syntax it was written in (JPEG lossless, RLE, implicit, explicit)
        assertEquals(files, Dcmtk.storeAsIs(daemon.dicomPort, "PACS", files));
        for (String dir : List.of("ph-23-000000", "ph-23-000001", "ph-23-000002", "ph-23-000003", "ph-23-000004",
                "ph-23-000005")) {
            String uid = Dcmtk.tag(DaemonProcess.APP.resolve("testdata/phantoms/dicom/" + dir + "/2-LL.dcm"), "0020,000d");
            awaitState(uid, "DRAFTED");
            String draft = drafts(uid).get(0);
            assertTrue(draft.startsWith("DRAFTED|"), draft);
            String[] parts = draft.split("\\|");
            assertFalse(parts[1].isBlank(), "findings drafted: " + draft);
            assertFalse(parts[2].isBlank(), "impression drafted: " + draft);
            assertEquals("null", parts[3], "both views were used");
            assertTrue(parts[4].startsWith("[-") || parts[4].startsWith("[0"), "token log-probs kept: " + parts[4]);
        }
        String metrics = daemon.http("/metrics");
        assertTrue(metrics.contains("raddraft_draft_latency_seconds_count"), metrics);
    }

    @Test
    void frontalOnlyStudyIsDraftedWithTheMissingViewRecorded() throws Exception {
        Path pa = asNewStudy(DaemonProcess.APP.resolve("testdata/demo/dicom/ph-23-000034/1-PA.dcm"), "solo.dcm");
        String uid = Dcmtk.tag(pa, "0020,000d");
        assertEquals(1, Dcmtk.storescu("PACS", daemon.dicomPort, pa).storedFiles().size());
        awaitState(uid, "DRAFTED");
        assertEquals("lateral", drafts(uid).get(0).split("\\|")[3]);
    }

    @Test
    void undecodablePixelsFailWithReasonAndRetryBoundedWhileOthersDraft() throws Exception {
        Path bad = asNewStudy(DaemonProcess.APP.resolve("testdata/phantoms/dicom/ph-23-000002/1-PA.dcm"), "bad.dcm");
        zeroRleHeader(bad);
        String badUid = Dcmtk.tag(bad, "0020,000d");
        Path good = asNewStudy(DaemonProcess.APP.resolve("testdata/demo/dicom/ph-23-000034/1-PA.dcm"), "good.dcm");
        String goodUid = Dcmtk.tag(good, "0020,000d");
        assertEquals(List.of(bad, good), Dcmtk.storeAsIs(daemon.dicomPort, "PACS", List.of(bad, good)),
                "the receiver accepts both: the data sets are complete");
        JsonNode failed = await().atMost(60, SECONDS).until(() -> daemon.study(badUid),
                s -> s != null && s.get("reason").asText("").contains("not retried"));
        assertEquals("FAILED", failed.get("state").asText());
        assertTrue(failed.get("reason").asText().contains("pixel data"), failed.toString());
        assertTrue(failed.get("reason").asText().endsWith("(attempt 2 of 2, not retried)"), failed.toString());
        awaitState(goodUid, "DRAFTED");

        // An admin asks for another try (as after replacing a broken model): two fresh attempts
        String failedLine = "study " + failed.get("id").asText() + " FAILED";
        assertEquals(2, occurrences(daemon.log(), failedLine), daemon.log());
        var retry = daemon.admin("retry", "--study", badUid);
        assertEquals(0, retry.exitCode(), retry.output());
        assertTrue(retry.output().contains("study " + failed.get("id").asText() + " re-queued for drafting"), retry.output());
        try (Connection c = daemon.db();
                var ps = c.prepareStatement("SELECT user_name, role FROM audit_event WHERE action = 'retry' AND study_id = ?")) {
            ps.setLong(1, failed.get("id").asLong());
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next(), "admin retry is audited");
                assertTrue(rs.getString(1).startsWith("cli:"), rs.getString(1));
                assertEquals("admin", rs.getString(2));
            }
        }
        await().atMost(60, SECONDS).until(() -> occurrences(daemon.log(), failedLine) == 4);
        awaitState(badUid, "FAILED");
        JsonNode all = daemon.adminJson("retry", "--all-failed");
        assertEquals(1, all.size(), all.toString());
        assertEquals(badUid, all.get(0).get("study_instance_uid").asText());
        assertTrue(all.get(0).get("failed_reason").asText().endsWith("(attempt 2 of 2, not retried)"), all.toString());

        var notFailed = daemon.admin("retry", "--study", goodUid);
        assertEquals(1, notFailed.exitCode(), notFailed.output());
        assertTrue(notFailed.output().contains("is DRAFTED, not FAILED"), notFailed.output());
        var unknown = daemon.admin("retry", "--study", "1.2.3.999");
        assertEquals(1, unknown.exitCode(), unknown.output());
        assertTrue(unknown.output().contains("no study with Study Instance UID 1.2.3.999"), unknown.output());
        var neither = daemon.admin("retry");
        assertEquals(2, neither.exitCode(), neither.output());
        assertTrue(neither.output().contains("exactly one of --study UID or --all-failed"), neither.output());
    }

    private static int occurrences(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    /** Zeroes the RLE header of the first fragment: the file stays a complete data set, its pixels undecodable. */
    static void zeroRleHeader(Path file) throws Exception {
        byte[] b = Files.readAllBytes(file);
        int i = -1;
        for (int k = 0; k < b.length - 4; k++) {
            if ((b[k] & 0xff) == 0xE0 && (b[k + 1] & 0xff) == 0x7F && b[k + 2] == 0x10 && b[k + 3] == 0x00) {
                i = k;
            }
        }
        while (!((b[i] & 0xff) == 0xFE && (b[i + 1] & 0xff) == 0xFF && b[i + 2] == 0 && (b[i + 3] & 0xff) == 0xE0)) {
            i++;
        }
        int offsetTableLength = (b[i + 4] & 0xff) | (b[i + 5] & 0xff) << 8 | (b[i + 6] & 0xff) << 16 | (b[i + 7] & 0xff) << 24;
        int rleHeader = i + 8 + offsetTableLength + 8;
        for (int k = 0; k < 64; k++) {
            b[rleHeader + k] = 0;
        }
        Files.write(file, b);
    }

    @Test
    void wrongModelDirectoryStopsStartUpWithOneMessage(@TempDir Path dir) throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        try (Stream<Path> files = Files.list(DaemonProcess.APP.resolve("models/reference-cxr"))) {
            for (Path f : files.toList()) {
                if (!f.getFileName().toString().equals("decoder_with_past_model.onnx")) {
                    Files.copy(f, model.resolve(f.getFileName()));
                }
            }
        }
        DaemonProcess d = new DaemonProcess(dir.resolve("home"), Map.of("model.dir", model.toString()));
        Process p = new ProcessBuilder(DaemonProcess.javaCommand("run", "--config", d.configFile().toString()))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, p.waitFor(), out);
        List<String> notStarting = out.lines().filter(l -> l.startsWith("not starting:")).toList();
        assertEquals(1, notStarting.size(), out);
        assertTrue(notStarting.get(0).contains("decoder_with_past_model.onnx"), notStarting.get(0));
        assertFalse(out.contains("DICOM SCP"), "nothing started listening:\n" + out);
        assertNotEquals(200, d.httpStatus("/health/live"));
    }

    @Test
    void evalJsonIsTheOnlyThingOnStdout(@TempDir Path dir) throws Exception {
        Process p = new ProcessBuilder(DaemonProcess.javaCommand("eval", "--model",
                DaemonProcess.APP.resolve("models/reference-cxr").toString(), "--studies", "3", "--json"))
                .directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        // one JSON object and nothing else: a log line on stdout would break `eval --json | jq`
        JsonNode r = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(out);
        assertEquals(3, r.get("studies").asInt(), out);
        assertTrue(r.has("label_f1_macro"), out);
    }
}
