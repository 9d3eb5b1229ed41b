package org.raddraft.delivery;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.DataFormatException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Resource;
import org.raddraft.store.Database;

/**
 * The FHIR channel: the approved version of the report, as the FHIR stage published and validated it
 * (table fhir_version), sent to {@code delivery.fhir.base-url} as one transaction Bundle of conditional
 * updates ({@link FhirTransaction}). 2xx = sent (the DiagnosticReport's location is the peer id);
 * 400, 401, 403, 404, 405, 409, 410, 412, 413, 415, 422 = permanent (DEAD with the OperationOutcome);
 * anything else (5xx, 408, 429, connection refused, timeout) = transient.
 */
public final class FhirSender implements OutboxSender {

    /** How the FHIR server wants us to authenticate. */
    public record Auth(String scheme, String user, String secret) {
        public static final Auth NONE = new Auth("none", null, null);

        String header() {
            return switch (scheme) {
                case "bearer" -> "Bearer " + secret;
                case "basic" -> "Basic " + Base64.getEncoder().encodeToString(
                        (user + ":" + secret).getBytes(StandardCharsets.UTF_8));
                default -> null;
            };
        }
    }

    private static final Set<Integer> PERMANENT = Set.of(400, 401, 403, 404, 405, 409, 410, 412, 413, 415, 422);
    private static final Set<String> APPROVED = Set.of("APPROVED", "APPROVED_WITH_EDITS");

    private final URI transactionUrl;
    private final Auth auth;
    private final Duration timeout;
    private final Database db;
    private final FhirContext ctx;
    private final String identifierSystem;
    private final HttpClient http;

    public FhirSender(String baseUrl, Auth auth, Duration timeout, Database db, FhirContext ctx, String identifierSystem) {
        this.transactionUrl = URI.create(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
        this.auth = auth;
        this.timeout = timeout;
        this.db = db;
        this.ctx = ctx;
        this.identifierSystem = identifierSystem;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /** The published resources of the draft's approved version, and that version's number. */
    private record Published(int version, List<Resource> resources) {
    }

    @Override
    public String send(FinalReport report) throws Exception {
        Published p = published(report);
        Bundle tx = FhirTransaction.of(ctx, p.resources(), p.version(), report, identifierSystem);
        HttpRequest.Builder rq = HttpRequest.newBuilder(transactionUrl).timeout(timeout)
                .header("Content-Type", "application/fhir+json; charset=utf-8")
                .header("Accept", "application/fhir+json")
                .POST(HttpRequest.BodyPublishers.ofString(ctx.newJsonParser().encodeResourceToString(tx)));
        if (auth.header() != null) {
            rq.header("Authorization", auth.header());
        }
        HttpResponse<String> rs = http.send(rq.build(), HttpResponse.BodyHandlers.ofString());
        int status = rs.statusCode();
        String what = "draft " + report.draftId() + " transaction";
        if (status / 100 == 2) {
            return location(rs.body(), what);
        }
        String detail = outcome(rs.body());
        if (PERMANENT.contains(status)) {
            throw new DeliveryException.Permanent("the FHIR server refused the " + what + " with HTTP " + status, detail);
        }
        throw new DeliveryException("the FHIR server answered HTTP " + status + " to the " + what, detail);
    }

    private Published published(FinalReport report) throws Exception {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("""
                SELECT v.version, v.draft_state, v.resources FROM fhir_version v
                WHERE v.draft_id = ? ORDER BY v.version DESC LIMIT 1""")) {
            ps.setLong(1, report.draftId());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || !APPROVED.contains(rs.getString(2))) {
                    // the FHIR stage publishes the approved version within a second of the approval
                    throw new DeliveryException("the approved DiagnosticReport of draft " + report.draftId()
                            + " is not published yet", (String) null);
                }
                Bundle b = ctx.newJsonParser().parseResource(Bundle.class, rs.getString(3));
                return new Published(rs.getInt(1), FhirTransaction.resources(b));
            }
        }
    }

    /** The DiagnosticReport's location in the transaction-response (e.g. DiagnosticReport/12/_history/1). */
    private String location(String body, String what) throws DeliveryException {
        try {
            Bundle response = ctx.newJsonParser().parseResource(Bundle.class, body);
            for (Bundle.BundleEntryComponent e : response.getEntry()) {
                String location = e.getResponse().getLocation();
                if (location != null && location.startsWith("DiagnosticReport/")) {
                    return location;
                }
            }
            throw new DeliveryException("the FHIR server's answer to the " + what + " names no DiagnosticReport",
                    (String) null);
        } catch (DataFormatException e) {
            throw new DeliveryException("the FHIR server's answer to the " + what + " is not a FHIR Bundle", e.getMessage());
        }
    }

    /** The OperationOutcome's diagnostics, or the start of the body. */
    private String outcome(String body) {
        try {
            OperationOutcome oo = ctx.newJsonParser().parseResource(OperationOutcome.class, body);
            StringBuilder b = new StringBuilder();
            for (OperationOutcome.OperationOutcomeIssueComponent i : oo.getIssue()) {
                b.append(b.isEmpty() ? "" : "; ").append(i.getSeverity() == null ? "" : i.getSeverity().toCode() + " ")
                        .append(i.getDiagnostics());
            }
            return b.toString();
        } catch (RuntimeException e) {
            return body == null ? null : body.substring(0, Math.min(300, body.length()));
        }
    }

    @Override
    public String toString() {
        return "FHIR " + transactionUrl;
    }
}
