package org.raddraft.inference.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.raddraft.inference.DicomPreprocessingTest;
import org.raddraft.inference.Draft;
import org.raddraft.inference.DraftOutcome;
import org.raddraft.inference.StudyImages;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Hugging Face drop-in claim (issue 23): a model with the ONNX interface Optimum's
 * {@code image-to-text-with-past} export gives a ViT + GPT-2 {@code VisionEncoderDecoderModel}
 * (3-channel {@code pixel_values}, {@code past_key_values.N.key/value} self-attention cache, cross
 * attention recomputed from {@code encoder_hidden_states}, HF {@code ViTImageProcessor} config) loads
 * unchanged and drafts phantoms through the daemon's entry point ({@link OnnxDrafter#draft}).
 *
 * <p>The models are built here by {@code training/realistic_model.py --tiny}: the same architecture
 * and interface with small widths (random weights, a few MB, seconds), so every run exercises the
 * interface; the full-size model ({@code models/realistic-cxr}, ~1 GB) is built on demand for the
 * benchmark. Needs Debian {@code /usr/bin/python3} with python3-torch and python3-onnx (skipped with a
 * message otherwise).
 */
class RealisticModelTest {

    static final Path PYTHON = Path.of(System.getProperty("raddraft.python", "/usr/bin/python3"));
    static final Path SCRIPT = Path.of(System.getProperty("user.dir"), "training", "realistic_model.py");

    static Path root;
    static Path plain;
    static Path masks;
    static Path int8;
    static Path cross;
    static OnnxDrafter drafter;
    static Path study;

    @BeforeAll
    static void build() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(PYTHON) && python("-c", "import torch, onnx") == 0,
                "no " + PYTHON + " with torch and onnx (Debian python3-torch, python3-onnx): realistic-model tests skipped");
        root = Files.createTempDirectory("realistic-model");
        plain = root.resolve("tiny");
        masks = root.resolve("tiny-masks");
        int8 = root.resolve("tiny-int8");
        cross = root.resolve("tiny-seq2seq");
        assertEquals(0, python(SCRIPT.toString(), "build", plain.toString(), "--tiny", "--max-length", "24"));
        // same seed, same weights; this decoder also asks for attention_mask and position_ids
        assertEquals(0, python(SCRIPT.toString(), "build", masks.toString(), "--tiny", "--max-length", "24", "--masks"));
        assertEquals(0, python(SCRIPT.toString(), "quantize", plain.toString(), int8.toString()));
        // same seed, same weights, exported with the seq2seq cache layout (cross-attention K/V cached)
        assertEquals(0, python(SCRIPT.toString(), "build", cross.toString(), "--tiny", "--max-length", "24",
                "--layout", "seq2seq"));
        try (Stream<Path> s = Files.list(DicomPreprocessingTest.phantomTestdata().resolve("dicom"))) {
            study = s.sorted().findFirst().orElseThrow();
        }
        drafter = OnnxDrafter.open(plain, OnnxDrafter.Options.defaults().withThreads(1).withBatchSize(2));
    }

    @AfterAll
    static void close() throws IOException {
        if (drafter != null) {
            drafter.close();
        }
        if (root != null) {
            try (Stream<Path> w = Files.walk(root)) {
                w.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static int python(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(PYTHON.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        p.getOutputStream().close();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    static Path view(String prefix) throws IOException {
        try (Stream<Path> s = Files.list(study)) {
            return s.filter(f -> f.getFileName().toString().startsWith(prefix)).findFirst().orElseThrow();
        }
    }

    @Test
    void optimumGpt2InterfaceDraftsAPhantomThroughTheDaemonEntryPoint() throws Exception {
        assertEquals(3, drafter.runtime().channels());
        assertEquals(1, drafter.runtime().views());
        List<DraftOutcome> out = drafter.draft(List.of(new StudyImages(5, view("1-"), view("2-")),
                new StudyImages(6, view("1-"), null)));
        for (DraftOutcome o : out) {
            assertTrue(o.ok(), o.failure());
            Draft d = o.draft();
            assertNull(d.missingView(), "a single-view model misses no view");
            assertFalse(d.tokenIds().isEmpty());
            assertTrue(d.tokenIds().size() <= 23);
            assertEquals(d.tokenIds().size(), d.tokenLogProbs().size());
            assertTrue(d.tokenLogProbs().stream().allMatch(lp -> lp <= 0 && Float.isFinite(lp)));
            assertEquals("raddraft-realistic-cxr-tiny", d.modelName());
        }
        // the lateral is not an input of a single-view model: both studies draft the same text
        assertEquals(out.get(0).draft().tokenIds(), out.get(1).draft().tokenIds());
    }

    @Test
    void greyFrontalIsRepeatedInTheThreeChannels() throws Exception {
        float[] px = drafter.pixelValues(new StudyImages(1, view("1-"), null));
        int plane = 224 * 224;
        assertEquals(3 * plane, px.length);
        float[] c0 = java.util.Arrays.copyOfRange(px, 0, plane);
        assertArrayEquals(c0, java.util.Arrays.copyOfRange(px, plane, 2 * plane));
        assertArrayEquals(c0, java.util.Arrays.copyOfRange(px, 2 * plane, 3 * plane));
        // ViTImageProcessor: (x/255 - 0.5)/0.5 lies in [-1, 1]
        for (float v : px) {
            assertTrue(v >= -1f && v <= 1f, "value " + v);
        }
    }

    @Test
    void bilinearResizeEqualsPillowBitForBit() throws Exception {
        Assumptions.assumeTrue(python("-c", "import PIL") == 0, "no Pillow (python3-pil): skipped");
        int w = 613;
        int h = 500;
        int[] grey = new int[w * h];
        java.util.Random r = new java.util.Random(23);
        byte[] raw = new byte[w * h];
        for (int i = 0; i < grey.length; i++) {
            grey[i] = ((i % w) * 7 + (i / w) * 3 + r.nextInt(40)) & 0xFF;
            raw[i] = (byte) grey[i];
        }
        Path in = Files.write(root.resolve("grey.raw"), raw);
        Path out = root.resolve("pil.raw");
        assertEquals(0, python("-c", "import sys; from PIL import Image; im = Image.frombytes('L', (" + w + ", " + h
                + "), open(sys.argv[1], 'rb').read()); open(sys.argv[2], 'wb').write(im.resize((224, 224), "
                + "Image.BILINEAR).tobytes())", in.toString(), out.toString()));
        byte[] pil = Files.readAllBytes(out);
        float[] ours = drafter.preprocessor().boxResize(grey, w, h); // ViTImageProcessor config: no padding, bilinear
        assertEquals(pil.length, ours.length);
        for (int i = 0; i < pil.length; i++) {
            assertEquals(pil[i] & 0xFF, (int) ours[i], "pixel " + i);
        }
    }

    @Test
    void onnxRuntimeDecodeEqualsPyTorchEagerOnTheSameWeights() throws Exception {
        List<float[]> inputs = List.of(drafter.pixelValues(new StudyImages(1, view("1-"), null)));
        Path in = root.resolve("inputs.f32");
        InferenceBench.writeInputs(in, inputs, 3, 224);
        Path out = root.resolve("eager.json");
        assertEquals(0, python(SCRIPT.toString(), "eager", plain.toString(), in.toString(), out.toString()));
        JsonNode eager = new ObjectMapper().readTree(out.toFile()).path("tokens").get(0);
        List<Integer> expected = new ArrayList<>();
        eager.forEach(n -> expected.add(n.asInt()));
        List<Integer> ids = drafter.draft(List.of(new StudyImages(1, view("1-"), null))).get(0).draft().tokenIds();
        // the eager side keeps the end token; the draft's ids are the generated ones as Decoding returns them
        assertEquals(expected.subList(0, ids.size()), ids);
    }

    @Test
    void decoderWithAttentionMaskAndPositionIdsInputsGetsThemFed() throws Exception {
        try (OnnxDrafter m = OnnxDrafter.open(masks, OnnxDrafter.Options.defaults().withThreads(1).withBatchSize(2))) {
            StudyImages s = new StudyImages(1, view("1-"), null);
            Draft withMasks = m.draft(List.of(s)).get(0).draft();
            Draft implicit = drafter.draft(List.of(s)).get(0).draft();
            assertEquals(implicit.tokenIds(), withMasks.tokenIds(),
                    "same weights: the explicit position_ids/attention_mask must give the implicit positions' tokens");
            // the log-probabilities move with any wrong position (random weights repeat tokens regardless)
            for (int i = 0; i < implicit.tokenLogProbs().size(); i++) {
                assertEquals(implicit.tokenLogProbs().get(i), withMasks.tokenLogProbs().get(i), 1e-4, "token " + i);
            }
        }
    }

    /** A copy of {@code src} without Optimum's merged decoder: the two decoder files are loaded instead. */
    static Path withoutMerged(Path src, String name) throws IOException {
        Path dst = Files.createDirectories(root.resolve(name));
        try (Stream<Path> s = Files.list(src)) {
            for (Path f : (Iterable<Path>) s::iterator) {
                if (!f.getFileName().toString().equals(OrtSeq2Seq.MERGED)) {
                    Files.copy(f, dst.resolve(f.getFileName()));
                }
            }
        }
        return dst;
    }

    static void assertSameDraft(Draft expected, Draft actual, double tolerance) {
        assertEquals(expected.tokenIds(), actual.tokenIds());
        for (int i = 0; i < expected.tokenLogProbs().size(); i++) {
            assertEquals(expected.tokenLogProbs().get(i), actual.tokenLogProbs().get(i), tolerance, "token " + i);
        }
    }

    @Test
    void mergedDecoderIsLoadedInsteadOfTheTwoFilesAndDraftsTheSame() throws Exception {
        assertTrue(Files.isRegularFile(plain.resolve(OrtSeq2Seq.MERGED)), "the build writes Optimum's merged decoder");
        Path separate = withoutMerged(plain, "tiny-separate");
        // the merged file alone must carry the decoding: the two separate files are not even readable ONNX here
        Path mergedOnly = withoutMerged(plain, "tiny-merged-only");
        Files.copy(plain.resolve(OrtSeq2Seq.MERGED), mergedOnly.resolve(OrtSeq2Seq.MERGED));
        Files.writeString(mergedOnly.resolve(org.raddraft.inference.ModelDirectory.DECODER), "not onnx");
        Files.writeString(mergedOnly.resolve(org.raddraft.inference.ModelDirectory.DECODER_WITH_PAST), "not onnx");
        List<StudyImages> studies = List.of(new StudyImages(1, view("1-"), null), new StudyImages(2, view("1-"), null));
        try (OnnxDrafter two = OnnxDrafter.open(separate, OnnxDrafter.Options.defaults().withThreads(1).withBatchSize(2));
             OnnxDrafter one = OnnxDrafter.open(mergedOnly, OnnxDrafter.Options.defaults().withThreads(1).withBatchSize(2))) {
            List<DraftOutcome> a = two.draft(studies);
            List<DraftOutcome> b = one.draft(studies);
            for (int i = 0; i < studies.size(); i++) {
                assertTrue(b.get(i).ok(), b.get(i).failure());
                // teacher forcing (the noise signal) and every generation step go through the If node's two branches
                assertSameDraft(a.get(i).draft(), b.get(i).draft(), 1e-5);
            }
        }
    }

    @Test
    void seq2seqCacheLayoutDraftsTheSameTextWithCrossAttentionComputedOnce() throws Exception {
        StudyImages s = new StudyImages(1, view("1-"), null);
        Draft gpt2 = drafter.draft(List.of(s)).get(0).draft();
        // Optimum's seq2seq decoder_with_past (TrOCR/MBart-style) has no encoder_hidden_states input
        Path separate = withoutMerged(cross, "tiny-seq2seq-separate");
        for (Path dir : List.of(cross, separate)) {
            try (OnnxDrafter m = OnnxDrafter.open(dir, OnnxDrafter.Options.defaults().withThreads(1).withBatchSize(2))) {
                assertEquals(2, m.runtime().layers());
                assertSameDraft(gpt2, m.draft(List.of(s)).get(0).draft(), 1e-4);
            }
        }
    }

    @Test
    void int8DirectoryLoadsAndAgreesWithFp32() throws Exception {
        try (OnnxDrafter q = OnnxDrafter.open(int8, OnnxDrafter.Options.defaults().withThreads(1))) {
            assertTrue(q.model().manifest().json().path("quantization").has("weights"));
            StudyImages s = new StudyImages(1, view("1-"), null);
            List<Integer> a = drafter.draft(List.of(s)).get(0).draft().tokenIds();
            List<Integer> b = q.draft(List.of(s)).get(0).draft().tokenIds();
            int n = Math.min(a.size(), b.size());
            int agree = 0;
            while (agree < n && a.get(agree).equals(b.get(agree))) {
                agree++;
            }
            assertTrue(agree >= 1, "int8 and fp32 disagree from the first token: " + a + " vs " + b);
        }
    }
}
