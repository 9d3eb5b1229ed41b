/**
 * Delivery: approved reports leave RadDraft through the durable {@code outbox} table, one row per
 * report per channel (FHIR server, HL7 v2 ORU^R01 over MLLP), sent by {@code routes/deliver.yaml}.
 *
 * <p>It must never mark a row SENT without the peer's positive answer (FHIR 2xx, HL7 ACK AA), never
 * drop a row (a permanent failure is DEAD with its reason, visible to admins and requeueable), and
 * never log report text, patient names or patient IDs (draft and outbox ids only).
 */
package org.raddraft.delivery;
