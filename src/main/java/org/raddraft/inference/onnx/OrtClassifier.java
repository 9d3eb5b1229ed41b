package org.raddraft.inference.onnx;

import org.raddraft.inference.ModelDirectory;
import org.raddraft.inference.InferenceException;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;

/**
 * The model's optional independent classifier ({@code classifier.onnx}: {@code pixel_values} to
 * {@code logits}, one sigmoid column per {@code labels.json} label), the judge of the
 * CLASSIFIER_DISAGREES flag. Same input as the encoder; thread-safe.
 */
final class OrtClassifier implements AutoCloseable {

    private final OrtEnvironment env;
    private final OrtSession session;
    private final List<String> labels;
    private final int views;
    private final int size;

    private OrtClassifier(OrtEnvironment env, OrtSession session, List<String> labels, int views, int size) {
        this.env = env;
        this.session = session;
        this.labels = labels;
        this.views = views;
        this.size = size;
    }

    /** The classifier of {@code model}, or null when the directory has none. */
    static OrtClassifier load(ModelDirectory model, int threads) throws InferenceException {
        if (!model.hasClassifier()) {
            return null;
        }
        return load(model.dir(), model.classifierLabels(), model.preprocessing().channels(), model.manifest().imageSize(),
                threads);
    }

    /** {@code dir}'s classifier.onnx for {@code views x size x size} inputs and these labels. */
    static OrtClassifier load(java.nio.file.Path dir, List<String> labels, int views, int size, int threads)
            throws InferenceException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession s = null;
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            o.setInterOpNumThreads(1);
            if (threads > 0) {
                o.setIntraOpNumThreads(threads);
            }
            s = env.createSession(dir.resolve(ModelDirectory.CLASSIFIER).toString(), o);
            NodeInfo in = s.getInputInfo().get(OrtSeq2Seq.PIXEL_VALUES);
            NodeInfo out = s.getOutputInfo().get(OrtSeq2Seq.LOGITS);
            if (in == null || out == null || !(out.getInfo() instanceof TensorInfo t)) {
                throw ModelDirectory.problem(dir, ModelDirectory.CLASSIFIER + ": expected input 'pixel_values' "
                        + "and output 'logits' [batch, " + labels.size() + "]; the file has inputs "
                        + s.getInputInfo().keySet() + " and outputs " + s.getOutputInfo().keySet());
            }
            long[] shape = t.getShape();
            if (shape.length != 2 || (shape[1] > 0 && shape[1] != labels.size())) {
                throw ModelDirectory.problem(dir, ModelDirectory.CLASSIFIER + ": output 'logits' has "
                        + java.util.Arrays.toString(shape) + ", expected [batch, " + labels.size() + "] (one column per "
                        + ModelDirectory.LABELS + " label)");
            }
            return new OrtClassifier(env, s, labels, views, size);
        } catch (OrtException e) {
            Decoding.closeQuietly(s);
            throw ModelDirectory.problem(dir, ModelDirectory.CLASSIFIER + " cannot be loaded by ONNX Runtime: "
                    + OrtSeq2Seq.firstLine(e));
        } catch (InferenceException | RuntimeException e) {
            Decoding.closeQuietly(s);
            throw e;
        }
    }

    List<String> labels() {
        return labels;
    }

    /** Logits, {@code batch x labels} row-major. */
    float[] logits(float[] pixels, int batch) throws InferenceException {
        try (OnnxTensor px = OnnxTensor.createTensor(env, FloatBuffer.wrap(pixels), new long[] {batch, views, size, size});
             OrtSession.Result r = session.run(Map.of(OrtSeq2Seq.PIXEL_VALUES, px), java.util.Set.of(OrtSeq2Seq.LOGITS))) {
            FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
            float[] out = new float[fb.remaining()];
            fb.get(out);
            return out;
        } catch (OrtException e) {
            throw new InferenceException("classifier failed: " + OrtSeq2Seq.firstLine(e), e);
        }
    }

    static double sigmoid(double z) {
        return 1 / (1 + Math.exp(-z));
    }

    @Override
    public void close() {
        Decoding.closeQuietly(session);
    }
}
