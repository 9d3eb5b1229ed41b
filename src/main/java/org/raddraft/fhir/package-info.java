/**
 * FHIR R4: maps stored drafts to DiagnosticReport, Observation, ImagingStudy, Device and Provenance
 * resources, validates every resource with HAPI's instance validator against the RadDraft profile
 * before it is stored or served, and serves them to the RIS from the HAPI plain server at /fhir.
 * Never serves an unvalidated resource; never logs patient data (draft and study ids only).
 */
package org.raddraft.fhir;
