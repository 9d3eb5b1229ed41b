package org.raddraft.inference.onnx;

import org.raddraft.inference.ModelDirectory;
import org.raddraft.inference.InferenceException;
import org.raddraft.inference.Draft;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The model's ONNX Runtime sessions ({@code ai.onnxruntime}, no wrapper), created once and shared by
 * all threads ({@link OrtSession#run} is thread-safe): the encoder and either Optimum's merged decoder
 * ({@value #MERGED}, preferred when the directory has it: the decoder's weights once) or its two
 * decoder files. Checks the Optimum tensor names and shapes when it loads.
 */
final class OrtSeq2Seq implements Seq2SeqSteps<OrtSeq2Seq.Cache> {

    private static final Logger LOG = LoggerFactory.getLogger(OrtSeq2Seq.class);

    static final String PIXEL_VALUES = "pixel_values";
    static final String LAST_HIDDEN_STATE = "last_hidden_state";
    static final String INPUT_IDS = "input_ids";
    static final String ENCODER_HIDDEN_STATES = "encoder_hidden_states";
    static final String LOGITS = "logits";
    /**
     * Decoder inputs some exports have (GPT-2-style decoders, transformers.js feeds them when listed):
     * all-ones {@code attention_mask [B, P+T]}, {@code position_ids [B, T]} = P..P+T-1 and all-ones
     * {@code encoder_attention_mask [B, S]}; bit {@code i} of a file's mask = {@code OPTIONAL.get(i)}.
     */
    static final List<String> OPTIONAL = List.of("attention_mask", "position_ids", "encoder_attention_mask");
    /**
     * Optimum's post-processed decoder (written next to the two decoder files unless {@code --no-post-process}):
     * one {@code If} on {@link #USE_CACHE_BRANCH} over both graphs, the initializers shared, so the
     * decoder's weights are loaded once instead of twice.
     */
    static final String MERGED = "decoder_model_merged.onnx";
    /** bool[1] input of {@link #MERGED}: false on the first step (zero-length past), true afterwards. */
    static final String USE_CACHE_BRANCH = "use_cache_branch";

    /** Where the sessions run: "cpu", or "cuda" when asked for and available. */
    private final String device;
    private final OrtEnvironment env;
    private final OrtSession encoder;
    private final OrtSession decoder;
    private final OrtSession decoderWithPast;
    private final int layers;
    private final int vocab;
    private final int views;
    private final int channels;
    private final int size;
    /** GPT-2 cache layout: self-attention K/V only ({@code past_key_values.{i}.key}); cross-attention recomputed. */
    private final boolean gpt2;
    private final int decoderOptional;
    private final int pastOptional;
    /** {@link #decoder} and {@link #decoderWithPast} are one merged session. */
    private final boolean merged;
    /** decoder_with_past lists encoder_hidden_states (seq2seq exports drop it: the cache holds the cross K/V). */
    private final boolean pastTakesHidden;
    /** Heads and head size of the cache, for the merged decoder's zero-length past on the first step. */
    private final int heads;
    private final int headDim;

    private OrtSeq2Seq(String device, OrtEnvironment env, OrtSession encoder, OrtSession decoder,
                       OrtSession decoderWithPast, int views, int[] shape) {
        this.device = device;
        this.env = env;
        this.encoder = encoder;
        this.decoder = decoder;
        this.decoderWithPast = decoderWithPast;
        this.layers = shape[0];
        this.vocab = shape[1];
        this.views = views;
        this.channels = shape[2];
        this.size = shape[3];
        this.gpt2 = shape[4] == 1;
        this.decoderOptional = shape[5];
        this.pastOptional = shape[6];
        this.merged = decoder == decoderWithPast;
        this.pastTakesHidden = shape[7] == 1;
        this.heads = shape[8];
        this.headDim = shape[9];
    }

    /**
     * Creates the sessions and checks them against the contract.
     *
     * @param device  "cpu" or "cuda"; cuda falls back to CPU with one warning when the CUDA
     *                execution provider cannot be used (CPU-only jar, no GPU, no CUDA 12 / cuDNN 9)
     * @param threads intra-op threads per session (0 = ONNX Runtime's default, one per core)
     */
    static OrtSeq2Seq load(ModelDirectory model, String device, int threads) throws InferenceException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        String used = device;
        OrtSession enc = null;
        OrtSession dec = null;
        OrtSession past = null;
        try {
            if ("cuda".equals(device)) {
                try {
                    enc = session(env, model, ModelDirectory.ENCODER, options(threads, true));
                } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
                    LOG.warn("inference device cuda unavailable, using cpu: {}", firstLine(e));
                    used = "cpu";
                }
            } else if (!"cpu".equals(device)) {
                throw new InferenceException("inference device '" + device + "' is not supported (expected cpu or cuda)");
            }
            boolean cuda = "cuda".equals(used);
            if (enc == null) {
                enc = session(env, model, ModelDirectory.ENCODER, options(threads, false));
            }
            boolean merged = java.nio.file.Files.isRegularFile(model.file(MERGED));
            if (merged) {
                dec = session(env, model, MERGED, options(threads, cuda));
                past = dec;
            } else {
                dec = session(env, model, ModelDirectory.DECODER, options(threads, cuda));
                past = session(env, model, ModelDirectory.DECODER_WITH_PAST, options(threads, cuda));
            }
            int[] shape = check(model, enc, dec, past);
            LOG.info("model {} {} loaded from {}: device={} threads={} layers={} vocab={} input={}x{}x{} cache={} decoder={}",
                    model.manifest().name(), model.manifest().version(), model.dir(), used,
                    threads == 0 ? "default" : threads, shape[0], shape[1], shape[2], shape[3], shape[3],
                    shape[4] == 1 ? "self-attention only (GPT-2 layout)" : "self + cross attention",
                    merged ? MERGED : ModelDirectory.DECODER + " + " + ModelDirectory.DECODER_WITH_PAST);
            return new OrtSeq2Seq(used, env, enc, dec, past, model.manifest().views().size(), shape);
        } catch (InferenceException | RuntimeException e) {
            closeAll(enc, dec, past == dec ? null : past);
            throw e;
        } catch (OrtException e) {
            closeAll(enc, dec, past == dec ? null : past);
            throw new InferenceException("cannot create ONNX Runtime sessions for " + model.dir() + ": " + firstLine(e), e);
        }
    }

    private static OrtSession session(OrtEnvironment env, ModelDirectory model, String file,
                                      OrtSession.SessionOptions opts) throws OrtException, InferenceException {
        try (opts) {
            return env.createSession(model.file(file).toString(), opts);
        } catch (OrtException e) {
            if (e.getMessage() != null && (e.getMessage().contains("CUDA") || e.getMessage().contains("cuda"))) {
                throw e;
            }
            throw ModelDirectory.problem(model.dir(), file + " cannot be loaded by ONNX Runtime: " + firstLine(e));
        }
    }

    private static OrtSession.SessionOptions options(int threads, boolean cuda) throws OrtException {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        o.setInterOpNumThreads(1);
        if (threads > 0) {
            o.setIntraOpNumThreads(threads);
        }
        // no CPU arena: it keeps the transient allocations of loading (~450 MB for a 182 M-parameter model,
        // measured in docs/benchmarks.md) for the life of the session; generation was not slower without it
        o.setCPUArenaAllocator(false);
        if (cuda) {
            try {
                o.addCUDA(0);
            } catch (OrtException | RuntimeException e) {
                o.close();
                throw e;
            }
        }
        return o;
    }

    /** Checks names and shapes; returns {layers, vocab, channels, size, layout (0 seq2seq, 1 gpt2), optional inputs}. */
    private static int[] check(ModelDirectory model, OrtSession enc, OrtSession dec, OrtSession past)
            throws OrtException, InferenceException {
        ModelDirectory.Manifest m = model.manifest();
        int views = model.preprocessing().channels();
        int size = m.imageSize();
        String ef = ModelDirectory.ENCODER;
        long[] px = shapeOf(model, ef, enc.getInputInfo(), PIXEL_VALUES, "input", "[batch, " + views + ", " + size + ", " + size + "]");
        long[] expected = {-1, views, size, size};
        if (px.length != 4 || !dimsMatch(px, expected)) {
            throw ModelDirectory.problem(model.dir(), ef + ": input '" + PIXEL_VALUES + "' has shape " + dims(px)
                    + ", expected [batch, " + views + ", " + size + ", " + size + "] (" + views + " channels of "
                    + size + "x" + size + " per " + ModelDirectory.PREPROCESSOR_CONFIG + " image_mean and "
                    + ModelDirectory.MANIFEST + " inputs)");
        }
        long[] hidden = shapeOf(model, ef, enc.getOutputInfo(), LAST_HIDDEN_STATE, "output", "[batch, sequence, hidden]");
        boolean merged = dec == past;
        String df = merged ? MERGED : ModelDirectory.DECODER;
        shapeOf(model, df, dec.getInputInfo(), INPUT_IDS, "input", "[batch, sequence] int64");
        long[] ehs = shapeOf(model, df, dec.getInputInfo(), ENCODER_HIDDEN_STATES, "input", "[batch, sequence, hidden]");
        if (hidden.length == 3 && ehs.length == 3 && hidden[2] > 0 && ehs[2] > 0 && hidden[2] != ehs[2]) {
            throw ModelDirectory.problem(model.dir(), df + ": input '" + ENCODER_HIDDEN_STATES + "' hidden size " + ehs[2]
                    + " differs from " + ef + " '" + LAST_HIDDEN_STATE + "' hidden size " + hidden[2]);
        }
        long[] logits = shapeOf(model, df, dec.getOutputInfo(), LOGITS, "output", "[batch, sequence, vocab]");
        // seq2seq layout (BART/T5-style decoders): present.{i}.decoder.* and .encoder.*; GPT-2 layout
        // (Optimum's VisionEncoderDecoder export of a GPT-2 decoder): present.{i}.key/value, self-attention only
        boolean gpt2 = dec.getOutputInfo().containsKey("present.0.key");
        List<String> selfKv = gpt2 ? List.of("key", "value") : List.of("decoder.key", "decoder.value");
        List<String> pastKv = gpt2 ? selfKv : List.of("decoder.key", "decoder.value", "encoder.key", "encoder.value");
        int layers = 0;
        while (dec.getOutputInfo().containsKey("present." + layers + "." + selfKv.get(0))) {
            layers++;
        }
        if (layers == 0) {
            throw ModelDirectory.problem(model.dir(), df + ": no output 'present.0.decoder.key' or 'present.0.key' "
                    + "(expected outputs present.{i}.decoder.key/value and present.{i}.encoder.key/value per layer, "
                    + "or present.{i}.key/value for a GPT-2-style decoder)");
        }
        for (int i = 0; i < layers; i++) {
            for (String n : pastKv) {
                shapeOf(model, df, dec.getOutputInfo(), "present." + i + "." + n, "output", "[batch, heads, sequence, head_dim]");
            }
        }
        String pf = merged ? MERGED : ModelDirectory.DECODER_WITH_PAST;
        shapeOf(model, pf, past.getInputInfo(), INPUT_IDS, "input", "[batch, 1] int64");
        boolean pastHidden = past.getInputInfo().containsKey(ENCODER_HIDDEN_STATES);
        if (gpt2 || pastHidden) { // the seq2seq layout's with-past graph has the cross K/V instead (Optimum drops it)
            shapeOf(model, pf, past.getInputInfo(), ENCODER_HIDDEN_STATES, "input", "[batch, sequence, hidden]");
        }
        if (merged) {
            shapeOf(model, pf, past.getInputInfo(), USE_CACHE_BRANCH, "input", "[1] bool");
        }
        long[] kvShape = null;
        for (int i = 0; i < layers; i++) {
            for (String n : pastKv) {
                kvShape = shapeOf(model, pf, past.getInputInfo(), "past_key_values." + i + "." + n, "input",
                        "[batch, heads, sequence, head_dim]");
                if (merged && (kvShape.length != 4 || kvShape[1] <= 0 || kvShape[3] <= 0)) {
                    throw ModelDirectory.problem(model.dir(), pf + ": input 'past_key_values." + i + "." + n + "' has shape "
                            + dims(kvShape) + ", expected [batch, heads, sequence, head_dim] with fixed heads and head_dim "
                            + "(the first step feeds a zero-length past of that shape)");
                }
            }
            for (String n : selfKv) {
                shapeOf(model, pf, past.getOutputInfo(), "present." + i + "." + n, "output", "[batch, heads, sequence, head_dim]");
            }
        }
        long[] pl = shapeOf(model, pf, past.getOutputInfo(), LOGITS, "output", "[batch, 1, vocab]");
        long v = logits.length == 3 ? logits[2] : -1;
        if (v <= 0 || pl.length != 3 || pl[2] != v) {
            throw ModelDirectory.problem(model.dir(), pf + ": output '" + LOGITS + "' has shape " + dims(pl)
                    + ", expected [batch, 1, " + v + "] (the vocabulary of " + df + ")");
        }
        int[] optional = new int[2];
        for (String[] f : new String[][] {{df, "0"}, {pf, "1"}}) {
            OrtSession s = f[0].equals(df) ? dec : past;
            int which = Integer.parseInt(f[1]);
            Set<String> extra = new java.util.TreeSet<>(s.getInputInfo().keySet());
            extra.remove(INPUT_IDS);
            extra.remove(ENCODER_HIDDEN_STATES);
            if (merged) {
                extra.remove(USE_CACHE_BRANCH);
            }
            for (int o = 0; o < OPTIONAL.size(); o++) {
                if (extra.remove(OPTIONAL.get(o))) {
                    optional[which] |= 1 << o;
                }
            }
            int nLayers = layers;
            String kv = gpt2 ? "past_key_values\\.\\d+\\.(key|value)" : "past_key_values\\.\\d+\\.(decoder|encoder)\\.(key|value)";
            extra.removeIf(n -> s == past && n.matches(kv) && Integer.parseInt(n.split("\\.")[1]) < nLayers);
            if (!extra.isEmpty()) {
                throw ModelDirectory.problem(model.dir(), f[0] + ": unexpected inputs " + extra + " (expected input_ids, "
                        + "encoder_hidden_states, optionally " + String.join("/", OPTIONAL)
                        + (s == past ? " and past_key_values.{0.." + (layers - 1) + "}."
                        + (gpt2 ? "key/value" : "decoder/encoder.key/value") : "") + ")");
            }
        }
        return new int[] {layers, (int) v, views, size, gpt2 ? 1 : 0, optional[0], optional[1], pastHidden ? 1 : 0,
                (int) kvShape[1], (int) kvShape[3]};
    }

    private static long[] shapeOf(ModelDirectory model, String file, Map<String, NodeInfo> infos, String name,
                                  String kind, String expected) throws InferenceException {
        NodeInfo info = infos.get(name);
        if (info == null || !(info.getInfo() instanceof TensorInfo t)) {
            throw ModelDirectory.problem(model.dir(), file + ": no " + kind + " tensor '" + name + "' (expected " + name
                    + " " + expected + "; the file has " + kind + "s " + new java.util.TreeSet<>(infos.keySet()) + ")");
        }
        return t.getShape();
    }

    /** Fixed dimensions must agree; a symbolic one (-1) in the file is accepted (checked at run time). */
    private static boolean dimsMatch(long[] actual, long[] expected) {
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] >= 0 && actual[i] >= 0 && actual[i] != expected[i]) {
                return false;
            }
        }
        return true;
    }

    private static String dims(long[] s) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < s.length; i++) {
            b.append(i == 0 ? "" : ", ").append(s[i] < 0 ? "?" : Long.toString(s[i]));
        }
        return b.append(']').toString();
    }

    String device() {
        return device;
    }

    /** Views of the study in {@code pixel_values} (frontal, lateral), per the manifest. */
    int views() {
        return views;
    }

    /** Channels of {@code pixel_values}: the views, or a single view's grey image repeated (ViT: 3). */
    int channels() {
        return channels;
    }

    int imageSize() {
        return size;
    }

    int layers() {
        return layers;
    }

    @Override
    public int vocabSize() {
        return vocab;
    }

    /** Encoder output {@code [batch, seq, dim]}, row-major. */
    record Encoded(float[] hidden, int batch, int seq, int dim) {
        /** Row {@code b} repeated {@code n} times (one encoding scored against several texts). */
        Encoded repeat(int b, int n) {
            int per = seq * dim;
            float[] out = new float[n * per];
            for (int i = 0; i < n; i++) {
                System.arraycopy(hidden, b * per, out, i * per, per);
            }
            return new Encoded(out, n, seq, dim);
        }
    }

    /** Encoder output alone, for the confidence signals (OOD features, ablations). */
    Encoded encode(float[] pixels, int batch) throws InferenceException {
        try (OnnxTensor px = OnnxTensor.createTensor(env, FloatBuffer.wrap(pixels), new long[] {batch, channels, size, size});
             OrtSession.Result r = encoder.run(Map.of(PIXEL_VALUES, px))) {
            OnnxTensor t = (OnnxTensor) r.get(0);
            long[] shape = t.getInfo().getShape();
            return new Encoded(floats(t), batch, (int) shape[1], (int) shape[2]);
        } catch (OrtException e) {
            throw new InferenceException("encoder failed: " + firstLine(e), e);
        }
    }

    /**
     * Teacher forcing: {@code decoder_model} over each row's whole text at once (one call, no cache),
     * returning per row the log-probability of each of its tokens given the tokens before it and the
     * encoding. Rows are right-padded with {@code pad}; causal attention keeps padding from affecting
     * the real positions.
     *
     * @param tokens per row the generated ids (without the start token), as {@link Draft#tokenIds()}
     */
    float[][] teacherForced(Encoded enc, int[][] tokens, long start, long pad) throws InferenceException {
        int batch = enc.batch();
        int len = 1;
        for (int[] t : tokens) {
            len = Math.max(len, t.length);
        }
        long[] ids = new long[batch * len];
        java.util.Arrays.fill(ids, pad);
        for (int b = 0; b < batch; b++) {
            ids[b * len] = start;
            for (int i = 0; i + 1 < tokens[b].length; i++) {
                ids[b * len + i + 1] = tokens[b][i];
            }
        }
        List<AutoCloseable> extras = new ArrayList<>();
        try (OnnxTensor in = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), new long[] {batch, len});
             OnnxTensor h = OnnxTensor.createTensor(env, FloatBuffer.wrap(enc.hidden()),
                     new long[] {batch, enc.seq(), enc.dim()});
             OrtSession.Result r = decoder.run(firstStep(withOptional(new HashMap<>(Map.of(INPUT_IDS, in, ENCODER_HIDDEN_STATES, h)),
                     decoderOptional, batch, 0, len, enc.seq(), extras), batch, extras), Set.of(LOGITS))) {
            FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
            float[] row = new float[vocab];
            float[][] out = new float[batch][];
            for (int b = 0; b < batch; b++) {
                out[b] = new float[tokens[b].length];
                for (int i = 0; i < tokens[b].length; i++) {
                    fb.position((b * len + i) * vocab);
                    fb.get(row);
                    out[b][i] = (float) (row[tokens[b][i]] - Decoding.logSumExp(row, 0, vocab));
                }
            }
            return out;
        } catch (OrtException e) {
            throw new InferenceException("decoder teacher forcing failed: " + firstLine(e), e);
        } finally {
            extras.forEach(Decoding::closeQuietly);
        }
    }

    /**
     * Adds the optional decoder inputs the file declares ({@link #OPTIONAL}): {@code past} cached and
     * {@code t} new tokens per row, {@code seq} encoder positions. The tensors go to {@code owned}.
     */
    private Map<String, OnnxTensor> withOptional(Map<String, OnnxTensor> in, int which, int batch, int past, int t,
                                                 int seq, List<AutoCloseable> owned) throws OrtException {
        if ((which & 1) != 0) {
            long[] ones = new long[batch * (past + t)];
            Arrays.fill(ones, 1L);
            in.put(OPTIONAL.get(0), own(owned, OnnxTensor.createTensor(env, LongBuffer.wrap(ones), new long[] {batch, past + t})));
        }
        if ((which & 2) != 0) {
            long[] pos = new long[batch * t];
            for (int i = 0; i < pos.length; i++) {
                pos[i] = past + i % t;
            }
            in.put(OPTIONAL.get(1), own(owned, OnnxTensor.createTensor(env, LongBuffer.wrap(pos), new long[] {batch, t})));
        }
        if ((which & 4) != 0) {
            long[] ones = new long[batch * seq];
            Arrays.fill(ones, 1L);
            in.put(OPTIONAL.get(2), own(owned, OnnxTensor.createTensor(env, LongBuffer.wrap(ones), new long[] {batch, seq})));
        }
        return in;
    }

    /**
     * The merged decoder's no-cache branch: {@code use_cache_branch} false and every {@code past_key_values}
     * input zero-length ({@code [batch, heads, 0, head_dim]}), as Optimum's and transformers.js's runtimes
     * feed it. A no-op for the separate decoder file.
     */
    private Map<String, OnnxTensor> firstStep(Map<String, OnnxTensor> in, int batch, List<AutoCloseable> owned)
            throws OrtException {
        if (!merged) {
            return in;
        }
        in.put(USE_CACHE_BRANCH, own(owned, OnnxTensor.createTensor(env, new boolean[] {false})));
        OnnxTensor empty = own(owned, OnnxTensor.createTensor(env, FloatBuffer.allocate(0), new long[] {batch, heads, 0, headDim}));
        for (int i = 0; i < layers; i++) {
            for (String n : gpt2 ? List.of("key", "value") : List.of("decoder.key", "decoder.value", "encoder.key", "encoder.value")) {
                in.put("past_key_values." + i + "." + n, empty);
            }
        }
        return in;
    }

    private static OnnxTensor own(List<AutoCloseable> owned, OnnxTensor t) {
        owned.add(t);
        return t;
    }

    @Override
    public Step<Cache> start(float[] pixels, int batch, long startToken) throws InferenceException {
        OnnxTensor px = null;
        OrtSession.Result encoded = null;
        OnnxTensor ids = null;
        OrtSession.Result first = null;
        List<AutoCloseable> extras = new ArrayList<>();
        try {
            px = OnnxTensor.createTensor(env, FloatBuffer.wrap(pixels), new long[] {batch, channels, size, size});
            encoded = encoder.run(Map.of(PIXEL_VALUES, px));
            OnnxTensor hidden = (OnnxTensor) encoded.get(0);
            long[] start = new long[batch];
            Arrays.fill(start, startToken);
            ids = OnnxTensor.createTensor(env, LongBuffer.wrap(start), new long[] {batch, 1});
            Map<String, OnnxTensor> in = new HashMap<>();
            in.put(INPUT_IDS, ids);
            in.put(ENCODER_HIDDEN_STATES, hidden);
            withOptional(in, decoderOptional, batch, 0, 1, (int) hidden.getInfo().getShape()[1], extras);
            first = decoder.run(firstStep(in, batch, extras));
            OnnxTensor[] crossK = new OnnxTensor[gpt2 ? 0 : layers];
            OnnxTensor[] crossV = new OnnxTensor[gpt2 ? 0 : layers];
            OnnxTensor[] selfK = new OnnxTensor[layers];
            OnnxTensor[] selfV = new OnnxTensor[layers];
            for (int i = 0; i < layers; i++) {
                selfK[i] = tensor(first, "present." + i + (gpt2 ? ".key" : ".decoder.key"));
                selfV[i] = tensor(first, "present." + i + (gpt2 ? ".value" : ".decoder.value"));
                if (!gpt2) {
                    crossK[i] = tensor(first, "present." + i + ".encoder.key");
                    crossV[i] = tensor(first, "present." + i + ".encoder.value");
                }
            }
            float[] logits = lastLogits(tensor(first, LOGITS), batch);
            // the first result owns the cross K/V and the first self K/V: shared by every cache of this run
            List<AutoCloseable> owned = new ArrayList<>(List.of(first, encoded, ids, px));
            owned.addAll(extras);
            Shared shared = new Shared(batch, hidden, crossK, crossV, owned);
            Cache c = new Cache(shared, selfK, selfV, null);
            return new Step<>(logits, batch, c);
        } catch (OrtException | RuntimeException e) {
            for (AutoCloseable a : new AutoCloseable[] {first, ids, encoded, px}) {
                Decoding.closeQuietly(a);
            }
            extras.forEach(Decoding::closeQuietly);
            throw new InferenceException("encoder/first decoder step failed: " + firstLine(e), e);
        }
    }

    @Override
    public Step<Cache> next(Cache cache, long[] tokens) throws InferenceException {
        int batch = tokens.length;
        List<AutoCloseable> extras = new ArrayList<>();
        try (OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(tokens), new long[] {batch, 1})) {
            Map<String, OnnxTensor> in = new HashMap<>();
            in.put(INPUT_IDS, ids);
            if (pastTakesHidden) {
                in.put(ENCODER_HIDDEN_STATES, cache.shared.hidden);
            }
            if (merged) {
                in.put(USE_CACHE_BRANCH, own(extras, OnnxTensor.createTensor(env, new boolean[] {true})));
            }
            for (int i = 0; i < layers; i++) {
                if (gpt2) {
                    in.put("past_key_values." + i + ".key", cache.selfK[i]);
                    in.put("past_key_values." + i + ".value", cache.selfV[i]);
                } else {
                    in.put("past_key_values." + i + ".decoder.key", cache.selfK[i]);
                    in.put("past_key_values." + i + ".decoder.value", cache.selfV[i]);
                    in.put("past_key_values." + i + ".encoder.key", cache.shared.crossK[i]);
                    in.put("past_key_values." + i + ".encoder.value", cache.shared.crossV[i]);
                }
            }
            withOptional(in, pastOptional, batch, (int) cache.selfK[0].getInfo().getShape()[2], 1,
                    (int) cache.shared.hidden.getInfo().getShape()[1], extras);
            OrtSession.Result r = decoderWithPast.run(in);
            try {
                OnnxTensor[] k = new OnnxTensor[layers];
                OnnxTensor[] v = new OnnxTensor[layers];
                for (int i = 0; i < layers; i++) {
                    k[i] = tensor(r, "present." + i + (gpt2 ? ".key" : ".decoder.key"));
                    v[i] = tensor(r, "present." + i + (gpt2 ? ".value" : ".decoder.value"));
                }
                float[] logits = lastLogits(tensor(r, LOGITS), batch);
                return new Step<>(logits, batch, new Cache(cache.shared.retain(), k, v, List.of(r)));
            } catch (RuntimeException e) {
                r.close();
                throw e;
            }
        } catch (OrtException | RuntimeException e) {
            throw new InferenceException("decoder_with_past step failed: " + firstLine(e), e);
        } finally {
            extras.forEach(Decoding::closeQuietly);
        }
    }

    @Override
    public Cache select(Cache cache, int[] rows) throws InferenceException {
        List<AutoCloseable> owned = new ArrayList<>();
        try {
            OnnxTensor[] k = new OnnxTensor[layers];
            OnnxTensor[] v = new OnnxTensor[layers];
            for (int i = 0; i < layers; i++) {
                k[i] = gather(cache.selfK[i], rows, owned);
                v[i] = gather(cache.selfV[i], rows, owned);
            }
            Shared shared;
            if (rows.length == cache.shared.batch) {
                // same batch: beams of the same study are reordered; their cross K/V are identical
                shared = cache.shared.retain();
            } else {
                List<AutoCloseable> sOwned = new ArrayList<>();
                OnnxTensor[] ck = new OnnxTensor[cache.shared.crossK.length];
                OnnxTensor[] cv = new OnnxTensor[cache.shared.crossV.length];
                for (int i = 0; i < ck.length; i++) {
                    ck[i] = gather(cache.shared.crossK[i], rows, sOwned);
                    cv[i] = gather(cache.shared.crossV[i], rows, sOwned);
                }
                OnnxTensor h = gather(cache.shared.hidden, rows, sOwned);
                shared = new Shared(rows.length, h, ck, cv, sOwned);
            }
            return new Cache(shared, k, v, owned);
        } catch (OrtException | RuntimeException e) {
            owned.forEach(Decoding::closeQuietly);
            throw new InferenceException("cache reorder failed: " + firstLine(e), e);
        }
    }

    private OnnxTensor gather(OnnxTensor t, int[] rows, List<AutoCloseable> owned) throws OrtException {
        long[] shape = t.getInfo().getShape();
        int rowSize = 1;
        for (int d = 1; d < shape.length; d++) {
            rowSize *= (int) shape[d];
        }
        FloatBuffer src = t.getFloatBuffer();
        float[] out = new float[rows.length * rowSize];
        for (int i = 0; i < rows.length; i++) {
            src.position(rows[i] * rowSize);
            src.get(out, i * rowSize, rowSize);
        }
        long[] ns = shape.clone();
        ns[0] = rows.length;
        OnnxTensor n = OnnxTensor.createTensor(env, FloatBuffer.wrap(out), ns);
        owned.add(n);
        return n;
    }

    private static OnnxTensor tensor(OrtSession.Result r, String name) {
        OnnxValue v = r.get(name).orElseThrow(() -> new IllegalStateException("output '" + name + "' missing"));
        return (OnnxTensor) v;
    }

    /** logits [batch, T, vocab] -> the last position of each row. */
    private float[] lastLogits(OnnxTensor t, int batch) {
        long[] s = t.getInfo().getShape();
        FloatBuffer fb = t.getFloatBuffer();
        int tl = (int) s[1];
        int v = (int) s[2];
        if (tl == 1) {
            float[] out = new float[batch * v];
            fb.get(out);
            return out;
        }
        float[] out = new float[batch * v];
        for (int b = 0; b < batch; b++) {
            fb.position((b * tl + tl - 1) * v);
            fb.get(out, b * v, v);
        }
        return out;
    }

    private static float[] floats(OnnxTensor t) {
        FloatBuffer fb = t.getFloatBuffer();
        float[] out = new float[fb.remaining()];
        fb.get(out);
        return out;
    }

    static String firstLine(Throwable e) {
        return InferenceException.firstLine(e);
    }

    private static void closeAll(AutoCloseable... cs) {
        for (AutoCloseable c : cs) {
            Decoding.closeQuietly(c);
        }
    }

    @Override
    public void close() {
        closeAll(encoder, decoder, merged ? null : decoderWithPast);
    }

    /** Encoder hidden states and cross-attention K/V of one run, shared by its caches (reference counted). */
    static final class Shared {
        final int batch;
        final OnnxTensor hidden;
        final OnnxTensor[] crossK;
        final OnnxTensor[] crossV;
        private final List<AutoCloseable> owned;
        private final AtomicInteger refs = new AtomicInteger(1);

        Shared(int batch, OnnxTensor hidden, OnnxTensor[] crossK, OnnxTensor[] crossV, List<AutoCloseable> owned) {
            this.batch = batch;
            this.hidden = hidden;
            this.crossK = crossK;
            this.crossV = crossV;
            this.owned = owned;
        }

        Shared retain() {
            refs.incrementAndGet();
            return this;
        }

        void release() {
            if (refs.decrementAndGet() == 0) {
                owned.forEach(Decoding::closeQuietly);
            }
        }
    }

    /** The self-attention K/V of one step (and what owns them) plus the shared cross-attention part. */
    static final class Cache implements AutoCloseable {
        final Shared shared;
        final OnnxTensor[] selfK;
        final OnnxTensor[] selfV;
        private final List<AutoCloseable> owned;
        private boolean closed;

        Cache(Shared shared, OnnxTensor[] selfK, OnnxTensor[] selfV, List<AutoCloseable> owned) {
            this.shared = shared;
            this.selfK = selfK;
            this.selfV = selfV;
            this.owned = owned == null ? List.of() : owned;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            owned.forEach(Decoding::closeQuietly);
            shared.release();
        }
    }
}
