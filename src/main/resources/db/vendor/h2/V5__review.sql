-- Review: accounts, sessions, login throttling, the audit trail, the radiologist's decision on each
-- draft and the feedback record the learning loop exports.

CREATE TABLE app_user (
    id            BIGINT AUTO_INCREMENT PRIMARY KEY,
    name          VARCHAR(100) NOT NULL UNIQUE,
    role          VARCHAR(20)  NOT NULL,   -- radiologist, integration, admin
    source        VARCHAR(10)  NOT NULL,   -- local (password or token) or oidc (provisioned at first use)
    password_hash VARCHAR(200),            -- people: pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>
    token_hash    VARCHAR(64)  UNIQUE,     -- system accounts: hex SHA-256 of the bearer token (shown once)
    disabled      BOOLEAN      DEFAULT FALSE NOT NULL,
    created_at    TIMESTAMP WITH TIME ZONE NOT NULL
);

-- Which radiologists an integration account may name as the one it acts for (none listed = any radiologist).
CREATE TABLE acts_for (
    integration_id BIGINT NOT NULL REFERENCES app_user(id),
    radiologist_id BIGINT NOT NULL REFERENCES app_user(id),
    PRIMARY KEY (integration_id, radiologist_id)
);

-- Sessions a person gets for a password at POST /auth/session; only the token's hash is stored.
CREATE TABLE app_session (
    token_hash VARCHAR(64) PRIMARY KEY,
    user_id    BIGINT      NOT NULL REFERENCES app_user(id),
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at TIMESTAMP WITH TIME ZONE NOT NULL
);

-- Failed logins per account name ('user:NAME') and per client address ('ip:ADDR'): each failure
-- doubles the wait before the next attempt is even checked; a success clears the account's row.
CREATE TABLE login_throttle (
    subject         VARCHAR(200) PRIMARY KEY,
    failures        INT          NOT NULL,
    last_failure_at TIMESTAMP WITH TIME ZONE NOT NULL,
    blocked_until   TIMESTAMP WITH TIME ZONE NOT NULL
);

-- The audit trail, served as FHIR AuditEvent. Written in the transaction of the action it records.
CREATE TABLE audit_event (
    id          BIGINT AUTO_INCREMENT PRIMARY KEY,
    recorded_at TIMESTAMP WITH TIME ZONE NOT NULL,
    user_id     BIGINT,                  -- app_user.id; NULL for an unknown or missing account
    user_name   VARCHAR(100),            -- as given (also for failed logins with an unknown name)
    role        VARCHAR(20),
    acting_for  VARCHAR(100),            -- the radiologist an integration account acted for
    action      VARCHAR(40)  NOT NULL,   -- read, search, approve, reject, login, login-failure, user-add, ...
    entity_type VARCHAR(40),             -- DiagnosticReport, User, Study, AuditEvent
    entity_id   VARCHAR(100),
    study_id    BIGINT,                  -- study.id, for `raddraft admin audit --study`
    draft_id    BIGINT,
    outcome     VARCHAR(10)  NOT NULL,   -- FHIR AuditEvent.outcome: 0 success, 4 minor failure, 8 serious, 12 major
    source_ip   VARCHAR(64),
    detail      VARCHAR(1000)            -- internal ids and reasons only, never patient data
);
CREATE INDEX audit_event_study ON audit_event(study_id, recorded_at);
CREATE INDEX audit_event_time ON audit_event(recorded_at);

-- The radiologist's decision on the draft. draft.state: DRAFTED -> APPROVED | APPROVED_WITH_EDITS | REJECTED,
-- or SUPERSEDED by a late instance. version is the served DiagnosticReport's versionId (If-Match);
-- the FHIR stage may have added it first.
ALTER TABLE draft ADD COLUMN IF NOT EXISTS version INT DEFAULT 1 NOT NULL;
ALTER TABLE draft ADD COLUMN final_findings   CLOB;
ALTER TABLE draft ADD COLUMN final_impression CLOB;
ALTER TABLE draft ADD COLUMN reviewer_id      BIGINT REFERENCES app_user(id);
ALTER TABLE draft ADD COLUMN acting_user_id   BIGINT REFERENCES app_user(id);  -- the integration account, if one acted
ALTER TABLE draft ADD COLUMN reviewed_at      TIMESTAMP WITH TIME ZONE;
ALTER TABLE draft ADD COLUMN reject_reason    VARCHAR(1000);

-- One feedback record per reviewed draft, for the learning loop (exported without patient identifiers).
CREATE TABLE feedback (
    id               BIGINT AUTO_INCREMENT PRIMARY KEY,
    draft_id         BIGINT      NOT NULL UNIQUE REFERENCES draft(id),
    decision         VARCHAR(20) NOT NULL,   -- APPROVED, APPROVED_WITH_EDITS, REJECTED
    model_name       VARCHAR(128) NOT NULL,
    model_version    VARCHAR(64)  NOT NULL,
    draft_findings   CLOB NOT NULL,
    draft_impression CLOB NOT NULL,
    final_findings   CLOB,                   -- NULL when rejected
    final_impression CLOB,
    diff             CLOB NOT NULL,          -- JSON: changed labels (by the report labeller) and the sentence diff
    flags            CLOB,                   -- the draft's flags JSON as the reviewer saw them
    reject_reason    VARCHAR(1000),
    reviewer_id      BIGINT NOT NULL REFERENCES app_user(id),
    seconds_to_decision BIGINT NOT NULL,     -- drafted_at -> decision
    decided_at       TIMESTAMP WITH TIME ZONE NOT NULL
);
