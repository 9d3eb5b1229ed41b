-- bench/ui.sh worklist: 999 more studies like the first one (same images, new UIDs and accession
-- numbers), each with a preliminary draft like its draft and that draft's published FHIR version,
-- cloned here too. Ages are spread over 997 seconds and priorities mixed, so the worklist's sort has
-- work to do.
--
-- Why the published versions are cloned in SQL rather than published by the FHIR stage: publishing
-- maps and validates each draft (HAPI's instance validator, about 50 ms per resource, 10 resources a
-- draft: ~0.5 s a draft on this machine), so 999 clones took more than 15 minutes before the first
-- measurement. The benchmark measures serving the worklist, not publishing: a clone's stored Bundle
-- is the original's validated JSON with what makes it another report rewritten (resource ids and
-- references, Study/Series/SOP Instance UIDs, accession number, issued time, worklist priority);
-- patient, findings, flags and codes are the original's. One transaction: the FHIR stage's publish
-- scan (every second) sees the drafts only with their versions, and so publishes none of them again.
SET AUTOCOMMIT FALSE;

INSERT INTO study (study_instance_uid, state, reason, reopened, first_instance_at, last_instance_at, state_changed_at,
                   draft_attempts, stable_at)
SELECT '2.25.4242' || x, state, reason, reopened, first_instance_at, last_instance_at, state_changed_at,
       draft_attempts, stable_at
FROM study, SYSTEM_RANGE(1, 999) WHERE id = (SELECT MIN(id) FROM study);

INSERT INTO instance (study_id, sop_instance_uid, series_instance_uid, sop_class_uid, transfer_syntax_uid, modality,
                      body_part_examined, view_position, study_description, series_description, patient_age,
                      patient_birth_date, study_date, accession_number, photometric, rows_count, columns_count, path,
                      size_bytes, calling_ae, received_at, patient_id, issuer_of_patient_id, patient_name, patient_sex)
SELECT s.id, i.sop_instance_uid || '.' || s.id, i.series_instance_uid || '.' || s.id, i.sop_class_uid,
       i.transfer_syntax_uid, i.modality, i.body_part_examined, i.view_position, i.study_description,
       i.series_description, i.patient_age, i.patient_birth_date, i.study_date, 'BENCH' || s.id, i.photometric,
       i.rows_count, i.columns_count, i.path, i.size_bytes, i.calling_ae, i.received_at, i.patient_id,
       i.issuer_of_patient_id, i.patient_name, i.patient_sex
FROM instance i, study s
WHERE i.study_id = (SELECT MIN(id) FROM study) AND s.study_instance_uid LIKE '2.25.4242%';

INSERT INTO draft (study_id, state, findings, impression, token_ids, token_logprobs, missing_view, model_name,
                   model_version, preprocess_ms, generate_ms, stable_at, drafted_at, flags, risk_score, priority,
                   classifier, unavailable, version)
SELECT s.id, d.state, d.findings, d.impression, d.token_ids, d.token_logprobs, d.missing_view, d.model_name,
       d.model_version, d.preprocess_ms, d.generate_ms, d.stable_at, DATEADD('SECOND', -MOD(s.id, 997), d.drafted_at),
       d.flags, d.risk_score, MOD(s.id, 3), d.classifier, d.unavailable, d.version
FROM draft d, study s
WHERE d.id = (SELECT MIN(id) FROM draft) AND s.study_instance_uid LIKE '2.25.4242%';

-- The original's latest version, rewritten for each clone n (draft d, study s):
--   "id":"<d0>" / "id":"<d0>-part"               -> d.id        (DiagnosticReport, ImagingStudy, Provenance, Observations)
--   DiagnosticReport|Observation|ImagingStudy|Provenance/<d0>  -> /d.id  (references, also versioned ones)
--   urn:oid:<study uid>                          -> the clone's Study Instance UID
--   "uid":"<uid>"                                -> "<uid>.<s.id>"  (series and SOP instances, as in the instance rows)
--   "value":"<accession>"                        -> BENCH<s.id>
--   "issued":"..."                               -> the clone's drafted_at;  worklist-priority -> its priority
INSERT INTO fhir_version (draft_id, version, draft_state, status, accession, resources, recorded_at)
SELECT d.id, o.version, o.draft_state, o.status, 'BENCH' || s.id,
       REGEXP_REPLACE(REGEXP_REPLACE(REGEXP_REPLACE(REGEXP_REPLACE(REGEXP_REPLACE(
         REPLACE(REPLACE(o.resources,
           '"value":"' || COALESCE(o.accession, CHAR(0)) || '"', '"value":"BENCH' || s.id || '"'),
           'urn:oid:' || o.study_uid || '"', 'urn:oid:' || s.study_instance_uid || '"'),
         '"id":"' || o.draft_id || '(?=["-])', '"id":"' || d.id),
         '(DiagnosticReport|Observation|ImagingStudy|Provenance)/' || o.draft_id || '(?=["/-])', '$1/' || d.id),
         '"uid":"([0-9.]+)"', '"uid":"$1.' || s.id || '"'),
         '"issued":"[^"]*"', '"issued":"' || FORMATDATETIME(d.drafted_at, 'yyyy-MM-dd''T''HH:mm:ss.SSSXXX') || '"'),
         '(worklist-priority","valueInteger":)[0-9]+', '$1' || d.priority),
       o.recorded_at
FROM draft d JOIN study s ON s.id = d.study_id,
     (SELECT v.draft_id, v.version, v.draft_state, v.status, v.accession, v.resources, v.recorded_at,
             s0.study_instance_uid AS study_uid
      FROM fhir_version v JOIN draft d0 ON d0.id = v.draft_id JOIN study s0 ON s0.id = d0.study_id
      WHERE v.draft_id = (SELECT MIN(id) FROM draft) ORDER BY v.version DESC LIMIT 1) o
WHERE s.study_instance_uid LIKE '2.25.4242%';

COMMIT;
