-- OIDC accounts are bound to the identity provider's issuer and subject (iss + sub), which it never
-- reassigns, instead of the user name claim, which users may edit at some providers. Accounts made
-- before this have no subject yet and are bound at their next login.
ALTER TABLE app_user ADD COLUMN oidc_issuer VARCHAR(500);
ALTER TABLE app_user ADD COLUMN oidc_subject VARCHAR(255);
CREATE UNIQUE INDEX app_user_oidc_subject ON app_user(oidc_issuer, oidc_subject);
