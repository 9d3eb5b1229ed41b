-- Drafting: attempts and retry time on the study; one row per drafted report text.
ALTER TABLE study ADD COLUMN draft_attempts INT DEFAULT 0 NOT NULL;
ALTER TABLE study ADD COLUMN next_attempt_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE study ADD COLUMN stable_at TIMESTAMP WITH TIME ZONE;  -- when it last became STABLE

CREATE TABLE draft (
    id             BIGINT AUTO_INCREMENT PRIMARY KEY,
    study_id       BIGINT       NOT NULL REFERENCES study(id),
    state          VARCHAR(20)  NOT NULL,   -- DRAFTED, SUPERSEDED (review states come with the review stage)
    findings       CLOB         NOT NULL,
    impression     CLOB         NOT NULL,
    token_ids      CLOB         NOT NULL,   -- JSON array of generated token ids
    token_logprobs CLOB         NOT NULL,   -- JSON array, natural log, one per token
    missing_view   VARCHAR(16),             -- 'lateral' when only a frontal view was drafted
    model_name     VARCHAR(128) NOT NULL,
    model_version  VARCHAR(64)  NOT NULL,
    preprocess_ms  BIGINT       NOT NULL,
    generate_ms    BIGINT       NOT NULL,
    stable_at      TIMESTAMP WITH TIME ZONE NOT NULL,  -- when the study became STABLE (latency start)
    drafted_at     TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX draft_study ON draft(study_id, state);
