package org.raddraft.review;

import ca.uhn.fhir.context.FhirContext;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.hl7.fhir.r4.model.OperationOutcome;

/** A refusal outside HAPI (the filter, the login servlet) written as a FHIR OperationOutcome. */
final class OutcomeResponse {

    private static final FhirContext FHIR = FhirContext.forR4Cached();

    private OutcomeResponse() {
    }

    static void send(HttpServletResponse resp, AccessDenied e) throws IOException {
        OperationOutcome.IssueType type = e.sessionExpired() ? OperationOutcome.IssueType.EXPIRED : switch (e.status()) {
            case 401 -> OperationOutcome.IssueType.LOGIN;
            case 403 -> OperationOutcome.IssueType.FORBIDDEN;
            case 429 -> OperationOutcome.IssueType.THROTTLED;
            default -> OperationOutcome.IssueType.REQUIRED;
        };
        OperationOutcome oo = new OperationOutcome();
        oo.addIssue().setSeverity(OperationOutcome.IssueSeverity.ERROR).setCode(type).setDiagnostics(e.getMessage());
        resp.setStatus(e.status());
        if (e.status() == 401) {
            resp.setHeader("WWW-Authenticate", "Bearer realm=\"raddraft\"");
        }
        if (e.retryAfterSeconds() > 0) {
            resp.setHeader("Retry-After", String.valueOf(e.retryAfterSeconds()));
        }
        resp.setContentType("application/fhir+json;charset=utf-8");
        resp.getOutputStream().write(FHIR.newJsonParser().setPrettyPrint(true).encodeResourceToString(oo)
                .getBytes(StandardCharsets.UTF_8));
    }
}
