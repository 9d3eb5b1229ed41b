package org.raddraft.review;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * Who may call what on the HTTP port, in one table (the endpoint x role test checks every row
 * through the running daemon). Anything not listed needs an authenticated account; open to all are
 * only {@code /health}, the review page's static files (so it can show its login form; every datum
 * it shows comes through the checked endpoints), and {@code /metrics} when the admin sets
 * http.metrics-anonymous.
 *
 * <p>The table is enforced twice: by {@link AuthFilter} on the path Jetty routes on ({@link RoutedPath}:
 * servlet path + path info, decoded and normalised, never the raw request URI), and again where the
 * resource is served: {@link FhirAccessInterceptor} asks {@link #fhir} with the resource type and
 * operation HAPI resolved, and the servlets ask {@link #rule} themselves through {@link ServletGuard}.
 * Resource types and operation names are compared ignoring case, so that no spelling HAPI may accept
 * falls under a weaker row.
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

        /** Whether {@code role} may use it (any role, when anonymous). */
        public boolean allows(Role role) {
            return anonymous || roles.contains(role);
        }
    }

    private static final Rule CLINICAL = Rule.roles("clinical FHIR read", Role.RADIOLOGIST, Role.INTEGRATION);
    /** Study images of the review page: pixels are patient data. */
    public static final Rule STUDY_IMAGES = Rule.roles("study images", Role.RADIOLOGIST, Role.INTEGRATION);
    /** The admin pages under /ui/admin/ (review monitoring): figures about models and subgroups, for admins only. */
    public static final Rule ADMIN_PAGES = Rule.roles("admin pages", Role.ADMIN);
    private static final Set<String> DECISIONS = Set.of("$approve", "$reject", "$amend");

    private final boolean metricsAnonymous;

    public AccessPolicy(boolean metricsAnonymous) {
        this.metricsAnonymous = metricsAnonymous;
    }

    /**
     * The rule for a request on its routed path ({@link RoutedPath#of}); never the raw request URI,
     * whose percent-encoding and dot segments Jetty and HAPI resolve before routing.
     */
    public Rule rule(String method, String path) {
        if (path.equals("/health") || path.startsWith("/health/")) {
            return Rule.open("health");
        }
        if (path.equals("/metrics")) {
            return metrics();
        }
        if (path.equals("/auth/session")) {
            return session(method);
        }
        if (path.equals("/fhir") || path.startsWith("/fhir/")) {
            String[] segments = path.substring("/fhir".length()).split("/");
            // segments[0] is "" (the leading slash); [1] the resource type or metadata; the last an operation
            String type = segments.length > 1 ? segments[1] : null;
            String last = segments.length > 2 ? segments[segments.length - 1] : null;
            if (type != null && type.equalsIgnoreCase("metadata")) {
                return fhir("metadata", null);
            }
            if (type != null && type.startsWith("$")) { // a server-level operation
                return fhir(null, type);
            }
            return fhir(type, last != null && last.startsWith("$") ? last : null);
        }
        if (path.equals("/ui/studies") || path.startsWith("/ui/studies/")) {
            return STUDY_IMAGES;
        }
        if (path.equals("/ui/admin") || path.startsWith("/ui/admin/")) {
            return ADMIN_PAGES;
        }
        if (path.equals("/ui") || path.startsWith("/ui/")) {
            // the page's own files (HTML, JS, CSS; no data): it must load to show the login form
            return Rule.open("review page files");
        }
        return Rule.roles("other", Role.RADIOLOGIST, Role.INTEGRATION, Role.ADMIN);
    }

    /**
     * The rule for a FHIR request, as HAPI resolved it (and as {@link #rule} reads it from the path).
     *
     * @param resourceType {@code metadata} for the CapabilityStatement; null for the server base
     *                     (paging links, {@code ?_getpages=}) and server-level operations
     * @param operation    an extended operation's name with or without the {@code $}, or null
     */
    public Rule fhir(String resourceType, String operation) {
        String op = operation == null || operation.isEmpty() ? null
                : (operation.startsWith("$") ? operation : "$" + operation).toLowerCase(Locale.ROOT);
        if (resourceType == null) {
            return op == null
                    // paging links of any search, AuditEvent searches included; each is bound to its
                    // searcher (AccountBoundPaging)
                    ? Rule.roles("FHIR paging", Role.RADIOLOGIST, Role.INTEGRATION, Role.ADMIN)
                    : CLINICAL;
        }
        if (resourceType.equalsIgnoreCase("metadata")) {
            return Rule.roles("FHIR metadata", Role.RADIOLOGIST, Role.INTEGRATION, Role.ADMIN);
        }
        if (resourceType.equalsIgnoreCase("AuditEvent")) {
            return Rule.roles("FHIR AuditEvent", Role.ADMIN);
        }
        if (resourceType.equalsIgnoreCase("DiagnosticReport") && op != null && DECISIONS.contains(op)) {
            return Rule.roles("FHIR " + op, Role.RADIOLOGIST, Role.INTEGRATION);
        }
        return CLINICAL; // drafts and their resources: patient data, not for admins
    }

    /** {@code /metrics}: admins and integration accounts, or anyone when http.metrics-anonymous. */
    public Rule metrics() {
        return metricsAnonymous ? Rule.open("metrics") : Rule.roles("metrics", Role.ADMIN, Role.INTEGRATION);
    }

    /** {@code /auth/session}: POST checks the password itself (and throttles); GET and DELETE need a session. */
    public static Rule session(String method) {
        return method.equals("POST") ? Rule.open("login")
                : Rule.roles("session", Role.RADIOLOGIST, Role.INTEGRATION, Role.ADMIN);
    }
}
