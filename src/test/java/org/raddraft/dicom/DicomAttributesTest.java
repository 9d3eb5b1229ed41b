package org.raddraft.dicom;

import org.raddraft.testing.Dcmtk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DicomAttributesTest {

    @TempDir
    Path dir;

    @Test
    void readsTheAttributesLaterStagesNeed() throws Exception {
        TestImages.Spec spec = TestImages.Spec.chest(12);
        DicomAttributes a = DicomAttributes.read(TestImages.write(dir.resolve("a.dcm"), spec));
        assertEquals(spec.studyUid(), a.studyInstanceUid());
        assertEquals(spec.seriesUid(), a.seriesInstanceUid());
        assertEquals(spec.sopUid(), a.sopInstanceUid());
        assertEquals(TestImages.CR, a.sopClassUid());
        assertEquals("CR", a.modality());
        assertEquals("CHEST", a.bodyPartExamined());
        assertEquals("PA", a.viewPosition());
        assertEquals("054Y", a.patientAge());
        assertEquals("MONOCHROME2", a.photometricInterpretation());
        assertEquals(120, a.rows());
        assertEquals(100, a.columns());
        assertNull(a.patientBirthDate());
        assertNull(a.seriesDescription());
    }

    @Test
    void truncatedFileIsAFormatErrorWhenReadCompletely() throws Exception {
        Path file = TestImages.write(dir.resolve("a.dcm"), TestImages.Spec.chest(12));
        byte[] bytes = Files.readAllBytes(file);
        Path truncated = Files.write(dir.resolve("truncated.dcm"), Arrays.copyOf(bytes, bytes.length - 5000));
        DicomFormatException e = assertThrows(DicomFormatException.class, () -> DicomAttributes.readComplete(truncated));
        assertEquals("Pixel Data (7FE0,0010) missing or truncated", e.getMessage());
    }

    @Test
    void nonDicomAndMissingUidsAreFormatErrors() throws Exception {
        Path text = Files.writeString(dir.resolve("x.dcm"), "hello, this is not DICOM at all".repeat(10));
        assertThrows(DicomFormatException.class, () -> DicomAttributes.read(text));
        Path noSeries = TestImages.write(dir.resolve("b.dcm"), TestImages.Spec.chest(12));
        Dcmtk.ok("dcmodify", "-nb", "-e", "(0020,000E)", noSeries);
        DicomFormatException e = assertThrows(DicomFormatException.class, () -> DicomAttributes.read(noSeries));
        assertEquals("Series Instance UID (0020,000E) missing", e.getMessage());
    }

    @Test
    void errorCommentFitsLongString() {
        String comment = DimseMessages.errorComment("x".repeat(100) + "\\\n");
        assertEquals(64, comment.length());
        assertTrue(comment.endsWith("..."));
        assertEquals("a b", DimseMessages.errorComment("a\\b"));
    }
}
