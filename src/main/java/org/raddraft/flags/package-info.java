/**
 * Confidence flags: from a draft, its token log-probabilities, its image-grounding scores, the
 * classifier's probabilities and its input statistics to a list of {@link org.raddraft.flags.Flag}s,
 * a combined risk score and a worklist priority, with weights and thresholds from the model
 * directory's calibration. Pure logic: never imports FHIR, never touches the database or ONNX.
 */
package org.raddraft.flags;
