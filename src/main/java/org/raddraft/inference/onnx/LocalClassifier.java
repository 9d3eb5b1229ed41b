package org.raddraft.inference.onnx;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.raddraft.dicom.DicomFormatException;
import org.raddraft.inference.InferenceException;
import org.raddraft.inference.ModelDirectory;
import org.raddraft.inference.Preprocessor;
import org.raddraft.inference.PreprocessorConfig;

/**
 * An independent image classifier run locally next to a model that drafts elsewhere (a remote
 * engine): {@code classifier.onnx} + {@code labels.json} + {@code preprocessor_config.json} of the
 * model directory, with the views in the order frontal, lateral (a missing lateral filled with zeros,
 * as the model contract does). Gives CLASSIFIER_DISAGREES its probabilities and OUT_OF_DISTRIBUTION
 * its features (the logits on the frontal view alone). Thread-safe.
 */
public final class LocalClassifier implements AutoCloseable {

    /** OOD feature group of the logits on the frontal view alone (as the in-process backend names it). */
    public static final String FRONTAL_LOGITS = ConfidenceSignals.CLASSIFIER;

    private final OrtClassifier classifier;
    private final Preprocessor preprocessor;
    private final int views;
    private final int size;

    private LocalClassifier(OrtClassifier classifier, Preprocessor preprocessor, int views, int size) {
        this.classifier = classifier;
        this.preprocessor = preprocessor;
        this.views = views;
        this.size = size;
    }

    /** The classifier of {@code dir}, or null when it ships no classifier.onnx. */
    public static LocalClassifier open(Path dir) throws InferenceException {
        if (!Files.isRegularFile(dir.resolve(ModelDirectory.CLASSIFIER))) {
            return null;
        }
        if (!Files.isRegularFile(dir.resolve(ModelDirectory.PREPROCESSOR_CONFIG))) {
            throw ModelDirectory.problem(dir, ModelDirectory.CLASSIFIER + " needs " + ModelDirectory.PREPROCESSOR_CONFIG
                    + " (how its input is made: size, image_mean/image_std per view)");
        }
        PreprocessorConfig pc = PreprocessorConfig.of(dir, ModelDirectory.read(dir, ModelDirectory.PREPROCESSOR_CONFIG));
        int views = pc.mean().length;
        if (views < 1 || views > 2 || pc.std().length != views) {
            throw ModelDirectory.problem(dir, ModelDirectory.PREPROCESSOR_CONFIG + ": image_mean/image_std need one value "
                    + "per view (frontal, and lateral when the classifier takes it)");
        }
        List<String> labels = ModelDirectory.classifierLabels(dir);
        return new LocalClassifier(OrtClassifier.load(dir, labels, views, pc.size(), 1), new Preprocessor(pc), views,
                pc.size());
    }

    /**
     * @param probabilities per label, the sigmoid of the study's logits
     * @param frontalLogits the logits with the lateral filled as missing (OOD features)
     */
    public record Result(Map<String, Double> probabilities, double[] frontalLogits) {
    }

    public Result classify(Path frontal, Path lateral) throws DicomFormatException, InferenceException {
        int plane = size * size;
        float[] px = new float[views * plane];
        System.arraycopy(preprocessor.view(frontal, 0), 0, px, 0, plane);
        float[] both = px;
        if (views > 1 && lateral != null) {
            both = px.clone();
            System.arraycopy(preprocessor.view(lateral, 1), 0, both, plane, plane);
        }
        float[] logits = classifier.logits(both, 1);
        float[] front = both == px ? logits : classifier.logits(px, 1);
        Map<String, Double> p = new LinkedHashMap<>();
        for (int j = 0; j < classifier.labels().size(); j++) {
            p.put(classifier.labels().get(j), OrtClassifier.sigmoid(logits[j]));
        }
        double[] f = new double[front.length];
        Arrays.setAll(f, i -> front[i]);
        return new Result(p, f);
    }

    @Override
    public void close() {
        classifier.close();
    }
}
