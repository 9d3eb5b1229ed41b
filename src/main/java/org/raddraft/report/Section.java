package org.raddraft.report;

/** Report sections the labeller reads; on conflict the impression wins. */
public enum Section {
    FINDINGS, IMPRESSION
}
