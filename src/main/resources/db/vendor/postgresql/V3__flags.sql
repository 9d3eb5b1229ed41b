-- PostgreSQL form of db/vendor/h2/V3__flags.sql (identity instead of AUTO_INCREMENT, TEXT instead of CLOB); same schema.
-- Confidence flags: computed in the drafting step and stored with the draft in the same transaction.
ALTER TABLE draft ADD COLUMN flags        TEXT;                   -- JSON array of org.raddraft.flags.Flag
ALTER TABLE draft ADD COLUMN risk_score   DOUBLE PRECISION;       -- 0..1, combined per the model's calibration
ALTER TABLE draft ADD COLUMN priority     INT DEFAULT 0 NOT NULL; -- worklist priority: 2 critical, 1 flagged, 0 routine
ALTER TABLE draft ADD COLUMN classifier   TEXT;                   -- JSON object: observation name -> probability; NULL without a classifier
ALTER TABLE draft ADD COLUMN unavailable  VARCHAR(200);           -- flag codes this model cannot compute (comma-separated)
CREATE INDEX draft_worklist ON draft(state, priority, drafted_at);
