package org.raddraft.delivery;

import java.time.OffsetDateTime;
import org.raddraft.dicom.PatientModule;

/**
 * An approved report as every sender needs it: the radiologist's final text, who approved it and when,
 * the study it reports on and its patient (from the DICOM Patient Module of the study's first
 * instance). Patient data: never logged.
 *
 * @param outboxId         the outbox row being sent (stable across retries: HL7 MSH-10, FHIR idempotency)
 * @param revision         1 for the approval, 2.. for corrections
 * @param correction       a correction of an already delivered report (HL7 OBR-25 C)
 * @param accessionNumber  DICOM Accession Number (HL7 OBR-18, FHIR ServiceRequest identifier); may be null
 * @param studyDate        DICOM Study Date YYYYMMDD; may be null
 * @param singleView       only one view was drafted (LOINC 36554-4 instead of 36643-5)
 * @param reviewer         the approving radiologist's account name (HL7 OBR-32.1, FHIR resultsInterpreter)
 * @param reviewerName     their name as reports print it, Family^Given^Middle^Prefix^Suffix (DICOM SR
 *                         Person Observer Name, HL7 OBR-32.2-6); null when the account has none
 * @param notForClinicalUse the model that drafted it is not for clinical use (as recorded when it was loaded)
 */
public record FinalReport(long outboxId, long draftId, int revision, boolean correction, long studyId,
                          String studyInstanceUid, String accessionNumber, String studyDate, boolean singleView,
                          PatientModule patient, String findings, String impression, String reviewer,
                          String reviewerName, OffsetDateTime reviewedAt, String modelName, String modelVersion,
                          boolean notForClinicalUse) {
}
