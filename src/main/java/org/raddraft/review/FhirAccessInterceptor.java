package org.raddraft.review;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.AuthenticationException;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import java.sql.SQLException;

/**
 * The second role check of the FHIR API, inside HAPI: once HAPI has resolved which resource type and
 * operation a request is for (whatever the spelling of its path), {@link AccessPolicy#fhir} must allow
 * the caller's role, else 403 (401 without a principal: the filter is not in front) before any
 * resource provider runs. Refusals are audited with who, what, why and from where.
 */
@Interceptor
public final class FhirAccessInterceptor {

    private final AccessPolicy policy;
    private final Authenticator authenticator;

    public FhirAccessInterceptor(AccessPolicy policy, Authenticator authenticator) {
        this.policy = policy;
        this.authenticator = authenticator;
    }

    @Hook(Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED)
    public void check(RequestDetails rd, RestOperationTypeEnum operation) throws SQLException {
        AccessPolicy.Rule rule = rule(rd, operation);
        String ip = rd instanceof ServletRequestDetails s ? s.getServletRequest().getRemoteAddr() : null;
        String what = operation + " " + (rd.getResourceName() == null ? "" : rd.getResourceName())
                + (rd.getOperation() == null ? "" : " " + rd.getOperation());
        Principal p = rd instanceof ServletRequestDetails s
                ? (Principal) s.getServletRequest().getAttribute(AuthFilter.PRINCIPAL) : null;
        if (p == null) {
            authenticator.refusedUnauthenticated(ip, what, "no authenticated caller reached " + rule.endpoint());
            throw new AuthenticationException("authentication required for " + rule.endpoint());
        }
        if (!rule.allows(p.role())) {
            String why = "role " + p.role().code() + " may not use " + rule.endpoint() + "; it needs one of "
                    + rule.roles().stream().map(Role::code).toList();
            authenticator.refused(p, rd.getHeader("X-Acting-For"), ip, "access-refused", rd.getResourceName(), what, why);
            throw new ForbiddenOperationException(why);
        }
    }

    /** The rule for what HAPI resolved: the CapabilityStatement, a paging link, or a resource type and operation. */
    AccessPolicy.Rule rule(RequestDetails rd, RestOperationTypeEnum operation) {
        if (operation == RestOperationTypeEnum.METADATA) {
            return policy.fhir("metadata", null);
        }
        if (operation == RestOperationTypeEnum.GET_PAGE) {
            return policy.fhir(null, null);
        }
        if (rd.getResourceName() == null) { // a server-level request other than paging: never the paging row
            return policy.fhir(null, rd.getOperation() == null ? "$" + operation : rd.getOperation());
        }
        return policy.fhir(rd.getResourceName(), rd.getOperation());
    }
}
