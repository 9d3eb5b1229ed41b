/**
 * Delivery: approved reports leave RadDraft through the durable {@code outbox} table, one row per
 * report per channel (FHIR server, HL7 v2 ORU^R01 over MLLP, DICOM SR to the PACS), sent by
 * {@code routes/deliver.yaml}.
 *
 * <p>A new channel is: a name in {@link org.raddraft.delivery.DeliveryChannels} with its destination in
 * {@code Daemon.deliveryDestinations} (empty = off), an {@link org.raddraft.delivery.OutboxSender} bound
 * under its bean name (or {@link org.raddraft.delivery.ChannelOff}), and one {@code when} in
 * routes/deliver.yaml. Retries, DEAD, requeue, metrics and readiness come with the outbox.
 *
 * <p>It must never mark a row SENT without the peer's positive answer (FHIR 2xx, HL7 ACK AA, DICOM
 * C-STORE success or warning), never drop a row (a permanent failure is DEAD with its reason, visible
 * to admins and requeueable), and
 * never log report text, patient names or patient IDs (draft and outbox ids only).
 */
package org.raddraft.delivery;
