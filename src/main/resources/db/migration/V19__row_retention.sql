-- Retention (issue 25), second part. The attributes a delivered report copies from its study's first
-- instance (patient, patient study and general study modules, Institution Name: a header-only Part 10
-- data set, base64), kept here by `raddraft admin purge` before it removes that instance's file, so
-- that a correction of a purged study is still delivered (FinalReports, DicomSrSender, the FHIR
-- subject's name). Patient data, like the rest of the instance row.
ALTER TABLE instance ADD COLUMN source_header TEXT;
