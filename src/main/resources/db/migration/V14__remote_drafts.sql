-- Remote drafting backend (inference.remote): what each remotely drafted study sent to the engine
-- (input names only, never values), why a flag could not be computed, and where the time went.
ALTER TABLE draft ADD COLUMN inputs_sent         VARCHAR(200);   -- e.g. frontal,lateral,indication,prior_report; NULL for in-process models
ALTER TABLE draft ADD COLUMN unavailable_reasons VARCHAR(2000);  -- JSON object: flag code -> why this draft has no value for it
ALTER TABLE draft ADD COLUMN engine_endpoint     VARCHAR(200);   -- host:port of the engine that drafted it
ALTER TABLE draft ADD COLUMN engine_ms           BIGINT;         -- time inside the engine's answers
ALTER TABLE draft ADD COLUMN wait_ms             BIGINT;         -- waiting for an engine slot, backing off after failures
ALTER TABLE draft ADD COLUMN claimed_at          TIMESTAMP WITH TIME ZONE;  -- when drafting of the study began (claimed)
