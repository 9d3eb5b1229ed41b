-- Corrections of an approved report (DraftReview.amend, the FHIR $amend operation): how many times the
-- final text was amended (the DiagnosticReport is "corrected" once it is above 0) and every amendment
-- with the text it replaced, who made it, for whom, when and why. Each one is delivered again on every
-- channel (an outbox row with correction = true, in the same transaction).
ALTER TABLE draft ADD COLUMN amendments INT DEFAULT 0 NOT NULL;

CREATE TABLE draft_amendment (
    id                  BIGINT AUTO_INCREMENT PRIMARY KEY,
    draft_id            BIGINT        NOT NULL REFERENCES draft(id),
    previous_findings   CLOB          NOT NULL,
    previous_impression CLOB          NOT NULL,
    findings            CLOB          NOT NULL,
    impression          CLOB          NOT NULL,
    reason              VARCHAR(1000) NOT NULL,
    radiologist_id      BIGINT        NOT NULL REFERENCES app_user(id),
    acting_user_id      BIGINT        REFERENCES app_user(id),   -- the integration account, if one acted
    amended_at          TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX draft_amendment_draft ON draft_amendment(draft_id);
