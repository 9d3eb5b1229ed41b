package org.raddraft.delivery;

/**
 * A delivery the peer did not confirm. {@link #summary} is fit for the log (codes and internal ids,
 * no text from the peer, which may quote patient data); the message adds the peer's own words for
 * the outbox row's last_error, where admins read it.
 */
public class DeliveryException extends Exception {

    private final String summary;

    public DeliveryException(String summary, String peerDetail) {
        super(peerDetail == null || peerDetail.isBlank() ? summary : summary + ": " + peerDetail);
        this.summary = summary;
    }

    public DeliveryException(String summary, Throwable cause) {
        super(summary + ": " + cause, cause);
        this.summary = summary;
    }

    public String summary() {
        return summary;
    }

    /** The peer refused the report for good (HL7 AR, FHIR 400/401/403/404/409/422): sending it again would fail again. */
    public static final class Permanent extends DeliveryException {
        public Permanent(String summary, String peerDetail) {
            super(summary, peerDetail);
        }

        /** For the route's throwException step. */
        public Permanent(String summary) {
            super(summary, (String) null);
        }
    }
}
