package org.raddraft.flags;

import java.util.List;
import java.util.Map;

/**
 * What the flags of one draft are computed from, measured by the drafting step. Observations are
 * named by their CheXpert label ("Pneumothorax"). A value the model cannot provide is null (no
 * classifier: {@code classifier} null; no grounding check: the drops null).
 *
 * @param meanLogProb     mean natural-log probability per generated token of the whole draft
 * @param sentences       the draft's sentences with their token log-probabilities
 * @param stated          per observation, what the draft says about it (every observation the labeller read)
 * @param classifier      the independent classifier's probability per observation, or null without a classifier
 * @param groundingDrop   mean per-token log-probability of the draft with the real image minus with the
 *                        image replaced by noise (teacher forcing): small = the text does not need the image
 * @param findingDrops    per stated (positive) observation: the drop of its sentences' mean token
 *                        log-probability when the image region carrying it is occluded
 * @param ood             the input's features (named as in the calibration's {@code ood.groups}), or null
 * @param missingView     "lateral" when the study had only a frontal view, else null
 */
public record DraftSignals(double meanLogProb, List<Sentence> sentences, Map<String, Statement> stated,
                           Map<String, Double> classifier, Double groundingDrop, Map<String, Double> findingDrops,
                           Map<String, double[]> ood, String missingView) {

    public DraftSignals {
        sentences = List.copyOf(sentences);
        stated = Map.copyOf(stated);
        classifier = classifier == null ? null : Map.copyOf(classifier);
        findingDrops = findingDrops == null ? null : Map.copyOf(findingDrops);
        ood = ood == null ? null : Map.copyOf(ood);
    }

    /**
     * One sentence of the draft.
     *
     * @param text         the sentence as drafted
     * @param observations the observations it affirms (present or uncertain), may be empty
     * @param meanLogProb  mean token log-probability of its tokens
     */
    public record Sentence(String text, List<String> observations, double meanLogProb) {
        public Sentence {
            observations = List.copyOf(observations);
        }
    }

    /**
     * What the draft says about one observation.
     *
     * @param positive present or uncertain (as label-F1 counts it)
     * @param severity the labeller's severity word class (UNSTATED, MILD, MODERATE, SEVERE)
     * @param wording  the draft's sentences that mention it, joined (for term rules such as "mass")
     */
    public record Statement(boolean positive, String severity, String wording) {
    }
}
