package org.raddraft.dicom;

import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * What RadDraft's DICOM SR of an approved report says ({@link StructuredReportWriter}).
 *
 * @param radiologistName   the approving radiologist as a DICOM person name (e.g. {@code Smith^Jane},
 *                          or the display name as one component)
 * @param verifiedAt        when the radiologist approved the report (Verification DateTime)
 * @param verifyingOrganization the organisation the radiologist reports for (Verifying Organization);
 *                          blank: the source's Institution Name, or UNKNOWN without one
 * @param deviceName        the drafting model's name, {@code deviceVersion} its version
 * @param notForClinicalUse the model's manifest says it is not for clinical use (said in the device observer)
 * @param sourceFile        one instance of the reported study, whose Patient and General Study modules the SR copies
 * @param evidence          the instances the report was drafted from (Current Requested Procedure Evidence)
 * @param predecessors      SRs this one replaces (a correction), or empty
 */
public record ReportSr(String findings, String impression, String radiologistName, OffsetDateTime verifiedAt,
                       String verifyingOrganization,
                       String deviceName, String deviceVersion, boolean notForClinicalUse, Path sourceFile,
                       List<SopReference> evidence, List<SopReference> predecessors) {

    public ReportSr {
        if (findings == null || findings.isBlank() || impression == null || impression.isBlank()) {
            throw new IllegalArgumentException("an SR needs both findings and impression text");
        }
        if (radiologistName == null || radiologistName.isBlank()) {
            throw new IllegalArgumentException("an SR needs the verifying radiologist's name");
        }
        evidence = List.copyOf(evidence);
        predecessors = List.copyOf(predecessors);
        if (evidence.isEmpty()) {
            throw new IllegalArgumentException("an SR needs the instances it reports on as evidence");
        }
    }

    /** The identity RadDraft gives an SR before it writes it, kept so a retry sends the same instance. */
    public record Identity(String seriesInstanceUid, String sopInstanceUid, OffsetDateTime createdAt) {

        public Identity {
            DicomUids.check(seriesInstanceUid);
            DicomUids.check(sopInstanceUid);
        }

        /** New UIDs under {@code uidRoot} (empty: 2.25 UUIDs), created now. */
        public static Identity create(String uidRoot, OffsetDateTime now) {
            return new Identity(DicomUids.create(uidRoot), DicomUids.create(uidRoot), now);
        }
    }
}
