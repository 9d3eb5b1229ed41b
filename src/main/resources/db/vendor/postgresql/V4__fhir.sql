-- PostgreSQL form of db/vendor/h2/V4__fhir.sql (identity instead of AUTO_INCREMENT, TEXT instead of CLOB); same schema.
-- FHIR: who the report is about (the DiagnosticReport's subject, and later the HL7 PID segment and
-- the DICOM SR's patient module), recorded at ingest; and every served version of each draft's
-- DiagnosticReport, so that vread and _history return exactly what was served.
ALTER TABLE instance ADD COLUMN patient_id           VARCHAR(64);   -- (0010,0020)
ALTER TABLE instance ADD COLUMN issuer_of_patient_id VARCHAR(64);   -- (0010,0021)
ALTER TABLE instance ADD COLUMN patient_name         VARCHAR(324);  -- (0010,0010) PN, all component groups
ALTER TABLE instance ADD COLUMN patient_sex          VARCHAR(16);   -- (0010,0040) M, F, O

ALTER TABLE draft ADD COLUMN version       INT DEFAULT 1 NOT NULL;  -- FHIR versionId of the served DiagnosticReport (the first is 1)
ALTER TABLE draft ADD COLUMN superseded_by BIGINT REFERENCES draft(id);  -- the draft that replaced this SUPERSEDED one

CREATE TABLE fhir_version (
    draft_id    BIGINT      NOT NULL REFERENCES draft(id),
    version     INT         NOT NULL,   -- the DiagnosticReport's meta.versionId
    draft_state VARCHAR(20) NOT NULL,   -- draft.state it was made from (a change is published again)
    status      VARCHAR(20) NOT NULL,   -- DiagnosticReport.status served (searched by status=)
    accession   VARCHAR(16),            -- the study's AccessionNumber (searched by identifier / based-on:identifier)
    resources   TEXT        NOT NULL,   -- FHIR Bundle (collection), JSON: the DiagnosticReport, its Observations,
                                        -- ImagingStudy, Device and Provenance, as validated
    recorded_at TIMESTAMP WITH TIME ZONE NOT NULL,  -- meta.lastUpdated
    PRIMARY KEY (draft_id, version)
);
CREATE INDEX fhir_version_accession ON fhir_version(accession);
