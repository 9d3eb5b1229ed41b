package org.raddraft.report;

/** Side of a finding as stated in the sentence. */
public enum Laterality {
    LEFT, RIGHT, BILATERAL, UNSTATED;

    Laterality merge(Laterality other) {
        if (this == UNSTATED || this == other) {
            return other;
        }
        if (other == UNSTATED) {
            return this;
        }
        return BILATERAL;
    }
}
