package org.raddraft.review;

import java.util.EnumSet;
import java.util.Set;

/**
 * Who may call what on the HTTP port, in one table (the endpoint x role test checks every row
 * through the running daemon). Anything not listed needs an authenticated account; open to all are
 * only {@code /health}, the review page's static files (so it can show its login form; every datum
 * it shows comes through the checked endpoints), and {@code /metrics} when the admin sets
 * http.metrics-anonymous.
 */
public final class AccessPolicy {

    /**
     * What a request needs.
     *
     * @param endpoint  a name for logs, the audit trail and the test table
     * @param anonymous no credentials needed
     * @param roles     the roles allowed when not anonymous
     */
    public record Rule(String endpoint, boolean anonymous, Set<Role> roles) {

        static Rule open(String endpoint) {
            return new Rule(endpoint, true, EnumSet.noneOf(Role.class));
        }

        static Rule roles(String endpoint, Role first, Role... rest) {
            return new Rule(endpoint, false, EnumSet.of(first, rest));
        }
    }

    private static final Rule CLINICAL = Rule.roles("clinical FHIR read", Role.RADIOLOGIST, Role.INTEGRATION);

    private final boolean metricsAnonymous;

    public AccessPolicy(boolean metricsAnonymous) {
        this.metricsAnonymous = metricsAnonymous;
    }

    public Rule rule(String method, String path) {
        if (path.equals("/health") || path.startsWith("/health/")) {
            return Rule.open("health");
        }
        if (path.equals("/metrics")) {
            return metricsAnonymous ? Rule.open("metrics") : Rule.roles("metrics", Role.ADMIN, Role.INTEGRATION);
        }
        if (path.equals("/auth/session")) {
            // POST checks the password itself (and throttles); DELETE ends the caller's own session
            return method.equals("POST") ? Rule.open("login")
                    : Rule.roles("session", Role.RADIOLOGIST, Role.INTEGRATION, Role.ADMIN);
        }
        if (path.equals("/fhir/metadata")) {
            return Rule.roles("FHIR metadata", Role.RADIOLOGIST, Role.INTEGRATION, Role.ADMIN);
        }
        if (path.equals("/fhir") || path.equals("/fhir/")) {
            // paging links (?_getpages=...) of any search, AuditEvent searches included
            return Rule.roles("FHIR paging", Role.RADIOLOGIST, Role.INTEGRATION, Role.ADMIN);
        }
        if (path.startsWith("/fhir/AuditEvent")) {
            return Rule.roles("FHIR AuditEvent", Role.ADMIN);
        }
        if (path.startsWith("/fhir/DiagnosticReport/") && (path.endsWith("/$approve") || path.endsWith("/$reject")
                || path.endsWith("/$amend"))) {
            return Rule.roles("FHIR " + path.substring(path.lastIndexOf('$')), Role.RADIOLOGIST, Role.INTEGRATION);
        }
        if (path.startsWith("/fhir/")) {
            return CLINICAL; // drafts and their resources: patient data, not for admins
        }
        if (path.startsWith("/ui/studies/")) {
            return Rule.roles("study images", Role.RADIOLOGIST, Role.INTEGRATION); // pixels are patient data
        }
        if (path.equals("/ui") || path.startsWith("/ui/")) {
            // the page's own files (HTML, JS, CSS; no data): it must load to show the login form
            return Rule.open("review page files");
        }
        return Rule.roles("other", Role.RADIOLOGIST, Role.INTEGRATION, Role.ADMIN);
    }
}
