package org.raddraft.review;

import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.OperationOutcome;

/** Until FHIR serves the decided DiagnosticReport: an OperationOutcome saying what the decision did. */
public final class ReviewOutcome {

    private ReviewOutcome() {
    }

    public static IBaseResource of(long draftId) {
        OperationOutcome oo = new OperationOutcome();
        oo.addIssue().setSeverity(OperationOutcome.IssueSeverity.INFORMATION)
                .setCode(OperationOutcome.IssueType.INFORMATIONAL)
                .setDiagnostics("DiagnosticReport/" + draftId + " decided; read it for its new version");
        return oo;
    }
}
