package org.raddraft.dicom;

/** One DICOM instance, as the Hierarchical SOP Instance Reference macro names it (study, series, SOP). */
public record SopReference(String studyInstanceUid, String seriesInstanceUid, String sopClassUid,
                           String sopInstanceUid) {

    public SopReference {
        for (String uid : new String[] {studyInstanceUid, seriesInstanceUid, sopClassUid, sopInstanceUid}) {
            DicomUids.check(uid);
        }
    }
}
