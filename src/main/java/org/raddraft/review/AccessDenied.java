package org.raddraft.review;

/**
 * A request refused before it reaches the FHIR server: {@link #status} is the HTTP status (400 acting
 * radiologist missing, 401 credentials, 403 role, 429 throttled) and the message says what to fix.
 * {@link #sessionExpired()} marks a 401 for a session that timed out, so that the answer can say so
 * in a way a client can tell apart (OperationOutcome issue code {@code expired}).
 */
public final class AccessDenied extends Exception {

    private final int status;
    private final long retryAfterSeconds;
    private final boolean sessionExpired;

    public AccessDenied(int status, String message) {
        this(status, message, 0);
    }

    AccessDenied(int status, String message, long retryAfterSeconds) {
        this(status, message, retryAfterSeconds, false);
    }

    private AccessDenied(int status, String message, long retryAfterSeconds, boolean sessionExpired) {
        super(message);
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
        this.sessionExpired = sessionExpired;
    }

    /** 401 for a session that ended by timing out (idle or lifetime): the caller must log in again. */
    static AccessDenied expired(String message) {
        return new AccessDenied(401, message, 0, true);
    }

    public boolean sessionExpired() {
        return sessionExpired;
    }

    public int status() {
        return status;
    }

    /** For 429: seconds until the next attempt is considered. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
