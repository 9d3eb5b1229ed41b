package org.raddraft.inference;

import java.util.List;

/**
 * A drafted report for one study, with what the confidence flags need later: the generated token
 * ids and their log-probabilities, and timings.
 *
 * @param findings     the FINDINGS section text
 * @param impression   the IMPRESSION section text
 * @param tokenIds     generated token ids (without the start token)
 * @param tokenLogProbs natural-log probability of each generated token, same length as tokenIds
 * @param missingView  "lateral" when the study had only a frontal view, else null
 */
public record Draft(String findings, String impression, List<Integer> tokenIds, List<Float> tokenLogProbs,
        String missingView, long preprocessMillis, long generateMillis, String modelName, String modelVersion) {
}
