package org.raddraft.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.Dcmtk;

/** The review page's header as read from a Part 10 file: patient, study and every place the indication may be. */
class StudyHeaderTest {

    static final Path PA = Path.of("testdata/demo/dicom/ph-23-000034/1-PA.dcm");

    @TempDir
    Path tmp;

    @Test
    void readsThePatientTheStudyAndTheIndicationFromEachOfItsAttributes() throws Exception {
        Path f = tmp.resolve("h.dcm");
        Files.copy(PA, f);
        Dcmtk.ok("dcmodify", "-nb", "-i", "(0010,0010)=DOE^Jane^Q", "-i", "(0010,0020)=MRN-77", "-i", "(0010,0040)=F",
                "-i", "(0010,0030)=1980-02-03", "-i", "(0008,0020)=20261201", "-i", "(0008,1030)=XR CHEST PA AND LAT",
                "-i", "(0040,0275)[0].(0040,1002)=Fever and cough, r/o pneumonia", "-i", "(0032,1030)=Dyspnoea",
                "-i", "(0008,1080)=COPD\\\\Dyspnoea", f);
        StudyHeader h = StudyHeader.read(f);
        assertEquals("DOE^Jane^Q", h.patient().name());
        assertEquals("MRN-77", h.patient().id());
        assertEquals("F", h.patient().sex());
        assertEquals("19800203", h.birthDate(), "the ISO form a modality wrote, as a DICOM date");
        assertEquals("20261201", h.studyDate());
        assertEquals("XR CHEST PA AND LAT", h.studyDescription());
        assertEquals(List.of("Fever and cough, r/o pneumonia", "Dyspnoea", "COPD"), h.indications(),
                "(0040,1002) from the request, then (0032,1030), then (0008,1080), each once");
        assertEquals("Fever and cough, r/o pneumonia; Dyspnoea; COPD", DraftingContext.read(f).indication(),
                "a drafting model is given the indication the radiologist sees in the header, no more, no less");
    }

    @Test
    void aStudyWithoutIndicationHasNone() throws Exception {
        StudyHeader h = StudyHeader.read(PA);
        assertEquals(List.of(), h.indications());
        assertEquals("PH-23-000034", h.patient().id());
        Path f = tmp.resolve("bad-date.dcm");
        Files.copy(PA, f);
        Dcmtk.ok("dcmodify", "-nb", "-m", "(0010,0030)=1980-02-30", f);
        assertNull(StudyHeader.read(f).birthDate(), "no 30 February");
    }
}
