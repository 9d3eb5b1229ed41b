package org.raddraft.phantom;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.raddraft.dicom.DicomImageWriter;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Phantom studies as DICOM: realistic headers, every transfer syntax decodes back, DCMTK is happy. */
class PhantomDicomTest {

    @ParameterizedTest
    @ValueSource(strings = {"1.2.840.10008.1.2.1", "1.2.840.10008.1.2", "1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.70"})
    void phantomStudyRoundTripsInEveryTransferSyntax(String ts, @TempDir Path tmp) throws Exception {
        for (String pi : List.of("MONOCHROME1", "MONOCHROME2")) {
            StudySpec s = StudySampler.sample(4, 2);
            DicomProfile p = s.dicom();
            DicomProfile forced = new DicomProfile(p.modality(), ts, pi, pi.equals("MONOCHROME1") ? 12 : 16,
                    p.rescaleIntercept(), p.patientSex(), p.patientAgeYears(), p.studyDate(), p.studyTime());
            StudySpec spec = new StudySpec(s.seed(), s.index(), s.studyId(), s.frontalView(), s.anatomy(), s.frontal(),
                    s.lateral(), s.findings(), s.difficulty(), forced, s.reportSeed());
            PhantomStudy st = PhantomStudy.render(spec, 160);
            List<Path> files = DicomStudyWriter.write(st, tmp.resolve(pi));
            assertEquals(2, files.size());
            assertEquals("1-" + s.frontalView() + ".dcm", files.get(0).getFileName().toString());
            assertEquals("2-LL.dcm", files.get(1).getFileName().toString());
            for (int v = 0; v < 2; v++) {
                Path f = files.get(v);
                short[] expected = DicomStudyWriter.image(v == 0 ? st.frontal() : st.lateral(), 160, forced).pixels();
                assertArrayEquals(expected, DicomImageWriter.decodeStoredPixels(f), f.toString());
                assertEquals(ts, DicomImageWriter.attribute(f, "TransferSyntaxUID"));
                assertEquals(pi, DicomImageWriter.attribute(f, "PhotometricInterpretation"));
                org.raddraft.testing.Dcmtk.assertCleanPart10(f);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7})
    void headersAreRealisticAndDeterministic(int index, @TempDir Path tmp) throws Exception {
        PhantomStudy st = PhantomStudy.generate(77, index, 64);
        List<Path> files = DicomStudyWriter.write(st, tmp);
        Path pa = files.get(0), ll = files.get(1);
        assertEquals("XR CHEST 2 VIEWS", DicomImageWriter.attribute(pa, "StudyDescription"));
        assertEquals("CHEST", DicomImageWriter.attribute(pa, "BodyPartExamined"));
        assertEquals(st.spec().frontalView(), DicomImageWriter.attribute(pa, "ViewPosition"));
        assertEquals("LL", DicomImageWriter.attribute(ll, "ViewPosition"));
        assertEquals(String.format("PHANTOM^%04d", index), DicomImageWriter.attribute(pa, "PatientName"));
        String age = DicomImageWriter.attribute(pa, "PatientAge");
        assertTrue(age.matches("\\d{3}Y") && Integer.parseInt(age.substring(0, 3)) >= 18, age);
        String study = DicomImageWriter.attribute(pa, "StudyInstanceUID");
        assertTrue(study.startsWith("2.25.") && study.length() <= 64, study);
        assertEquals(study, DicomImageWriter.attribute(ll, "StudyInstanceUID"));
        assertNotEquals(DicomImageWriter.attribute(pa, "SeriesInstanceUID"), DicomImageWriter.attribute(ll, "SeriesInstanceUID"));
        assertNotEquals(DicomImageWriter.attribute(pa, "SOPInstanceUID"), DicomImageWriter.attribute(ll, "SOPInstanceUID"));
        assertEquals(DicomStudyWriter.uid(st.spec(), "study"), study);
        int bits = Integer.parseInt(DicomImageWriter.attribute(pa, "BitsStored"));
        assertTrue(bits >= 12 && bits <= 16);
        assertTrue(List.of("CR", "DX").contains(DicomImageWriter.attribute(pa, "Modality")));
        assertTrue(!DicomImageWriter.attribute(pa, "WindowCenter").isEmpty());
        assertTrue(!DicomImageWriter.attribute(pa, "PixelSpacing").isEmpty());
        org.raddraft.testing.Dcmtk.assertCleanPart10(pa);
        org.raddraft.testing.Dcmtk.assertCleanPart10(ll);
    }
}
