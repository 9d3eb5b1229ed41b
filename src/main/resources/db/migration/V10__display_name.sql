-- The radiologist's name as a report prints it, in DICOM PN / HL7 XCN order: Family^Given^Middle^Prefix^Suffix
-- (e.g. Smith^Jane^^Dr). The DICOM SR's Person Observer Name and HL7 OBR-32 use it; null = the account name.
ALTER TABLE app_user ADD COLUMN display_name VARCHAR(200);
