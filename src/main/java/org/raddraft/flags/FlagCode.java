package org.raddraft.flags;

/** The kinds of confidence flag. Their names are the codes stored, shown and served over FHIR. */
public enum FlagCode {
    /** The model was unsure of its own words: low sequence or sentence token log-probability. */
    LOW_CONFIDENCE,
    /** The text barely depends on the image: scoring it with the image ablated hardly lowers its likelihood. */
    NOT_IMAGE_GROUNDED,
    /** The independent image classifier disagrees with what the draft says about a finding. */
    CLASSIFIER_DISAGREES,
    /** The draft states a finding the manifest lists as critical: the draft goes to the top of the worklist. */
    CRITICAL_FINDING,
    /** The input is unlike the model's training data (real radiographs for the reference model). */
    OUT_OF_DISTRIBUTION
}
