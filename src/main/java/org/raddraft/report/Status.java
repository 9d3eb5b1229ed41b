package org.raddraft.report;

/** What a report says about an observation. */
public enum Status {
    /** Stated as present (including "consistent with", "compatible with"). */
    PRESENT,
    /** Stated as absent: a negated mention ("no pneumothorax") or a normal statement ("heart size is normal"). */
    ABSENT,
    /** Hedged: "possible", "may represent", "cannot be excluded", "versus", "borderline". */
    UNCERTAIN,
    /** Not talked about. */
    NOT_MENTIONED;

    /** PRESENT or UNCERTAIN: what CheXpert's "U-Ones" policy counts as positive. */
    public boolean positive() {
        return this == PRESENT || this == UNCERTAIN;
    }
}
