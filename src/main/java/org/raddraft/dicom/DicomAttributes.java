package org.raddraft.dicom;

import java.nio.file.Path;

/** The attributes RadDraft indexes; null for absent values. PLACEHOLDER until the dicom branch lands. */
public record DicomAttributes(String studyInstanceUid, String seriesInstanceUid, String sopInstanceUid,
        String sopClassUid, String modality, String bodyPartExamined, String viewPosition, String studyDescription,
        String seriesDescription, String patientAge, String patientBirthDate, String studyDate,
        String accessionNumber, String photometricInterpretation, int rows, int columns) {

    public static DicomAttributes read(Path part10File) throws DicomFormatException {
        throw new UnsupportedOperationException("dicom branch");
    }
}
