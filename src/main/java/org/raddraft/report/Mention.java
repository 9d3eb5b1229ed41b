package org.raddraft.report;

/**
 * One mention of an observation in one sentence.
 *
 * @param observation   what is talked about
 * @param status        PRESENT, ABSENT (negated) or UNCERTAIN; never NOT_MENTIONED
 * @param laterality    side, when stated next to the mention
 * @param severity      size/severity word, when stated next to the mention
 * @param sentenceIndex index into {@link Report#sentences()}
 * @param section       the sentence's section
 */
public record Mention(Observation observation, Status status, Laterality laterality, Severity severity,
                      int sentenceIndex, Section section) {
}
