package org.raddraft.phantom;

/** A reference report: the FINDINGS and IMPRESSION sections. */
public record Report(String findings, String impression) {

    /** The report as plain text with section headings. */
    public String text() {
        return "FINDINGS: " + findings + "\n\nIMPRESSION: " + impression;
    }
}
