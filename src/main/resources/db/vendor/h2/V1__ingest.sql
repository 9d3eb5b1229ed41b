-- Ingest: studies and their received instances. The database is the source of truth for state;
-- the fsync'd Part 10 files in the spool are the source of truth for instances (re-indexed at start).

CREATE TABLE study (
    id                 BIGINT AUTO_INCREMENT PRIMARY KEY,
    study_instance_uid VARCHAR(64)  NOT NULL UNIQUE,
    state              VARCHAR(20)  NOT NULL,   -- COLLECTING, STABLE, OUT_OF_SCOPE, DRAFTING, DRAFTED, FAILED
    reason             VARCHAR(500),            -- why OUT_OF_SCOPE / FAILED / re-opened
    reopened           INT          DEFAULT 0 NOT NULL,
    first_instance_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    last_instance_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    state_changed_at   TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX study_state ON study(state, last_instance_at);

CREATE TABLE instance (
    id                  BIGINT AUTO_INCREMENT PRIMARY KEY,
    study_id            BIGINT       NOT NULL REFERENCES study(id),
    sop_instance_uid    VARCHAR(64)  NOT NULL UNIQUE,
    series_instance_uid VARCHAR(64)  NOT NULL,
    sop_class_uid       VARCHAR(64)  NOT NULL,
    transfer_syntax_uid VARCHAR(64)  NOT NULL,
    modality            VARCHAR(16),
    body_part_examined  VARCHAR(64),
    view_position       VARCHAR(16),
    study_description   VARCHAR(64),
    series_description  VARCHAR(64),
    patient_age         VARCHAR(4),
    patient_birth_date  VARCHAR(8),
    study_date          VARCHAR(8),
    accession_number    VARCHAR(16),
    photometric         VARCHAR(16),
    rows_count          INT,
    columns_count       INT,
    path                VARCHAR(1024) NOT NULL,  -- relative to the spool directory
    size_bytes          BIGINT       NOT NULL,
    calling_ae          VARCHAR(16),
    received_at         TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX instance_study ON instance(study_id);
