package org.raddraft.inference.onnx;

import org.raddraft.inference.DicomPreprocessingTest;
import org.raddraft.inference.TestModels;
import org.raddraft.inference.ReportText;
import org.raddraft.inference.StudyImages;
import org.raddraft.inference.DraftOutcome;
import org.raddraft.inference.Draft;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The daemon's entry point: studies from DICOM files to drafts, batch by batch. */
class OnnxDrafterTest {

    static OnnxDrafter drafter;
    static Path study;

    @TempDir
    Path tmp;

    @BeforeAll
    static void open() throws Exception {
        Path model = TestModels.modelDir();
        Path data = DicomPreprocessingTest.phantomTestdata();
        try (Stream<Path> s = Files.list(data.resolve("dicom"))) {
            study = s.sorted().findFirst().orElseThrow();
        }
        drafter = OnnxDrafter.open(model, OnnxDrafter.Options.defaults().withThreads(1).withBatchSize(4));
    }

    @AfterAll
    static void close() {
        if (drafter != null) {
            drafter.close();
        }
    }

    static Path view(String prefix) throws Exception {
        try (Stream<Path> s = Files.list(study)) {
            return s.filter(f -> f.getFileName().toString().startsWith(prefix)).findFirst().orElseThrow();
        }
    }

    @Test
    void draftsATwoViewStudyWithTokensLogProbsAndSections() throws Exception {
        List<DraftOutcome> out = drafter.draft(List.of(new StudyImages(7, view("1-"), view("2-"))));
        assertEquals(1, out.size());
        DraftOutcome o = out.get(0);
        assertTrue(o.ok(), o.failure());
        assertEquals(7, o.studyId());
        Draft d = o.draft();
        assertNull(d.missingView());
        assertFalse(d.tokenIds().isEmpty());
        assertEquals(d.tokenIds().size(), d.tokenLogProbs().size());
        assertTrue(d.tokenLogProbs().stream().allMatch(lp -> lp <= 0 && Float.isFinite(lp)));
        assertTrue(d.tokenIds().size() <= drafter.model().generation().maxLength() - 1);
        assertEquals(drafter.model().manifest().name(), d.modelName());
    }

    @Test
    void frontalOnlyStudyDraftsWithMissingLateralRecorded() throws Exception {
        List<DraftOutcome> out = drafter.draft(List.of(new StudyImages(8, view("1-"), null)));
        assertTrue(out.get(0).ok(), out.get(0).failure());
        assertEquals("lateral", out.get(0).draft().missingView());
        assertFalse(out.get(0).draft().tokenIds().isEmpty());
    }

    @Test
    void undecodableStudyFailsAloneInItsBatch() throws Exception {
        Path junk = Files.writeString(tmp.resolve("junk.dcm"), "not a DICOM file");
        List<DraftOutcome> out = drafter.draft(List.of(new StudyImages(1, view("1-"), view("2-")),
                new StudyImages(2, junk, null), new StudyImages(3, view("1-"), view("2-"))));
        assertTrue(out.get(0).ok());
        assertFalse(out.get(1).ok());
        assertTrue(out.get(1).failure().startsWith("cannot preprocess images: "), out.get(1).failure());
        assertTrue(out.get(2).ok());
        assertEquals(out.get(0).draft().tokenIds(), out.get(2).draft().tokenIds());
    }

    @Test
    void cudaFallsBackToCpuWhenUnavailable() throws Exception {
        try (OnnxDrafter d = OnnxDrafter.open(drafter.model().dir(),
                OnnxDrafter.Options.defaults().withThreads(1).withDevice("cuda"))) {
            // this machine has no CUDA (CPU jar, no GPU): one warning, then CPU
            assertTrue(d.device().equals("cpu") || d.device().equals("cuda"));
            assertTrue(d.draft(List.of(new StudyImages(9, view("1-"), view("2-")))).get(0).ok());
        }
    }

    @Test
    void sectionsSplitOnImpressionAndAreSentenceCased() {
        String[] s = ReportText.sections("findings: the heart is enlarged. no effusion. impression: cardiomegaly.");
        assertEquals("The heart is enlarged. No effusion.", s[0]);
        assertEquals("Cardiomegaly.", s[1]);
        assertEquals("a 1.5 cm nodule (right)", ReportText.detokenize("a 1. 5 cm nodule ( right )"));
    }
}
