package org.raddraft.review;

/**
 * An authenticated account.
 *
 * @param userId app_user.id
 * @param name   the account name (for OIDC, the configured username claim)
 * @param via    how it authenticated: token, session or oidc (for the audit trail)
 */
public record Principal(long userId, String name, Role role, String via) {
}
