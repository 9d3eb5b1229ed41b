-- DICOM SR delivery: the SR made for each outbox row of the DICOM_SR channel. Its UIDs are minted once,
-- and committed before the first attempt, so every retry sends the same SOP instance (a PACS that got it
-- already keeps one copy), and a correction names the SR it replaces from here (Predecessor Documents).
CREATE TABLE sr_document (
    outbox_id           BIGINT      PRIMARY KEY REFERENCES outbox(id),
    draft_id            BIGINT      NOT NULL REFERENCES draft(id),
    revision            INT         NOT NULL,   -- the outbox row's: 1 the approval, 2.. corrections
    study_instance_uid  VARCHAR(64) NOT NULL,
    series_instance_uid VARCHAR(64) NOT NULL,
    sop_instance_uid    VARCHAR(64) NOT NULL UNIQUE,
    replaces_outbox_id  BIGINT REFERENCES sr_document(outbox_id),  -- the delivered SR a correction replaces
    created_at          TIMESTAMP WITH TIME ZONE NOT NULL          -- Content / Instance Creation Date and Time
);
CREATE INDEX sr_document_draft ON sr_document(draft_id, revision);
