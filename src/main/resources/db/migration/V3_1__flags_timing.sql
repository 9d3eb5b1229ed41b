-- Confidence flags: how long the signals and flags of the draft's batch took (stable->drafted includes it).
ALTER TABLE draft ADD COLUMN flags_ms BIGINT DEFAULT 0 NOT NULL;
