package org.raddraft.ingest;

/** Where a study is in the pipeline; stored as its name in study.state. */
public enum StudyState {
    /** Instances are still arriving. */
    COLLECTING,
    /** Quiet for study.quiet-seconds and in scope: ready to draft. */
    STABLE,
    /** Quiet, but not something the model is meant for; the reason says why. */
    OUT_OF_SCOPE,
    DRAFTING,
    DRAFTED,
    /** Drafting failed; the reason says why; retried a bounded number of times. */
    FAILED
}
