package org.raddraft.inference.onnx;

import org.raddraft.inference.ReportText;
import org.raddraft.inference.Preprocessor;
import org.raddraft.inference.GenerationConfig;
import org.raddraft.inference.ModelDirectory;
import org.raddraft.inference.InferenceException;
import org.raddraft.inference.StudyImages;
import org.raddraft.inference.Drafter;
import org.raddraft.inference.DraftOutcome;
import org.raddraft.inference.Draft;
import org.raddraft.dicom.DicomFormatException;
import org.raddraft.flags.Assessment;
import org.raddraft.flags.DraftSignals;
import org.raddraft.flags.FlagAssessor;
import org.raddraft.flags.FlagCalibration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The production {@link Drafter}: DICOM files to drafted FINDINGS / IMPRESSION with ONNX Runtime.
 * Sessions and tokenizer are created once ({@link #open}) and reused; {@link #draft} may be called
 * from several threads. Studies of one call are preprocessed one by one (a study that cannot be
 * decoded fails alone) and then generated together in batches of {@link Options#batchSize}.
 */
public final class OnnxDrafter implements Drafter {

    private static final Logger LOG = LoggerFactory.getLogger(OnnxDrafter.class);

    /**
     * @param device        "cpu" (default) or "cuda" (falls back to cpu with one warning when unavailable)
     * @param threads       ONNX Runtime intra-op threads per session; 0 = one per core
     * @param beams         beam width; null = generation_config.json num_beams; 1 = greedy
     * @param lengthPenalty beam ranking exponent; null = generation_config.json length_penalty (else 1.0)
     * @param batchSize     studies per encoder/decoder call
     * @param maxNewTokens  null = generation_config.json max_length - 1
     * @param flags         compute the confidence signals and flags with each draft (default true)
     */
    public record Options(String device, int threads, Integer beams, Double lengthPenalty, int batchSize,
                          Integer maxNewTokens, boolean flags) {
        public Options(String device, int threads, Integer beams, Double lengthPenalty, int batchSize,
                       Integer maxNewTokens) {
            this(device, threads, beams, lengthPenalty, batchSize, maxNewTokens, true);
        }

        public static Options defaults() {
            return new Options("cpu", 0, null, null, 8, null, true);
        }

        public Options withFlags(boolean f) {
            return new Options(device, threads, beams, lengthPenalty, batchSize, maxNewTokens, f);
        }

        public Options withDevice(String d) {
            return new Options(d, threads, beams, lengthPenalty, batchSize, maxNewTokens, flags);
        }

        public Options withThreads(int t) {
            return new Options(device, t, beams, lengthPenalty, batchSize, maxNewTokens, flags);
        }

        public Options withBeams(Integer b) {
            return new Options(device, threads, b, lengthPenalty, batchSize, maxNewTokens, flags);
        }

        public Options withLengthPenalty(Double p) {
            return new Options(device, threads, beams, p, batchSize, maxNewTokens, flags);
        }

        public Options withBatchSize(int b) {
            return new Options(device, threads, beams, lengthPenalty, b, maxNewTokens, flags);
        }

        public Options withMaxNewTokens(Integer m) {
            return new Options(device, threads, beams, lengthPenalty, batchSize, m, flags);
        }
    }

    private final ModelDirectory model;
    private final OrtSeq2Seq runtime;
    private final ReportText text;
    private final Preprocessor preprocessor;
    private final Options options;
    private final GenerationConfig generation;
    private final OrtClassifier classifier;
    private final ConfidenceSignals signals;
    private final FlagAssessor assessor;

    private OnnxDrafter(ModelDirectory model, OrtSeq2Seq runtime, OrtClassifier classifier, ReportText text,
                        FlagCalibration calibration, Options options) {
        this.model = model;
        this.runtime = runtime;
        this.text = text;
        this.preprocessor = new Preprocessor(model.preprocessing());
        this.options = options;
        this.generation = model.generation();
        this.classifier = classifier;
        float fill = "black".equals(model.manifest().missingViewFill()) && runtime.views() > 1
                ? preprocessor.normalise(new float[] {0f}, 1)[0] : 0f;
        this.signals = options.flags() ? new ConfidenceSignals(runtime, classifier, text, generation, preprocessor, fill)
                : null;
        this.assessor = calibration == null || !options.flags() ? null : new FlagAssessor(calibration);
    }

    /**
     * Loads and checks the model directory, creates the sessions and the tokenizer.
     *
     * @throws InferenceException naming the file / tensor that does not meet the contract
     */
    public static OnnxDrafter open(Path modelDir, Options options) throws InferenceException {
        return open(modelDir, options, true);
    }

    /**
     * @param withCalibration false: measure the confidence signals but raise no flags (what
     *                        {@code raddraft calibrate} needs before a calibration exists)
     */
    public static OnnxDrafter open(Path modelDir, Options options, boolean withCalibration) throws InferenceException {
        if (options.batchSize() < 1) {
            throw new InferenceException("inference batch size must be >= 1, got " + options.batchSize());
        }
        if (options.beams() != null && options.beams() < 1) {
            throw new InferenceException("beam width must be >= 1, got " + options.beams());
        }
        ModelDirectory dir = ModelDirectory.open(modelDir);
        FlagCalibration calibration = options.flags() && withCalibration ? calibration(dir) : null;
        OrtSeq2Seq rt = OrtSeq2Seq.load(dir, options.device() == null ? "cpu" : options.device(), options.threads());
        OrtClassifier clf = null;
        try {
            clf = options.flags() ? OrtClassifier.load(dir, options.threads()) : null;
            return new OnnxDrafter(dir, rt, clf, ReportText.load(dir), calibration, options);
        } catch (InferenceException | RuntimeException e) {
            Decoding.closeQuietly(clf);
            rt.close();
            throw e;
        }
    }

    /**
     * The model's flag calibration, or null (with a warning) when the directory has none: the daemon
     * then drafts without flags rather than with made-up thresholds.
     */
    static FlagCalibration calibration(ModelDirectory dir) throws InferenceException {
        return ModelDirectory.calibration(dir.dir(), dir.manifest().name(), dir.manifest().version());
    }

    /** The calibration flags are computed with, or null when drafts carry no flags. */
    public FlagCalibration flagCalibration() {
        return assessor == null ? null : assessor.calibration();
    }

    public ModelDirectory model() {
        return model;
    }

    /** "cpu" or "cuda": where the sessions actually run. */
    public String device() {
        return runtime.device();
    }

    int beams() {
        return options.beams() != null ? options.beams() : generation.numBeams();
    }

    int maxNewTokens() {
        int fromConfig = generation.maxLength() - 1;
        return options.maxNewTokens() != null ? Math.min(options.maxNewTokens(), fromConfig) : fromConfig;
    }

    @Override
    public List<DraftOutcome> draft(List<StudyImages> studies) throws InferenceException {
        DraftOutcome[] out = new DraftOutcome[studies.size()];
        List<Integer> ok = new ArrayList<>();
        List<Prepared> prepared = new ArrayList<>();
        for (int i = 0; i < studies.size(); i++) {
            StudyImages s = studies.get(i);
            long t0 = System.nanoTime();
            try {
                float[] px = pixelValues(s);
                ok.add(i);
                prepared.add(new Prepared(px, s.lateral() == null && runtime.views() > 1 ? "lateral" : null,
                        (System.nanoTime() - t0) / 1_000_000));
            } catch (DicomFormatException e) {
                LOG.warn("study {}: cannot preprocess: {}", s.studyId(), e.getMessage());
                out[i] = DraftOutcome.failed(s.studyId(), "cannot preprocess images: " + e.getMessage());
            } catch (RuntimeException e) {
                // not RadDraft's message: it could quote the image file; the type is enough to find the cause
                String why = "unexpected " + e.getClass().getSimpleName() + " while reading the image";
                LOG.warn("study {}: cannot preprocess: {}", s.studyId(), why);
                out[i] = DraftOutcome.failed(s.studyId(), "cannot preprocess images: " + why);
            } catch (StackOverflowError | OutOfMemoryError e) {
                // one study's image must not take the batch, or the daemon, with it
                String why = e instanceof StackOverflowError ? "image file nested too deeply to parse"
                        : "image too large for the memory available";
                LOG.warn("study {}: cannot preprocess: {} ({})", s.studyId(), why, e.getClass().getSimpleName());
                out[i] = DraftOutcome.failed(s.studyId(), "cannot preprocess images: " + why);
            }
        }
        List<Draft> drafts = draftPrepared(prepared);
        for (int j = 0; j < ok.size(); j++) {
            out[ok.get(j)] = DraftOutcome.drafted(studies.get(ok.get(j)).studyId(), drafts.get(j));
        }
        return Arrays.asList(out);
    }

    /** Drafts {@code pixel_values} rows already prepared (tests feed blank and noise images this way). */
    List<Draft> draftPixels(List<float[]> pixels, String missingView) throws InferenceException {
        return draftPrepared(pixels.stream().map(p -> new Prepared(p, missingView, 0)).toList());
    }

    /** Generates, measures the confidence signals and raises the flags, in batches of {@link Options#batchSize}. */
    private List<Draft> draftPrepared(List<Prepared> prepared) throws InferenceException {
        List<Draft> out = new ArrayList<>();
        int per = runtime.channels() * runtime.imageSize() * runtime.imageSize();
        for (int from = 0; from < prepared.size(); from += options.batchSize()) {
            int to = Math.min(prepared.size(), from + options.batchSize());
            int n = to - from;
            float[] batch = new float[n * per];
            for (int j = 0; j < n; j++) {
                System.arraycopy(prepared.get(from + j).pixels, 0, batch, j * per, per);
            }
            long t0 = System.nanoTime();
            List<Decoding.Sequence> seqs = generate(batch, n);
            long genMillis = (System.nanoTime() - t0) / 1_000_000;
            List<String[]> sections = new ArrayList<>();
            List<ConfidenceSignals.Drafted> drafted = new ArrayList<>();
            for (int j = 0; j < n; j++) {
                Decoding.Sequence seq = seqs.get(j);
                String[] sec = ReportText.sections(text.decode(seq.ids()));
                sections.add(sec);
                drafted.add(new ConfidenceSignals.Drafted(seq.ids(), seq.logProbs(), sec[0], sec[1],
                        prepared.get(from + j).missingView));
            }
            long f0 = System.nanoTime();
            List<DraftSignals> measured = signals == null ? null : signals.measure(batch, drafted);
            long flagMillis = (System.nanoTime() - f0) / 1_000_000;
            for (int j = 0; j < n; j++) {
                Prepared p = prepared.get(from + j);
                Decoding.Sequence seq = seqs.get(j);
                String[] sec = sections.get(j);
                List<Integer> ids = Arrays.stream(seq.ids()).boxed().toList();
                List<Float> lps = new ArrayList<>(seq.logProbs().length);
                for (float f : seq.logProbs()) {
                    lps.add(f);
                }
                DraftSignals ds = measured == null ? null : measured.get(j);
                Assessment a = ds == null || assessor == null ? null : assessor.assess(ds);
                out.add(new Draft(sec[0], sec[1], ids, List.copyOf(lps), p.missingView, p.millis, genMillis,
                        model.manifest().name(), model.manifest().version(), ds, a, flagMillis));
            }
            LOG.debug("drafted a batch of {} in {} ms, confidence signals {} ms", n, genMillis, flagMillis);
        }
        return out;
    }

    List<Decoding.Sequence> generate(float[] pixels, int batch) throws InferenceException {
        int k = beams();
        if (k <= 1) {
            return Decoding.greedy(runtime, pixels, batch, generation, maxNewTokens(), false);
        }
        double lp = options.lengthPenalty() != null ? options.lengthPenalty() : generation.lengthPenalty();
        return Decoding.beam(runtime, pixels, batch, generation, maxNewTokens(), k, lp);
    }

    /** The study's {@code pixel_values} row ({@code views x S x S}); a missing lateral is filled per the manifest. */
    float[] pixelValues(StudyImages s) throws DicomFormatException {
        if (s.frontal() == null) {
            throw new DicomFormatException("no frontal view");
        }
        int plane = runtime.imageSize() * runtime.imageSize();
        if (runtime.views() == 1 && runtime.channels() > 1) {
            return preprocessor.replicated(s.frontal(), runtime.channels()); // one grey view in every channel (ViT)
        }
        float[] px = new float[runtime.views() * plane];
        System.arraycopy(preprocessor.view(s.frontal(), 0), 0, px, 0, plane);
        if (runtime.views() > 1) {
            if (s.lateral() != null) {
                System.arraycopy(preprocessor.view(s.lateral(), 1), 0, px, plane, plane);
            } else if ("black".equals(model.manifest().missingViewFill())) {
                float[] black = preprocessor.normalise(new float[plane], 1);
                System.arraycopy(black, 0, px, plane, plane);
            } // else "zeros": the normalised tensor stays 0
        }
        return px;
    }

    Preprocessor preprocessor() {
        return preprocessor;
    }

    OrtSeq2Seq runtime() {
        return runtime;
    }

    ReportText text() {
        return text;
    }

    /** The generated text of {@code tokenIds} as the model wrote it (not the sections re-joined): what eval scores. */
    public String decode(List<Integer> tokenIds) {
        return text.decode(tokenIds.stream().mapToInt(Integer::intValue).toArray());
    }

    private record Prepared(float[] pixels, String missingView, long millis) {
    }

    ConfidenceSignals signals() {
        return signals;
    }

    @Override
    public void close() {
        text.close();
        Decoding.closeQuietly(classifier);
        runtime.close();
    }
}
