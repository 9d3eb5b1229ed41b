package org.raddraft.review;

import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.PreconditionFailedException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.rest.server.exceptions.ResourceVersionConflictException;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import java.sql.SQLException;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.StringType;

/**
 * {@code POST /fhir/DiagnosticReport/{id}/$approve} (Parameters: optional {@code findings},
 * {@code impression}), {@code $reject} ({@code reason}, required) and {@code $amend}, the correction
 * of an approved report ({@code findings} and/or {@code impression}, {@code reason} required; 409 when
 * the report is not approved). The version the reviewer saw
 * goes in {@code If-Match} (W/"versionId"): a stale one gets 412 and changes nothing. An integration
 * account names the radiologist it acts for in the header {@code X-Acting-For} or the Parameters part
 * {@code practitioner} (the account name). Answers the DiagnosticReport as it now stands, with its ETag.
 */
public final class ReviewOperations {

    /** The DiagnosticReport of a draft as /fhir now serves it (FHIR's reader). */
    @FunctionalInterface
    public interface CurrentReport {
        IBaseResource of(long draftId) throws Exception;
    }

    private final Authenticator authenticator;
    private final DraftReview review;
    private final CurrentReport current;

    public ReviewOperations(Authenticator authenticator, DraftReview review, CurrentReport current) {
        this.authenticator = authenticator;
        this.review = review;
        this.current = current;
    }

    @Operation(name = "$approve", type = DiagnosticReport.class, idempotent = false)
    public IBaseResource approve(@IdParam IdType id,
            @OperationParam(name = "findings", max = 1) StringType findings,
            @OperationParam(name = "impression", max = 1) StringType impression,
            @OperationParam(name = "practitioner", max = 1) StringType practitioner,
            ServletRequestDetails rd) throws Exception {
        long draftId = draftId(id);
        Actor actor = actor(rd, practitioner);
        DraftReview.Decision d = decided(() -> review.approve(draftId, ifMatch(rd), actor, text(findings), text(impression)));
        return answer(rd, d);
    }

    @Operation(name = "$reject", type = DiagnosticReport.class, idempotent = false)
    public IBaseResource reject(@IdParam IdType id,
            @OperationParam(name = "reason", max = 1) StringType reason,
            @OperationParam(name = "practitioner", max = 1) StringType practitioner,
            ServletRequestDetails rd) throws Exception {
        long draftId = draftId(id);
        Actor actor = actor(rd, practitioner);
        DraftReview.Decision d = decided(() -> review.reject(draftId, ifMatch(rd), actor, text(reason)));
        return answer(rd, d);
    }

    @Operation(name = "$amend", type = DiagnosticReport.class, idempotent = false)
    public IBaseResource amend(@IdParam IdType id,
            @OperationParam(name = "findings", max = 1) StringType findings,
            @OperationParam(name = "impression", max = 1) StringType impression,
            @OperationParam(name = "reason", max = 1) StringType reason,
            @OperationParam(name = "practitioner", max = 1) StringType practitioner,
            ServletRequestDetails rd) throws Exception {
        long draftId = draftId(id);
        Actor actor = actor(rd, practitioner);
        DraftReview.Decision d = decided(() -> review.amend(draftId, ifMatch(rd), actor, text(findings), text(impression),
                text(reason)));
        return answer(rd, d);
    }

    private IBaseResource answer(ServletRequestDetails rd, DraftReview.Decision d) throws Exception {
        rd.getServletResponse().setHeader("ETag", "W/\"" + d.version() + "\"");
        return current.of(d.draftId());
    }

    private interface Decide {
        DraftReview.Decision run() throws ReviewRefused, SQLException;
    }

    private static DraftReview.Decision decided(Decide decide) throws SQLException {
        try {
            return decide.run();
        } catch (ReviewRefused r) {
            throw switch (r.why()) {
                case NOT_FOUND -> new ResourceNotFoundException(r.getMessage());
                case STALE_VERSION -> new PreconditionFailedException(r.getMessage());
                case NOT_REVIEWABLE -> new ResourceVersionConflictException(r.getMessage());
                case INVALID_INPUT -> new InvalidRequestException(r.getMessage());
            };
        }
    }

    private Actor actor(ServletRequestDetails rd, StringType practitioner) throws SQLException {
        Principal p = (Principal) rd.getServletRequest().getAttribute(AuthFilter.PRINCIPAL);
        String header = rd.getHeader("X-Acting-For");
        String part = text(practitioner);
        if (header != null && part != null && !header.strip().equals(part.strip())) {
            throw new InvalidRequestException("X-Acting-For '" + header + "' and parameter 'practitioner' '" + part
                    + "' name different radiologists; send one");
        }
        String ip = rd.getServletRequest().getRemoteAddr();
        try {
            return authenticator.actor(p, header != null ? header : part, ip, true);
        } catch (AccessDenied e) {
            // a refused decision is in the trail: who, on which report, why, from where
            String op = rd.getOperation() == null ? "decision" : rd.getOperation().replace("$", "");
            authenticator.refused(p, header != null ? header : part, ip, op, "DiagnosticReport",
                    rd.getId() == null ? null : rd.getId().getIdPart(), e.getMessage());
            BaseServerResponseException ex = e.status() == 400 ? new InvalidRequestException(e.getMessage())
                    : new ForbiddenOperationException(e.getMessage());
            throw ex;
        }
    }

    private static long draftId(IdType id) {
        if (!id.isIdPartValidLong()) {
            throw new ResourceNotFoundException("no DiagnosticReport/" + id.getIdPart());
        }
        return id.getIdPartAsLong();
    }

    /** If-Match: W/"3", "3" or 3; null when absent. */
    static Integer ifMatch(ServletRequestDetails rd) {
        String h = rd.getHeader("If-Match");
        if (h == null || h.isBlank()) {
            return null;
        }
        String v = h.strip();
        if (v.startsWith("W/")) {
            v = v.substring(2);
        }
        v = v.replace("\"", "");
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new InvalidRequestException("If-Match '" + h + "' is not a version; send the ETag of the "
                    + "DiagnosticReport you reviewed, e.g. If-Match: W/\"2\"");
        }
    }

    private static String text(StringType s) {
        return s == null ? null : s.getValue();
    }
}
