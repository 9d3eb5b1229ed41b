package org.raddraft.report;

/** Size or severity words: mild/small/trace/minimal, moderate, large/severe/marked. */
public enum Severity {
    UNSTATED, MILD, MODERATE, SEVERE;

    Severity max(Severity other) {
        return other.ordinal() > ordinal() ? other : this;
    }
}
