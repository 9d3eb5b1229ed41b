package org.raddraft.inference.onnx;

import org.raddraft.inference.ModelDirectory;
import org.raddraft.inference.InferenceException;
import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The same three ONNX files run through DJL's OnnxRuntime engine ({@code Model}, {@code Block},
 * {@code NDArray}) instead of {@code ai.onnxruntime} directly. Used by the benchmark to measure what
 * the DJL layer costs; the daemon uses {@link OrtSeq2Seq}. Greedy only ({@link #select} is not
 * implemented).
 */
final class DjlSeq2Seq implements Seq2SeqSteps<DjlSeq2Seq.Cache> {

    static {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }

    private final Model encoder;
    private final Model decoder;
    private final Model decoderWithPast;
    private final NDManager manager;
    private final int layers;
    private final int vocab;
    private final int views;
    private final int size;

    private DjlSeq2Seq(Model encoder, Model decoder, Model decoderWithPast, int layers, int vocab, int views, int size) {
        this.encoder = encoder;
        this.decoder = decoder;
        this.decoderWithPast = decoderWithPast;
        this.manager = encoder.getNDManager();
        this.layers = layers;
        this.vocab = vocab;
        this.views = views;
        this.size = size;
    }

    /** {@code contract} gives layers/vocab/shape (checked by {@link OrtSeq2Seq#load}). */
    static DjlSeq2Seq load(ModelDirectory model, OrtSeq2Seq contract, int threads) throws InferenceException {
        Map<String, String> opts = Map.of("interOpNumThreads", "1", "intraOpNumThreads", Integer.toString(threads),
                "optLevel", "ALL_OPT", "executionMode", "SEQUENTIAL");
        try {
            Model e = Model.newInstance("encoder", Device.cpu(), "OnnxRuntime");
            e.load(model.dir(), "encoder_model", opts);
            Model d = Model.newInstance("decoder", Device.cpu(), "OnnxRuntime");
            d.load(model.dir(), "decoder_model", opts);
            Model p = Model.newInstance("decoder_with_past", Device.cpu(), "OnnxRuntime");
            p.load(model.dir(), "decoder_with_past_model", opts);
            return new DjlSeq2Seq(e, d, p, contract.layers(), contract.vocabSize(), contract.channels(), contract.imageSize());
        } catch (IOException | MalformedModelException | RuntimeException ex) {
            throw new InferenceException("DJL OnnxRuntime engine cannot load " + model.dir() + ": " + OrtSeq2Seq.firstLine(ex), ex);
        }
    }

    @Override
    public int vocabSize() {
        return vocab;
    }

    private static NDList forward(Model m, NDList in) {
        Block b = m.getBlock();
        return b.forward(new ParameterStore(m.getNDManager(), false), in, false);
    }

    @Override
    public Step<Cache> start(float[] pixels, int batch, long startToken) throws InferenceException {
        NDManager step = manager.newSubManager();
        try {
            NDArray px = step.create(pixels, new Shape(batch, views, size, size));
            px.setName(OrtSeq2Seq.PIXEL_VALUES);
            NDArray hidden = forward(encoder, new NDList(px)).get(0);
            long[] start = new long[batch];
            java.util.Arrays.fill(start, startToken);
            NDArray ids = step.create(start, new Shape(batch, 1));
            ids.setName(OrtSeq2Seq.INPUT_IDS);
            hidden.setName(OrtSeq2Seq.ENCODER_HIDDEN_STATES);
            NDList out = forward(decoder, new NDList(ids, hidden));
            NDArray[] sk = new NDArray[layers];
            NDArray[] sv = new NDArray[layers];
            NDArray[] ck = new NDArray[layers];
            NDArray[] cv = new NDArray[layers];
            for (int i = 0; i < layers; i++) {
                sk[i] = out.get("present." + i + ".decoder.key");
                sv[i] = out.get("present." + i + ".decoder.value");
                ck[i] = out.get("present." + i + ".encoder.key");
                cv[i] = out.get("present." + i + ".encoder.value");
            }
            float[] logits = out.get(OrtSeq2Seq.LOGITS).toFloatArray();
            Shared shared = new Shared(hidden, ck, cv, step);
            return new Step<>(logits, batch, new Cache(shared, sk, sv));
        } catch (RuntimeException e) {
            step.close();
            throw new InferenceException("DJL encoder/first decoder step failed: " + OrtSeq2Seq.firstLine(e), e);
        }
    }

    @Override
    public Step<Cache> next(Cache cache, long[] tokens) throws InferenceException {
        // one NDManager per study, DJL's usual per-request scope: every step's arrays live in it and are
        // freed together when the study's last cache is closed (a few MB at most for 160 tokens)
        NDManager step = cache.shared.owner;
        try {
            NDArray ids = step.create(tokens, new Shape(tokens.length, 1));
            ids.setName(OrtSeq2Seq.INPUT_IDS);
            NDList in = new NDList(ids, cache.shared.hidden);
            for (int i = 0; i < layers; i++) {
                in.add(named(cache.selfK[i], "past_key_values." + i + ".decoder.key"));
                in.add(named(cache.selfV[i], "past_key_values." + i + ".decoder.value"));
                in.add(named(cache.shared.crossK[i], "past_key_values." + i + ".encoder.key"));
                in.add(named(cache.shared.crossV[i], "past_key_values." + i + ".encoder.value"));
            }
            NDList out = forward(decoderWithPast, in);
            NDArray[] sk = new NDArray[layers];
            NDArray[] sv = new NDArray[layers];
            for (int i = 0; i < layers; i++) {
                sk[i] = out.get("present." + i + ".decoder.key");
                sv[i] = out.get("present." + i + ".decoder.value");
            }
            float[] logits = out.get(OrtSeq2Seq.LOGITS).toFloatArray();
            return new Step<>(logits, tokens.length, new Cache(cache.shared.retain(), sk, sv));
        } catch (RuntimeException e) {
            throw new InferenceException("DJL decoder_with_past step failed: " + OrtSeq2Seq.firstLine(e), e);
        }
    }

    private static NDArray named(NDArray a, String name) {
        a.setName(name);
        return a;
    }

    @Override
    public Cache select(Cache cache, int[] rows) throws InferenceException {
        throw new InferenceException("beam search is not implemented on the DJL path (benchmark only)");
    }

    @Override
    public void close() {
        encoder.close();
        decoder.close();
        decoderWithPast.close();
    }

    static final class Shared {
        final NDArray hidden;
        final NDArray[] crossK;
        final NDArray[] crossV;
        final NDManager owner;
        private final AtomicInteger refs = new AtomicInteger(1);

        Shared(NDArray hidden, NDArray[] crossK, NDArray[] crossV, NDManager owner) {
            this.hidden = hidden;
            this.crossK = crossK;
            this.crossV = crossV;
            this.owner = owner;
        }

        Shared retain() {
            refs.incrementAndGet();
            return this;
        }

        void release() {
            if (refs.decrementAndGet() == 0) {
                owner.close();
            }
        }
    }

    static final class Cache implements AutoCloseable {
        final Shared shared;
        final NDArray[] selfK;
        final NDArray[] selfV;
        private boolean closed;

        Cache(Shared shared, NDArray[] selfK, NDArray[] selfV) {
            this.shared = shared;
            this.selfK = selfK;
            this.selfV = selfV;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            shared.release();
        }
    }
}
