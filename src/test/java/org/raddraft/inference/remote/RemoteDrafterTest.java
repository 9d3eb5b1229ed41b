package org.raddraft.inference.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.flags.FlagCode;
import org.raddraft.inference.DicomPreprocessingTest;
import org.raddraft.inference.DraftOutcome;
import org.raddraft.inference.StudyImages;
import org.raddraft.testing.Dcmtk;

class RemoteDrafterTest {

    static final Path EXAMPLE = Path.of("models/remote-medgemma-example");
    static final String INDICATION = "Astrid Lindqvist (DOB 15.07.1948, MRN RD-4471902, acc ACC55120): fever and cough since 30 Nov 2026";

    @TempDir
    Path tmp;

    /** A phantom study (frontal + lateral) relabelled with identifiers and an indication that names them. */
    private StudyImages study(String... extra) throws Exception {
        Path src = DicomPreprocessingTest.phantomTestdata().resolve("dicom/ph-23-000000");
        Path f = Files.copy(src.resolve("1-AP.dcm"), tmp.resolve("f.dcm"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path l = Files.copy(src.resolve("2-LL.dcm"), tmp.resolve("l.dcm"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        for (Path p : List.of(f, l)) {
            java.util.List<Object> args = new java.util.ArrayList<>(List.of("dcmodify", "-nb",
                    "-m", "(0010,0010)=Lindqvist^Astrid^Maria", "-m", "(0010,0020)=RD-4471902",
                    "-m", "(0010,0030)=19480715", "-m", "(0008,0050)=ACC55120", "-i", "(0032,1030)=" + INDICATION));
            for (String e : extra) {
                args.add("-m");
                args.add(e);
            }
            args.add(p.toString());
            Dcmtk.ok(args.toArray());
        }
        return new StudyImages(7, f, l);
    }

    private static RemoteDrafter drafter(List<java.net.URI> endpoints) throws Exception {
        RemoteSettings s = new RemoteSettings(endpoints, "m", Duration.ofSeconds(5), Duration.ofSeconds(2), 2, null, 3,
                Duration.ofSeconds(30), Duration.ofMillis(1), true, true, false, true);
        return new RemoteDrafter(RemoteModel.open(EXAMPLE), s, new EndpointPool(s), null, null, true);
    }

    @Test
    void draftsFromTheAnswerAndSendsOnlyPixelsAndTheScrubbedPrompt() throws Exception {
        try (TinyEngine engine = new TinyEngine(); RemoteDrafter d = drafter(List.of(engine.base()))) {
            DraftOutcome o = d.draft(List.of(study())).get(0);
            assertTrue(o.ok(), o.failure());
            assertEquals("Heart size is normal. No pleural effusion.", o.draft().findings());
            assertEquals("No acute disease.", o.draft().impression());
            assertEquals("frontal,lateral,indication", o.draft().remote().inputsSent());
            assertEquals(List.of(-0.1f, -0.3f, -0.2f), o.draft().tokenLogProbs());
            // without a calibration every flag is unavailable, with the reason
            assertTrue(o.draft().remote().unavailable().get(FlagCode.LOW_CONFIDENCE.name()).contains("flags-calibration.json"));

            JsonNode req = new ObjectMapper().readTree(engine.requests.get(0));
            assertEquals("m", req.path("model").asText());
            assertTrue(req.path("logprobs").asBoolean());
            String prompt = req.path("messages").get(1).path("content").get(0).path("text").asText();
            assertTrue(prompt.contains("fever and cough"), prompt);
            assertEquals(2, req.path("messages").get(1).path("content").size() - 1, "two images");
            assertTrue(req.path("messages").get(1).path("content").get(1).path("image_url").path("url").asText()
                    .startsWith("data:image/png;base64,"));
            for (String r : engine.requests) {
                String low = r.toLowerCase(Locale.ROOT);
                for (String id : List.of("lindqvist", "astrid", "4471902", "19480715", "1948", "acc55120", "55120",
                        "ph-23-000000", "phantom^0000")) {
                    assertFalse(low.contains(id), id + " left the machine");
                }
            }
        }
    }

    @Test
    void burnedInAnnotationIsNotSentAndTheDraftFailsSayingWhy() throws Exception {
        try (TinyEngine engine = new TinyEngine(); RemoteDrafter d = drafter(List.of(engine.base()))) {
            DraftOutcome o = d.draft(List.of(study("(0028,0301)=YES"))).get(0);
            assertFalse(o.ok());
            assertFalse(o.waits());
            assertTrue(o.failure().contains("BurnedInAnnotation=YES"), o.failure());
            assertEquals(0, engine.calls.get());
        }
    }

    @Test
    void everyEngineDownMakesTheStudyWaitAndAMalformedAnswerFailsIt() throws Exception {
        try (RemoteDrafter d = drafter(List.of(EndpointPoolTest.deadEndpoint()))) {
            DraftOutcome o = d.draft(List.of(study())).get(0);
            assertTrue(o.waits(), String.valueOf(o.failure()));
            assertTrue(o.failure().contains("no drafting engine answered"), o.failure());
        }
        try (TinyEngine engine = new TinyEngine(); RemoteDrafter d = drafter(List.of(engine.base()))) {
            engine.body = TinyEngine.ANSWER.replace("FINDINGS:", "").replace("IMPRESSION:", "");
            DraftOutcome o = d.draft(List.of(study())).get(0);
            assertFalse(o.ok() || o.waits());
            assertTrue(o.failure().contains("no FINDINGS or IMPRESSION heading"), o.failure());
            engine.body = "{\"choices\":[]}";
            o = d.draft(List.of(study())).get(0);
            assertTrue(o.failure().contains("no choices"), o.failure());
        }
    }

    @Test
    void aLocalClassifierInTheModelDirectoryJudgesTheRemoteDraft() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("model"));
        Files.copy(EXAMPLE.resolve("raddraft-model.json"), dir.resolve("raddraft-model.json"));
        for (String f : List.of("classifier.onnx", "labels.json", "preprocessor_config.json")) {
            Files.copy(Path.of("models/reference-cxr").resolve(f), dir.resolve(f));
        }
        RemoteSettings live;
        try (TinyEngine engine = new TinyEngine()) {
            live = new RemoteSettings(List.of(engine.base()), "m", Duration.ofSeconds(5), Duration.ofSeconds(2), 2, null, 3,
                    Duration.ofSeconds(30), Duration.ofMillis(1), true, true, false, false);
            try (RemoteDrafter d = new RemoteDrafter(RemoteModel.open(dir), live, new EndpointPool(live), null, null, true)) {
                DraftOutcome o = d.draft(List.of(study())).get(0);
                assertTrue(o.ok(), o.failure());
                assertEquals(14, o.draft().signals().classifier().size(), "one probability per labels.json label");
                assertEquals(14, o.draft().signals().ood().get("classifier_frontal").length);
            }
        }
    }

    @Test
    void anEngineWithoutPromptScoringLeavesNotImageGroundedUnmeasuredWithTheReason() throws Exception {
        try (TinyEngine engine = new TinyEngine(); RemoteDrafter d = drafter(List.of(engine.base()))) {
            DraftOutcome o = d.draft(List.of(study())).get(0);
            assertNull(o.draft().signals().groundingDrop());
            assertEquals(3, engine.calls.get(), "the draft and two scoring requests (real, noise)");
            JsonNode score = new ObjectMapper().readTree(engine.requests.get(1));
            assertTrue(score.path("continue_final_message").asBoolean() && score.path("prompt_logprobs").asInt(-1) == 0);
        }
    }
}
