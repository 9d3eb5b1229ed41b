package org.raddraft.dicom;

/**
 * A C-STORE that did not store the instance: the peer refused the association or the presentation
 * context, answered a failure status, or could not be reached. {@link #permanent()} says whether
 * sending the same instance again can succeed without someone changing something first.
 */
public class StoreFailure extends Exception {

    private static final long serialVersionUID = 1L;

    private final boolean permanent;

    StoreFailure(boolean permanent, String reason, Throwable cause) {
        super(reason, cause);
        this.permanent = permanent;
    }

    StoreFailure(boolean permanent, String reason) {
        this(permanent, reason, null);
    }

    /** True when retrying cannot help (rejected AE title, unsupported SOP class, a failure status that says so). */
    public boolean permanent() {
        return permanent;
    }
}
