package org.raddraft.phantom;

/**
 * How a study is encoded as DICOM (varies by study so that readers meet every combination).
 *
 * @param modality           CR or DX
 * @param transferSyntaxUid  Explicit VR LE, Implicit VR LE, RLE Lossless or JPEG Lossless SV1
 * @param photometric        MONOCHROME1 or MONOCHROME2
 * @param bitsStored         12..16
 * @param rescaleIntercept   0 or an odd-but-legal offset
 * @param patientSex         M or F
 * @param patientAgeYears    18..95
 * @param studyDate          yyyyMMdd
 * @param studyTime          HHmmss
 */
public record DicomProfile(String modality, String transferSyntaxUid, String photometric, int bitsStored,
                           int rescaleIntercept, String patientSex, int patientAgeYears,
                           String studyDate, String studyTime) {
}
