-- The models that have drafted here, as their manifests described them when the daemon loaded them. A
-- draft names its model (draft.model_name, draft.model_version); what that model may be used for is
-- read from here, not from whichever model is loaded when the report is published or delivered, so
-- a report drafted by the synthetic reference model keeps saying "not for clinical use" after a
-- model upgrade.
CREATE TABLE model (
    name            VARCHAR(200)  NOT NULL,
    version         VARCHAR(100)  NOT NULL,
    intended_use    VARCHAR(2000),            -- the manifest's intended_use; null when it has none
    first_loaded_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (name, version)
);
