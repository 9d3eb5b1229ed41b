package org.raddraft.inference;

import java.util.List;
import org.raddraft.flags.Assessment;
import org.raddraft.flags.DraftSignals;

/**
 * A drafted report for one study, with its confidence: the generated token ids and their
 * log-probabilities, the signals the flags were computed from, the flags themselves, and timings.
 *
 * @param findings     the FINDINGS section text
 * @param impression   the IMPRESSION section text
 * @param tokenIds     generated token ids (without the start token)
 * @param tokenLogProbs natural-log probability of each generated token, same length as tokenIds
 * @param missingView  "lateral" when the study had only a frontal view, else null
 * @param signals      what the flags were computed from (null when flags are off)
 * @param assessment   flags, risk score and priority (null when flags are off or the model has no calibration)
 * @param flagsMillis  time the confidence signals and flags took for the batch
 */
public record Draft(String findings, String impression, List<Integer> tokenIds, List<Float> tokenLogProbs,
        String missingView, long preprocessMillis, long generateMillis, String modelName, String modelVersion,
        DraftSignals signals, Assessment assessment, long flagsMillis) {

    /** A draft without confidence flags. */
    public Draft(String findings, String impression, List<Integer> tokenIds, List<Float> tokenLogProbs,
                 String missingView, long preprocessMillis, long generateMillis, String modelName, String modelVersion) {
        this(findings, impression, tokenIds, tokenLogProbs, missingView, preprocessMillis, generateMillis, modelName,
                modelVersion, null, null, 0);
    }
}
