package org.raddraft.review;

/** A decision that cannot be made as asked; nothing was changed. The message says why and what to do. */
public final class ReviewRefused extends Exception {

    /** The reasons, mapped by the FHIR layer to 404, 412, 409 and 400. */
    public enum Why {
        NOT_FOUND, STALE_VERSION, NOT_REVIEWABLE, INVALID_INPUT
    }

    private final Why why;

    ReviewRefused(Why why, String message) {
        super(message);
        this.why = why;
    }

    public Why why() {
        return why;
    }
}
