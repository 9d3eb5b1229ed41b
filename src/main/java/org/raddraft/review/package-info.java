/**
 * Review: who may do what, and the radiologist's decision on a draft.
 *
 * <p>Accounts ({@link org.raddraft.review.Users}: people with a PBKDF2 password exchanged for a
 * session, system accounts with a bearer token, optional OIDC JWTs), the checks in front of the HTTP
 * server ({@link org.raddraft.review.Authenticator}, {@link org.raddraft.review.AccessPolicy} on the routed
 * path, {@link org.raddraft.review.RoutedPath}) and again where each resource is served
 * ({@link org.raddraft.review.FhirAccessInterceptor}, {@link org.raddraft.review.ServletGuard}), the
 * approve/reject state change with optimistic locking ({@link org.raddraft.review.DraftReview}), the
 * feedback record of each decision and the audit trail ({@link org.raddraft.review.AuditLog}).
 *
 * <p>Every action and its audit row commit in one transaction; an approval hands the report to
 * delivery in that same transaction. Never log patient data: internal ids and account names only.
 * Never decide access on the raw request URI: only on {@link org.raddraft.review.RoutedPath#of}.
 */
package org.raddraft.review;
