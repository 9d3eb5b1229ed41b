-- Spool files that start-up recovery could not read (nested too deeply for the parser, not DICOM,
-- ...): moved aside to spool/quarantine instead of stopping the daemon, and listed here for the admin
-- (`raddraft admin studies`). Paths are relative to the spool directory; the reason is RadDraft's
-- own wording, never a parser's message.
CREATE TABLE quarantined_file (
    id              BIGINT AUTO_INCREMENT PRIMARY KEY,
    original_path   VARCHAR(1024) NOT NULL,
    quarantine_path VARCHAR(1024) NOT NULL,
    reason          VARCHAR(500)  NOT NULL,
    quarantined_at  TIMESTAMP WITH TIME ZONE NOT NULL
);
