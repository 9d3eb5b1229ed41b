package org.raddraft.dicom;

import io.micrometer.core.instrument.Metrics;

/** Counters on Micrometer's global registry (Prometheus: {@code raddraft_associations_rejected_total{reason=...}}). */
final class ScpMetrics {

    static final String CALLING_AE_NOT_RECOGNIZED = "calling-ae-not-recognized";
    static final String CALLED_AE_NOT_RECOGNIZED = "called-ae-not-recognized";
    static final String LOCAL_LIMIT_EXCEEDED = "local-limit-exceeded";
    static final String TLS_HANDSHAKE_FAILED = "tls-handshake-failed";
    static final String NOT_AN_ASSOCIATE_REQUEST = "not-an-associate-request";
    static final String HOST_NOT_ALLOWED = "host-not-allowed";
    static final String REQUEST_DEADLINE_PASSED = "request-deadline-passed";

    private ScpMetrics() {
    }

    static void associationRejected(String reason) {
        Metrics.counter("raddraft.associations.rejected", "reason", reason).increment();
    }

    static void associationAccepted() {
        Metrics.counter("raddraft.associations.accepted").increment();
    }

    static void storeAnswered(int status) {
        Metrics.counter("raddraft.cstore.responses", "status", String.format("%04X", status)).increment();
    }
}
