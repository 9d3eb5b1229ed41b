package org.raddraft.inference;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.Dcmtk;

/**
 * Issue "Confidence flags", done-when 4: the daemon stores each draft's flags with it, counts them in
 * /metrics, names them in its log line, shows them in {@code raddraft admin draft}, and they are the
 * same after a restart.
 */
class FlagsIT {

    @TempDir
    Path tmp;

    @Test
    void flagsAreStoredWithTheDraftSurviveARestartAndShowInAdminDraft() throws Exception {
        // an image that is no chest phantom (stripes), in scope by its header: out of distribution
        Path stripes = Dcmtk.image(tmp.resolve("in"), "stripes", 512, 3, "BodyPartExamined=CHEST", "ViewPosition=PA",
                "StudyDescription=XR CHEST");
        Path demo = DaemonProcess.APP.resolve("testdata/demo/dicom/ph-23-000034"); // a phantom, no finding
        String uid = Dcmtk.tag(stripes, "0020,000d");
        String demoUid = Dcmtk.tag(demo.resolve("2-LL.dcm"), "0020,000d");
        JsonNode before;
        try (DaemonProcess d = new DaemonProcess(tmp.resolve("home"), Map.of()).start()) {
            List<Path> files = List.of(stripes, demo.resolve("1-PA.dcm"), demo.resolve("2-LL.dcm"));
            assertEquals(files, Dcmtk.storeAsIs(d.dicomPort, "PACS", files));
            for (String u : List.of(uid, demoUid)) {
                await().atMost(90, SECONDS).until(() -> d.study(u), s -> s != null && s.get("state").asText().equals("DRAFTED"));
            }
            before = d.adminJson("draft", "--study", uid);
            JsonNode demoDraft = d.adminJson("draft", "--study", demoUid);

            assertTrue(codes(before).contains("OUT_OF_DISTRIBUTION"), before.toString());
            assertTrue(before.get("priority").asInt() >= 1, before.toString());
            assertEquals(codes(before).stream().anyMatch(c -> c.startsWith("CRITICAL_FINDING")) ? 2 : 1,
                    before.get("priority").asInt(), "priority 2 exactly when a critical finding is stated");
            double risk = before.get("risk_score").asDouble();
            assertTrue(risk > 0.5 && risk <= 1, "out of distribution: high risk, " + risk);
            assertEquals(14, before.get("classifier").size(), before.toString());
            assertTrue(before.get("unavailable").isEmpty(), "the reference model computes every flag: " + before);
            for (JsonNode f : before.get("flags")) {
                assertTrue(f.get("detail").asText().length() > 20, "plain-language detail: " + f);
                assertTrue(f.get("severity").asDouble() > 0 && f.get("severity").asDouble() <= 1, f.toString());
            }
            assertTrue(codes(demoDraft).stream().noneMatch(c -> c.startsWith("OUT_OF_DISTRIBUTION")),
                    "the demo phantom is in distribution: " + demoDraft);

            // /metrics counts flags by code; the DRAFTED line names priority, risk and codes (no patient data)
            String metrics = d.http("/metrics");
            Matcher m = Pattern.compile("raddraft_flags_total\\{code=\"OUT_OF_DISTRIBUTION\"[^}]*} (\\S+)").matcher(metrics);
            assertTrue(m.find() && Double.parseDouble(m.group(1)) >= 1, metrics);
            assertTrue(metrics.contains("raddraft_flags_total{code=\"LOW_CONFIDENCE\""), "every code listed: " + metrics);
            assertTrue(Pattern.compile("study \\d+ DRAFTED in \\d+ ms .*priority (flagged|critical), risk [0-9.]+, "
                    + "flags .*OUT_OF_DISTRIBUTION").matcher(d.log()).find(), d.log());
            assertFalse(d.log().contains("TEST^PATIENT") || d.log().contains("TESTPID"), "no patient data in the log");
            d.stop();
        }
        try (DaemonProcess d = new DaemonProcess(tmp.resolve("home"), Map.of()).start()) {
            JsonNode after = d.adminJson("draft", "--study", uid);
            assertEquals(before, after, "the stored draft and its flags are the same after a restart");
            Dcmtk.Result text = d.admin("draft", "--study", uid);
            assertEquals(0, text.exitCode(), text.output());
            assertTrue(text.output().contains("OUT_OF_DISTRIBUTION"), text.output());
            assertTrue(text.output().contains("The image is unlike the images the model was calibrated on"), text.output());
            assertTrue(text.output().contains("FINDINGS: ") && text.output().contains("risk score: "), text.output());
            Dcmtk.Result unknown = d.admin("draft", "--study", "1.2.3.4.5");
            assertEquals(1, unknown.exitCode());
            assertTrue(unknown.output().contains("no draft for Study Instance UID 1.2.3.4.5"), unknown.output());
        }
    }

    private static List<String> codes(JsonNode draft) {
        List<String> out = new java.util.ArrayList<>();
        for (JsonNode f : draft.get("flags")) {
            out.add(f.get("code").asText() + (f.get("finding").isNull() ? "" : ":" + f.get("finding").asText()));
        }
        return out;
    }
}
