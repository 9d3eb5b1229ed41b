package org.raddraft.review;

/**
 * A request refused before it reaches the FHIR server: {@link #status} is the HTTP status (400 acting
 * radiologist missing, 401 credentials, 403 role, 429 throttled) and the message says what to fix.
 */
public final class AccessDenied extends Exception {

    private final int status;
    private final long retryAfterSeconds;

    public AccessDenied(int status, String message) {
        this(status, message, 0);
    }

    AccessDenied(int status, String message, long retryAfterSeconds) {
        super(message);
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int status() {
        return status;
    }

    /** For 429: seconds until the next attempt is considered. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
