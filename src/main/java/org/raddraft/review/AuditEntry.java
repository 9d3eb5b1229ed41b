package org.raddraft.review;

/**
 * One row of the audit trail (served as a FHIR AuditEvent).
 *
 * @param outcome FHIR AuditEvent.outcome: {@link #SUCCESS}, {@link #MINOR_FAILURE} (refused: bad input,
 *                wrong credentials, no permission), {@link #SERIOUS_FAILURE} (our own error)
 * @param detail  internal ids and reasons only, never patient data
 */
public record AuditEntry(Long userId, String userName, String role, String actingFor, String action,
        String entityType, String entityId, Long studyId, Long draftId, String outcome, String sourceIp,
        String detail) {

    public static final String SUCCESS = "0";
    public static final String MINOR_FAILURE = "4";
    public static final String SERIOUS_FAILURE = "8";

    /** An action by {@code actor} on an entity; the outcome and detail are set with {@link #outcome}. */
    public static AuditEntry of(Actor actor, String action, String entityType, String entityId) {
        Principal p = actor.principal();
        return new AuditEntry(actor.userId(), p.name(), p.role().code(),
                actor.actingFor() == null || actor.actingFor().id() == p.userId() ? null : actor.actingFor().name(),
                action, entityType, entityId, null, null, SUCCESS, actor.sourceIp(), null);
    }

    /**
     * A successful read by an authenticated caller. {@code actingForHeader} (X-Acting-For) counts only
     * for an integration account: reads need no radiologist, and decisions check the name themselves.
     */
    public static AuditEntry request(Principal p, String actingForHeader, String sourceIp, String action,
            String entityType, String entityId) {
        String actingFor = p.role() == Role.INTEGRATION && actingForHeader != null && !actingForHeader.isBlank()
                ? actingForHeader.strip() : null;
        return new AuditEntry(p.userId(), p.name(), p.role().code(), actingFor, action, entityType, entityId, null,
                null, SUCCESS, sourceIp, null);
    }

    /** A request whose credentials were missing or wrong: nobody known acted. */
    public static AuditEntry anonymous(String userName, String action, String sourceIp, String detail) {
        return new AuditEntry(null, userName, null, null, action, null, null, null, null, MINOR_FAILURE, sourceIp,
                detail);
    }

    public AuditEntry outcome(String outcome, String detail) {
        return new AuditEntry(userId, userName, role, actingFor, action, entityType, entityId, studyId, draftId,
                outcome, sourceIp, truncate(detail));
    }

    public AuditEntry study(long studyId) {
        return new AuditEntry(userId, userName, role, actingFor, action, entityType, entityId, studyId, draftId,
                outcome, sourceIp, detail);
    }

    public AuditEntry draft(long studyId, long draftId) {
        return new AuditEntry(userId, userName, role, actingFor, action, entityType, entityId, studyId, draftId,
                outcome, sourceIp, detail);
    }

    private static String truncate(String s) {
        return s == null || s.length() <= 1000 ? s : s.substring(0, 997) + "...";
    }
}
