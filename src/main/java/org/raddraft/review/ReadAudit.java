package org.raddraft.review;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import java.sql.SQLException;
import java.util.LinkedHashSet;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.raddraft.store.Database;

/**
 * Audits every FHIR response that shows a draft (read, vread, history, search, paging): one row per
 * DiagnosticReport in it, committed before HAPI writes the response. If the row cannot be written
 * the request fails with 500 and nothing is shown. Searches of the audit trail are audited too.
 * $approve and $reject audit themselves, in their own transaction.
 */
@Interceptor
public final class ReadAudit {

    private final Database db;
    private final AuditLog audit;

    public ReadAudit(Database db, AuditLog audit) {
        this.db = db;
        this.audit = audit;
    }

    @Hook(Pointcut.SERVER_OUTGOING_RESPONSE)
    public boolean outgoing(RequestDetails rd, IBaseResource resource) throws SQLException {
        RestOperationTypeEnum op = rd.getRestOperationType();
        if (op == null || op == RestOperationTypeEnum.EXTENDED_OPERATION_INSTANCE || op == RestOperationTypeEnum.METADATA) {
            return true;
        }
        Principal p = rd instanceof ServletRequestDetails s
                ? (Principal) s.getServletRequest().getAttribute(AuthFilter.PRINCIPAL) : null;
        if (p == null) {
            throw new IllegalStateException("FHIR request without an authenticated principal: AuthFilter is not in front");
        }
        String ip = ((ServletRequestDetails) rd).getServletRequest().getRemoteAddr();
        AuditEntry entry = AuditEntry.request(p, rd.getHeader("X-Acting-For"), ip, op.getCode(), rd.getResourceName(),
                rd.getId() == null ? null : rd.getId().getIdPart());
        Set<Long> drafts = new LinkedHashSet<>();
        collect(resource, drafts);
        if (!drafts.isEmpty()) {
            audit.recordReads(db, entry, drafts);
        } else if ("AuditEvent".equals(rd.getResourceName())) {
            audit.record(db, entry);
        }
        return true;
    }

    private static void collect(IBaseResource resource, Set<Long> drafts) {
        if (resource instanceof DiagnosticReport dr) {
            String id = dr.getIdElement().getIdPart();
            if (id != null && id.chars().allMatch(Character::isDigit)) {
                drafts.add(Long.parseLong(id));
            }
        } else if (resource instanceof Bundle b) {
            for (Bundle.BundleEntryComponent e : b.getEntry()) {
                collect(e.getResource(), drafts);
            }
        }
    }
}
