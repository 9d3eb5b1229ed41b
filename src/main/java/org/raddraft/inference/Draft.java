package org.raddraft.inference;

import java.util.List;
import java.util.Map;
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
 * @param remote       what a remote engine was sent and how long it took, or null for an in-process model
 */
public record Draft(String findings, String impression, List<Integer> tokenIds, List<Float> tokenLogProbs,
        String missingView, long preprocessMillis, long generateMillis, String modelName, String modelVersion,
        DraftSignals signals, Assessment assessment, long flagsMillis, Remote remote) {

    /**
     * A remotely drafted study's record.
     *
     * @param inputsSent   what left the machine, by name only (e.g. "frontal,lateral,indication,prior_report")
     * @param unavailable  per flag code this draft has no value for, why (e.g. the engine cannot score prompts)
     * @param engineMillis time inside the engine's answers (drafting and re-scoring requests)
     * @param waitMillis   time waiting for a free engine slot and backing off after failed requests
     * @param endpoint     the endpoint that drafted it (host:port)
     */
    public record Remote(String inputsSent, Map<String, String> unavailable, long engineMillis, long waitMillis,
                         String endpoint) {
        public Remote {
            unavailable = Map.copyOf(unavailable);
        }
    }

    /** A draft of the in-process backend. */
    public Draft(String findings, String impression, List<Integer> tokenIds, List<Float> tokenLogProbs,
                 String missingView, long preprocessMillis, long generateMillis, String modelName, String modelVersion,
                 DraftSignals signals, Assessment assessment, long flagsMillis) {
        this(findings, impression, tokenIds, tokenLogProbs, missingView, preprocessMillis, generateMillis, modelName,
                modelVersion, signals, assessment, flagsMillis, null);
    }

    /** A draft without confidence flags. */
    public Draft(String findings, String impression, List<Integer> tokenIds, List<Float> tokenLogProbs,
                 String missingView, long preprocessMillis, long generateMillis, String modelName, String modelVersion) {
        this(findings, impression, tokenIds, tokenLogProbs, missingView, preprocessMillis, generateMillis, modelName,
                modelVersion, null, null, 0);
    }
}
