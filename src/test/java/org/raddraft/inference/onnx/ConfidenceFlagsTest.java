package org.raddraft.inference.onnx;

import org.raddraft.inference.TestModels;
import org.raddraft.inference.StudyImages;
import org.raddraft.inference.DraftOutcome;
import org.raddraft.inference.Draft;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.raddraft.dicom.DicomAttributes;
import org.raddraft.flags.Assessment;
import org.raddraft.flags.FlagCode;
import org.raddraft.ingest.ScopeGate;

/**
 * The confidence flags of the committed reference model and its calibration, on the daemon's drafting
 * code ({@link OnnxDrafter}): image reliance drops when the image is ablated; blank, noise and real
 * images are flagged; the demo phantom is not.
 */
class ConfidenceFlagsTest {

    static OnnxDrafter drafter;

    @BeforeAll
    static void open() throws Exception {
        drafter = OnnxDrafter.open(TestModels.modelDir(), OnnxDrafter.Options.defaults().withThreads(1));
        assertNotNull(drafter.flagCalibration(), "the reference model ships its flags-calibration.json");
    }

    @AfterAll
    static void close() {
        if (drafter != null) {
            drafter.close();
        }
    }

    static Draft draft(Path frontal, Path lateral) throws Exception {
        DraftOutcome o = drafter.draft(List.of(new StudyImages(1, frontal, lateral))).get(0);
        assertTrue(o.ok(), o.failure());
        assertNotNull(o.draft().assessment());
        return o.draft();
    }

    static Path testdata(String study, String file) {
        return Path.of(System.getProperty("user.dir")).resolve("testdata/phantoms/dicom").resolve(study).resolve(file);
    }

    @Test
    void groundingDropsWhenTheImageOfAClearFindingIsAblated() throws Exception {
        // ph-23-000002: a large left pleural effusion (testdata/README.md)
        Draft d = draft(testdata("ph-23-000002", "1-PA.dcm"), testdata("ph-23-000002", "2-LL.dcm"));
        assertTrue(d.signals().stated().get("Pleural Effusion").positive(), d.findings());
        // the same words scored with noise instead of the image lose a lot of likelihood per token
        assertTrue(d.signals().groundingDrop() > 0.3, "drop with noise " + d.signals().groundingDrop());
        // occluding where the classifier sees the effusion lowers the likelihood of its sentences
        Double effusion = d.signals().findingDrops().get("Pleural Effusion");
        assertNotNull(effusion, "effusion region checked: " + d.signals().findingDrops());
        assertTrue(effusion > 0.05, "drop of the effusion sentences with its region occluded: " + effusion);
        assertFalse(d.assessment().has(FlagCode.NOT_IMAGE_GROUNDED), d.assessment().flags().toString());
        assertFalse(d.assessment().has(FlagCode.OUT_OF_DISTRIBUTION), d.assessment().flags().toString());
        // teacher forcing reproduces the generation's own log-probabilities (the ablations are compared with them)
        OrtSeq2Seq rt = drafter.runtime();
        float[] px = drafter.pixelValues(new StudyImages(1, testdata("ph-23-000002", "1-PA.dcm"),
                testdata("ph-23-000002", "2-LL.dcm")));
        int[] ids = d.tokenIds().stream().mapToInt(Integer::intValue).toArray();
        float[] tf = rt.teacherForced(rt.encode(px, 1), new int[][] {ids}, 2, 0)[0];
        for (int i = 0; i < ids.length; i++) {
            assertEquals(d.tokenLogProbs().get(i), tf[i], 2e-3, "token " + i);
        }
    }

    @Test
    void blankAndNoiseImagesAreNotGroundedOrOutOfDistribution() throws Exception {
        int plane = drafter.runtime().imageSize() * drafter.runtime().imageSize();
        int views = drafter.runtime().views();
        float[] blank = new float[views * plane];
        float black = drafter.preprocessor().normalise(new float[] {0f}, 0)[0];
        java.util.Arrays.fill(blank, black);
        float[] noise = new float[views * plane];
        Random r = new Random(7);
        for (int i = 0; i < noise.length; i++) {
            noise[i] = (float) r.nextGaussian();
        }
        List<Draft> drafts = drafter.draftPixels(List.of(blank, noise), null);
        for (Draft d : drafts) {
            Assessment a = d.assessment();
            assertTrue(a.has(FlagCode.NOT_IMAGE_GROUNDED) || a.has(FlagCode.OUT_OF_DISTRIBUTION), a.flags().toString());
            assertTrue(a.priority() >= Assessment.FLAGGED);
        }
    }

    @Test
    void theDemoPhantomStudyIsInDistribution() throws Exception {
        Path dir = Path.of(System.getProperty("user.dir")).resolve("testdata/demo/dicom/ph-23-000034");
        Draft d = draft(dir.resolve("1-PA.dcm"), dir.resolve("2-LL.dcm"));
        assertFalse(d.assessment().has(FlagCode.OUT_OF_DISTRIBUTION), d.assessment().flags().toString());
        for (Path p : List.of(testdata("ph-23-000001", "1-PA.dcm"), testdata("ph-23-000004", "1-AP.dcm"))) {
            Path lateral = p.resolveSibling("2-LL.dcm");
            Assessment a = draft(p, lateral).assessment();
            assertFalse(a.has(FlagCode.OUT_OF_DISTRIBUTION), p + ": " + a.flags());
        }
    }

    /** Issue "Confidence flags", done-when 3: real radiographs are out of distribution for the reference model. */
    @Test
    void everyRealChestRadiographIsOutOfDistribution() throws Exception {
        Path dir = TestModels.sharedDicom();
        List<String> checked = new ArrayList<>();
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                DicomAttributes a = DicomAttributes.read(f);
                ScopeGate.InstanceFacts facts = new ScopeGate.InstanceFacts(a.modality(), a.bodyPartExamined(),
                        a.viewPosition(), a.studyDescription(), a.seriesDescription(), a.patientAge(),
                        a.patientBirthDate(), a.studyDate());
                String view = ScopeGate.draftingView(facts);
                boolean chest = view != null || a.bodyPartExamined() == null || "CHEST".equalsIgnoreCase(a.bodyPartExamined());
                if (!chest) {
                    continue; // the extremity sample: the scope gate stops it before drafting
                }
                // a single frontal view, as the daemon drafts a study of one image (lateral filled per the manifest)
                Draft d = draft(f, null);
                assertTrue(d.assessment().has(FlagCode.OUT_OF_DISTRIBUTION), f.getFileName() + " (scope gate view "
                        + view + "): " + d.assessment().flags());
                assertTrue(d.assessment().priority() >= Assessment.FLAGGED);
                checked.add(f.getFileName().toString());
            }
        }
        Assumptions.assumeFalse(checked.isEmpty(), "no chest radiographs in " + dir);
        assertTrue(checked.size() >= 4, "checked " + checked);
    }
}
