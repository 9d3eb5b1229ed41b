-- bench/ui.sh worklist: 999 more studies like the first one (same images, new UIDs), each with a
-- preliminary draft like its draft; ages spread over 999 seconds and priorities mixed, so the
-- worklist's sort has work to do. The FHIR stage publishes (maps and validates) each new draft.
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
       i.series_description, i.patient_age, i.patient_birth_date, i.study_date, i.accession_number, i.photometric,
       i.rows_count, i.columns_count, i.path, i.size_bytes, i.calling_ae, i.received_at, i.patient_id,
       i.issuer_of_patient_id, i.patient_name, i.patient_sex
FROM instance i, study s
WHERE i.study_id = (SELECT MIN(id) FROM study) AND s.study_instance_uid LIKE '2.25.4242%';

INSERT INTO draft (study_id, state, findings, impression, token_ids, token_logprobs, missing_view, model_name,
                   model_version, preprocess_ms, generate_ms, stable_at, drafted_at, flags, risk_score, priority,
                   classifier, unavailable)
SELECT s.id, d.state, d.findings, d.impression, d.token_ids, d.token_logprobs, d.missing_view, d.model_name,
       d.model_version, d.preprocess_ms, d.generate_ms, d.stable_at, DATEADD('SECOND', -MOD(s.id, 997), d.drafted_at),
       d.flags, d.risk_score, MOD(s.id, 3), d.classifier, d.unavailable
FROM draft d, study s
WHERE d.id = (SELECT MIN(id) FROM draft) AND s.study_instance_uid LIKE '2.25.4242%';
