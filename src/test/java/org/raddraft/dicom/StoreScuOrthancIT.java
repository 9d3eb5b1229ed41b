package org.raddraft.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.Orthanc;

/**
 * RadDraft's SR stored by C-STORE into a real PACS (Orthanc) that holds the study's images: it joins
 * that study, and the file Orthanc keeps is the report (read back with dsrdump).
 */
class StoreScuOrthancIT {

    @TempDir
    static Path tmp;
    static Orthanc pacs;

    @BeforeAll
    static void start() throws Exception {
        pacs = Orthanc.start(tmp.resolve("orthanc"), DaemonProcess.freePort());
    }

    @AfterAll
    static void stop() throws Exception {
        if (pacs != null) {
            pacs.close();
        }
    }

    private static StoreScu.Peer orthanc(String calledAe) {
        return new StoreScu.Peer("127.0.0.1", pacs.dicomPort(), calledAe, "RADDRAFT", 5_000, 30_000, null);
    }

    @Test
    void srJoinsTheStudyThePacsHoldsAndReadsBackAsApproved() throws Exception {
        String imagesStudy = pacs.upload(StructuredReportWriterTest.PA);
        assertEquals(imagesStudy, pacs.upload(StructuredReportWriterTest.LATERAL));
        Path sr = tmp.resolve("sr.dcm");
        SopReference written = StructuredReportWriter.write(StructuredReportWriterTest.report(
                "Heart size normal. Lungs clear.", "Smith^Jane", List.of()),
                ReportSr.Identity.create("", StructuredReportWriterTest.APPROVED), sr);

        StoreScu.Stored stored = StoreScu.store(orthanc(Orthanc.AE_TITLE), sr);
        assertEquals(0, stored.status(), "Orthanc answers success");

        JsonNode instance = srIn(written);
        assertEquals(imagesStudy, pacs.getJson("/series/" + instance.get("ParentSeries").asText())
                .get("ParentStudy").asText(), "the SR is in the study of the images");
        String dump = StructuredReportWriterTest.dsrdump(pacs.file(instance.get("ID").asText(), tmp.resolve("back.dcm")));
        for (String expected : List.of("\"Heart size normal. Lungs clear.\"", "\"No acute cardiopulmonary abnormality.\"",
                "Verifying Observers : 2026-12-02 15:30:05 +01:00, Smith^Jane",
                "<has obs context PNAME:(,,\"Person Observer Name\")=\"Smith^Jane\">",
                "\"Device Observer Name\")=\"raddraft-reference-cxr 2.2.0 (NOT FOR CLINICAL USE)\"")) {
            assertTrue(dump.contains(expected), "Orthanc's file lacks " + expected + ":\n" + dump);
        }

        // the same instance again (a retry after a lost response): still one SR in the PACS
        StoreScu.store(orthanc(Orthanc.AE_TITLE), sr);
        long srs = pacs.instancesOfStudy(written.studyInstanceUid()).stream()
                .filter(i -> i.get("MainDicomTags").get("SOPInstanceUID").asText().equals(written.sopInstanceUid())).count();
        assertEquals(1, srs);
        assertEquals(3, pacs.instancesOfStudy(written.studyInstanceUid()).size(), "two images and one SR");
    }

    @Test
    void wrongCalledAeIsRejectedPermanentlyWithTheReason() throws Exception {
        Path sr = tmp.resolve("rejected.dcm");
        StructuredReportWriter.write(StructuredReportWriterTest.report("x", "Smith^Jane", List.of()),
                ReportSr.Identity.create("", StructuredReportWriterTest.APPROVED), sr);
        StoreFailure f = assertThrows(StoreFailure.class, () -> StoreScu.store(orthanc("NOT-ORTHANC"), sr));
        assertTrue(f.permanent(), f.getMessage());
        assertTrue(f.getMessage().startsWith("NOT-ORTHANC@127.0.0.1:" + pacs.dicomPort()
                + " rejected the association: called AE title not recognized (result 1 rejected-permanent"), f.getMessage());
    }

    private static JsonNode srIn(SopReference sr) throws Exception {
        for (JsonNode i : pacs.instancesOfStudy(sr.studyInstanceUid())) {
            if (i.get("MainDicomTags").get("SOPInstanceUID").asText().equals(sr.sopInstanceUid())) {
                return i;
            }
        }
        throw new AssertionError("Orthanc does not hold SR " + sr.sopInstanceUid());
    }
}
