package org.raddraft;

import org.raddraft.fhir.FhirServer;
import org.raddraft.ops.Health;
import org.raddraft.ops.HealthServlet;
import org.raddraft.ops.HttpServer;
import org.raddraft.ops.PrometheusMetrics;
import org.raddraft.review.AccessPolicy;
import org.raddraft.review.ImageReadAudit;
import org.raddraft.review.ServletGuard;
import org.raddraft.store.Database;
import org.raddraft.ui.StudyImagesServlet;
import org.raddraft.ui.UiServlet;

/**
 * What the one HTTP port ({@code http.bind:http.port}) serves, composed in one place:
 * <ul>
 *   <li>{@code /fhir/*}: the FHIR API ({@link FhirServer}; add resource providers, operations and HAPI
 *       interceptors to it with {@code registerProvider} / {@code registerInterceptor});</li>
 *   <li>{@code /health}, {@code /health/live}, {@code /health/ready}; {@code /metrics} (Prometheus);</li>
 *   <li>{@code /ui/}: the review page ({@link UiServlet}) and its study images ({@link StudyImagesServlet}).</li>
 * </ul>
 * A servlet filter for everything (authentication) goes in with {@link HttpServer#filter} before the
 * servlets; another page (the review UI at {@code /ui/*}) with {@link HttpServer#servlet}.
 */
final class HttpEndpoints {

    private HttpEndpoints() {
    }

    static HttpServer compose(Settings settings, Database db, FhirServer fhir, Health health,
            PrometheusMetrics metrics, ImageReadAudit imageAudit, AccessPolicy policy, ServletGuard guard) {
        String keystore = settings.get("http.tls.keystore");
        return new HttpServer(settings.get("http.bind"), settings.getInt("http.port"),
                keystore.isEmpty() ? null : settings.path("http.tls.keystore"), settings.get("http.tls.keystore-password"))
                .servlet("/fhir/*", fhir)
                .servlet("/health/*", new HealthServlet(health))
                .servlet("/metrics", guard.guard(metrics, method -> policy.metrics()))
                .servlet("/ui/*", new UiServlet())
                .servlet("/ui/studies/*", new StudyImagesServlet(db, settings.spoolDir(), imageAudit, guard));
    }
}
