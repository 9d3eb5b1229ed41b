package org.raddraft.flags;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A model's flag calibration: clinical relevance weights, the critical findings, every threshold and
 * the risk-score combination, as {@code raddraft calibrate} writes them to the model directory
 * ({@code flags-calibration.json}, docs/model-contract.md). Nothing about flags is hard-coded in
 * the daemon: a model brings its own file.
 *
 * @param schema        "raddraft-flags/1"
 * @param model         model name it was calibrated for (the daemon warns when it differs)
 * @param version       model version it was calibrated for
 * @param calibratedOn  where the thresholds come from (generator, seed, studies), informative
 * @param relevance     clinical relevance weight 0..1 per observation; "*" for flags on the whole draft
 * @param critical      findings that, stated by the draft, make it critical (top of the worklist)
 * @param lowConfidence LOW_CONFIDENCE thresholds
 * @param classifier    CLASSIFIER_DISAGREES cut-offs and margins; null for a model without a classifier
 * @param grounding     NOT_IMAGE_GROUNDED thresholds
 * @param ood           OUT_OF_DISTRIBUTION feature distributions and limit
 * @param risk          the risk-score combination (logistic over standardised features)
 * @param figures       what the calibration measured on its own set (informative)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FlagCalibration(String schema, String model, String version, JsonNode calibratedOn,
                              Map<String, Double> relevance, List<Critical> critical, LowConfidence lowConfidence,
                              Classifier classifier, Grounding grounding, Ood ood, Risk risk, JsonNode figures) {

    public static final String FILE = "flags-calibration.json";
    public static final String SCHEMA = "raddraft-flags/1";

    /** The key of {@link #relevance} that weighs flags about the whole draft rather than one finding. */
    public static final String WHOLE_DRAFT = "*";

    static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * A critical finding: the observation, stated present, optionally only at a severity or with a word.
     *
     * @param observation CheXpert name, e.g. "Pneumothorax"
     * @param minSeverity null, or MILD/MODERATE/SEVERE: the least severity that is critical ("large effusion": SEVERE)
     * @param terms       null/empty, or words of which one must occur in the draft's sentences about it ("mass")
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Critical(String observation, String minSeverity, List<String> terms) {
    }

    /**
     * @param meanLogProb     whole draft: mean token log-probability below this raises LOW_CONFIDENCE
     * @param sentenceLogProb one sentence's mean token log-probability below this raises LOW_CONFIDENCE for its finding
     * @param scale           log-probability distance past a threshold at which the strength nears 1
     */
    public record LowConfidence(double meanLogProb, double sentenceLogProb, double scale) {
    }

    /**
     * @param cutoffs        per observation, the classifier probability taken as its present/absent boundary
     * @param margin         logit units beyond the cut-off, against the draft, that raise CLASSIFIER_DISAGREES
     * @param criticalMargin the same for the observations of {@link #critical} (smaller: missing one costs more)
     * @param scale          logit units past the margin at which the strength nears 1
     */
    public record Classifier(Map<String, Double> cutoffs, double margin, double criticalMargin, double scale) {
    }

    /**
     * @param reportDrop  the whole draft's likelihood drop (image replaced by noise) below this raises NOT_IMAGE_GROUNDED
     * @param findingDrop a stated finding's sentence drop (its region occluded) below this raises it for that finding
     * @param scale       nats per token below a threshold at which the strength nears 1
     */
    public record Grounding(double reportDrop, double findingDrop, double scale) {
    }

    /**
     * @param groups per feature group (image statistics, encoder features, classifier logits): the
     *               calibration set's distribution and the limit of the distance beyond which an input is
     *               out of distribution
     */
    public record Ood(Map<String, Group> groups) {
        /**
         * A Mahalanobis distance in the principal axes of the standardised features: {@code z = (x - mean) / std},
         * {@code p = components z}; distance = sqrt((sum p_k^2 / variances_k + |z - components' p|^2 / residual) / (k + 1)).
         * Features that move together on the calibration set are expected to move together; an input that
         * breaks the pattern is far even when each feature alone looks ordinary.
         *
         * @param components k principal axes (rows, unit length) of the standardised features
         * @param variances  their variances (shrunk towards 1 so that a flat axis does not explode)
         * @param residual   variance left outside the k axes, per dimension
         * @param limit      distances above this are out of distribution
         */
        public record Group(double[] mean, double[] std, double[][] components, double[] variances, double residual,
                            double limit) {
        }
    }

    /**
     * risk = sigmoid(intercept + sum_i weights[i] * (x_i - mean[i]) / std[i]) over {@link RiskFeatures}.
     */
    public record Risk(List<String> features, double[] mean, double[] std, double intercept, double[] weights) {
    }

    public static FlagCalibration read(Path file) throws IOException {
        FlagCalibration c;
        try {
            c = JSON.readValue(file.toFile(), FlagCalibration.class);
        } catch (IOException e) {
            throw new IOException(file + " is not a valid flag calibration: "
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
        }
        List<String> problems = c.problems();
        if (!problems.isEmpty()) {
            throw new IOException(file + ": " + String.join("; ", problems)
                    + " (write it with `raddraft calibrate --model DIR`)");
        }
        return c;
    }

    public void write(Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, JSON.writeValueAsString(this) + "\n");
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** What is missing or inconsistent, in words an admin can act on; empty when usable. */
    List<String> problems() {
        List<String> p = new java.util.ArrayList<>();
        if (!SCHEMA.equals(schema)) {
            p.add("schema is '" + schema + "', expected '" + SCHEMA + "'");
        }
        if (relevance == null || !relevance.containsKey(WHOLE_DRAFT)) {
            p.add("relevance needs a \"*\" weight for flags on the whole draft");
        } else {
            relevance.forEach((k, v) -> {
                if (v == null || !(v >= 0 && v <= 1)) {
                    p.add("relevance of '" + k + "' must be in 0..1, got " + v);
                }
            });
        }
        if (lowConfidence == null) {
            p.add("low_confidence is missing");
        }
        if (risk == null) {
            p.add("risk is missing");
        } else if (risk.features().size() != risk.weights().length || risk.mean().length != risk.weights().length
                || risk.std().length != risk.weights().length) {
            p.add("risk: features, mean, std and weights need one entry each");
        }
        if (ood != null) {
            ood.groups().forEach((k, g) -> {
                if (g.mean().length != g.std().length) {
                    p.add("ood group '" + k + "': mean and std differ in length");
                }
            });
        }
        return p;
    }

    /** Clinical relevance of a finding (null = the whole draft); an unlisted observation weighs as the whole draft. */
    public double relevanceOf(String observation) {
        Double w = observation == null ? null : relevance.get(observation);
        return w != null ? w : relevance.get(WHOLE_DRAFT);
    }

    public boolean isCritical(String observation) {
        return critical != null && critical.stream().anyMatch(c -> c.observation().equals(observation));
    }
}
