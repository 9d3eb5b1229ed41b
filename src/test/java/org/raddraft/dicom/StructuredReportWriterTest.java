package org.raddraft.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.Dcmtk;

/**
 * The SR of an approved report, checked by DCMTK's {@code dsrdump} (which enforces the Basic Text SR
 * relationship constraints) and dicom3tools' {@code dciodvfy} (the IOD's modules and attribute types).
 */
class StructuredReportWriterTest {

    static final Path STUDY = Path.of("testdata/demo/dicom/ph-23-000034");
    static final Path PA = STUDY.resolve("1-PA.dcm");
    static final Path LATERAL = STUDY.resolve("2-LL.dcm");
    static final OffsetDateTime APPROVED = OffsetDateTime.of(2026, 12, 2, 15, 30, 5, 0, ZoneOffset.ofHours(1));

    @TempDir
    Path tmp;

    static SopReference reference(Path file) throws Exception {
        DicomAttributes a = DicomAttributes.read(file);
        return new SopReference(a.studyInstanceUid(), a.seriesInstanceUid(), a.sopClassUid(), a.sopInstanceUid());
    }

    static ReportSr report(String findings, String radiologist, List<SopReference> predecessors) throws Exception {
        return new ReportSr(findings, "No acute cardiopulmonary abnormality.", radiologist, APPROVED,
                "St Elsewhere Radiology", "raddraft-reference-cxr", "2.2.0", true, PA,
                List.of(reference(PA), reference(LATERAL)), predecessors);
    }

    private Path write(ReportSr report, String name) throws Exception {
        Path out = tmp.resolve(name);
        StructuredReportWriter.write(report, ReportSr.Identity.create("1.2.826.0.1.3680043.10.999", APPROVED), out);
        return out;
    }

    /** dsrdump of the whole tree with long values and template ids; fails on any warning or error. */
    static String dsrdump(Path sr) throws Exception {
        Dcmtk.Result r = Dcmtk.ok("dsrdump", "+Pl", "+Pt", sr);
        assertFalse(r.output().contains("E: ") || r.output().contains("W: "), r.output());
        return r.output();
    }

    /** dciodvfy's findings, failing on any "Error" line (warnings about optional attributes are kept in the message). */
    static void assertValidIod(Path sr) throws Exception {
        Dcmtk.Result r = Dcmtk.run("dciodvfy", "-new", sr);
        List<String> errors = r.output().lines().filter(l -> l.startsWith("Error")).toList();
        assertTrue(errors.isEmpty(), "dciodvfy: " + r.output());
        assertTrue(r.output().contains("BasicTextSR"), "dciodvfy recognises a Basic Text SR: " + r.output());
    }

    /** Every occurrence of a tag, sequences included, each line prefixed with its path, UIDs as numbers. */
    static String nested(Path file, String tag) throws Exception {
        return Dcmtk.ok("dcmdump", "-q", "-Un", "+p", "+P", tag, file).output();
    }

    @Test
    void approvedReportIsABasicDiagnosticImagingReportOfTheSourceStudy() throws Exception {
        Path sr = write(report("The lungs are clear. No pleural effusion.", "Smith^Jane", List.of()), "sr.dcm");
        String dump = dsrdump(sr);
        assertTrue(dump.startsWith("Basic Text SR Document"), dump);
        for (String line : List.of(
                "Completion Flag     : COMPLETE",
                "Verification Flag   : VERIFIED",
                "Verifying Observers : 2026-12-02 15:30:05 +01:00, Smith^Jane, St Elsewhere Radiology",
                "<CONTAINER:(,,\"Diagnostic Imaging Report\")=SEPARATE>  # TID 2000 (DCMR)",
                "<has concept mod CODE:(,,\"Language of Content Item and Descendants\")=(en,RFC5646,\"English\")>",
                "<has obs context CODE:(,,\"Observer Type\")=(121006,DCM,\"Person\")>",
                "<has obs context PNAME:(,,\"Person Observer Name\")=\"Smith^Jane\">",
                "<has obs context CODE:(,,\"Observer Type\")=(121007,DCM,\"Device\")>",
                "<has obs context TEXT:(,,\"Device Observer Name\")=\"raddraft-reference-cxr 2.2.0 (NOT FOR CLINICAL USE)\">",
                "<has obs context TEXT:(,,\"Device Observer Model Name\")=\"raddraft-reference-cxr\">",
                "<contains CONTAINER:(,,\"Findings\")=SEPARATE>",
                "<contains TEXT:(,,\"Finding\")=\"The lungs are clear. No pleural effusion.\">",
                "<contains CONTAINER:(,,\"Impressions\")=SEPARATE>",
                "<contains TEXT:(,,\"Impression\")=\"No acute cardiopulmonary abnormality.\">")) {
            assertTrue(dump.contains(line), "dsrdump lacks " + line + ":\n" + dump);
        }
        assertValidIod(sr);

        // the codes themselves (dsrdump prints only the meaning of concept names)
        String codes = Dcmtk.ok("dsrdump", "+Pc", sr).output();
        for (String code : List.of("18748-4,LN", "121049,DCM", "121005,DCM", "121008,DCM", "121012,DCM", "121013,DCM",
                "121070,DCM", "121071,DCM", "121072,DCM", "121073,DCM")) {
            assertTrue(codes.contains("(" + code + ","), "code " + code + " missing:\n" + codes);
        }

        // same patient and study as the source, in a new SR series
        for (String tag : List.of("0010,0010", "0010,0020", "0010,0030", "0010,0040", "0020,000d", "0008,0050",
                "0008,0020", "0020,0010")) {
            assertEquals(Dcmtk.tag(PA, tag), Dcmtk.tag(sr, tag), "copied from the source: " + tag);
        }
        assertEquals("SR", Dcmtk.tag(sr, "0008,0060"));
        assertNotEquals(Dcmtk.tag(PA, "0020,000e"), Dcmtk.tag(sr, "0020,000e"), "a new series");
        assertTrue(Dcmtk.tag(sr, "0008,0018").startsWith("1.2.826.0.1.3680043.10.999."), "UID under the configured root");
        assertTrue(nested(sr, "0040,a030").contains("(0040,a073).(0040,a030) DT [20261202153005+0100]"),
                "Verification DateTime");

        // the evidence: both source images, by series
        String evidence = nested(sr, "0008,1155");
        for (Path image : List.of(PA, LATERAL)) {
            assertTrue(evidence.contains("(0040,a375).(0008,1115).(0008,1199).(0008,1155) UI ["
                    + reference(image).sopInstanceUid() + "]"), evidence);
        }
        assertFalse(evidence.contains("(0040,a360)"), "no predecessor for a first report");
        assertFalse(Dcmtk.run("dcmdump", "+P", "0008,0005", sr).output().contains("SpecificCharacterSet"),
                "ASCII-only content declares no character set");
    }

    @Test
    void correctionReferencesTheSrItReplaces() throws Exception {
        Path first = write(report("The lungs are clear.", "Smith^Jane", List.of()), "first.dcm");
        SopReference replaced = new SopReference(Dcmtk.tag(first, "0020,000d"), Dcmtk.tag(first, "0020,000e"),
                StructuredReportWriter.BASIC_TEXT_SR, Dcmtk.tag(first, "0008,0018"));
        Path second = write(report("Small left pleural effusion.", "Smith^Jane", List.of(replaced)), "second.dcm");
        assertTrue(dsrdump(second).contains("\"Small left pleural effusion.\""));
        assertValidIod(second);
        assertTrue(nested(second, "0008,1155").contains("(0040,a360).(0008,1115).(0008,1199).(0008,1155) UI ["
                + replaced.sopInstanceUid() + "]"), "Predecessor Documents: the SOP instance replaced");
        assertTrue(nested(second, "0008,1150").contains("(0040,a360).(0008,1115).(0008,1199).(0008,1150) UI ["
                + StructuredReportWriter.BASIC_TEXT_SR + "]"));
        assertTrue(nested(second, "0020,000e").contains("(0040,a360).(0008,1115).(0020,000e) UI ["
                + replaced.seriesInstanceUid() + "]"));
        assertTrue(nested(second, "0020,000d").contains("(0040,a360).(0020,000d) UI [" + replaced.studyInstanceUid() + "]"));
        assertNotEquals(replaced.sopInstanceUid(), Dcmtk.tag(second, "0008,0018"), "a new instance");
        assertEquals("RadDraft corrected report", Dcmtk.tag(second, "0008,103e"));
    }

    @Test
    void textBeyondAsciiIsWrittenInUtf8() throws Exception {
        Path sr = write(report("Kerley-B-Linien beidseits, Herzgröße normal.", "Müller^Jürgen", List.of()), "utf8.dcm");
        assertEquals("ISO_IR 192", Dcmtk.tag(sr, "0008,0005"));
        // dsrdump's VR checker does not cover UTF-8 and says so: read with it off, converting to UTF-8
        String dump = Dcmtk.ok("dsrdump", "+Pl", "+U8", "-Dv", sr).output();
        assertTrue(dump.contains("\"Kerley-B-Linien beidseits, Herzgröße normal.\""), dump);
        assertTrue(dump.contains("=\"Müller^Jürgen\""), dump);
        assertValidIod(sr);
    }

    /**
     * Issue 21 #6: a source whose dates and times are not DICOM's (ISO, ACR-NEMA) gives an SR that
     * writes them as DICOM does, and one that is no date at all is left empty (Type 2), never copied on.
     */
    @Test
    void nonConformantDatesOfTheSourceAreRewrittenOrLeftEmpty() throws Exception {
        Path source = tmp.resolve("odd-dates.dcm");
        java.nio.file.Files.copy(PA, source);
        Dcmtk.ok("dcmodify", "-nb", "-m", "(0010,0030)=1980-02-03", "-m", "(0008,0030)=10:30:00",
                "-m", "(0008,0020)=2024-02-30", source);
        ReportSr odd = new ReportSr("The lungs are clear.", "No acute cardiopulmonary abnormality.", "Smith^Jane",
                APPROVED, "St Elsewhere Radiology", "raddraft-reference-cxr", "2.2.0", true, source,
                List.of(reference(PA), reference(LATERAL)), List.of());
        Path sr = write(odd, "odd-dates-sr.dcm");
        assertEquals("19800203", Dcmtk.tag(sr, "0010,0030"), "Patient's Birth Date");
        assertEquals("103000", Dcmtk.tag(sr, "0008,0030"), "Study Time");
        String studyDate = Dcmtk.ok("dcmdump", "-q", "+P", "0008,0020", sr).output();
        assertTrue(studyDate.contains("(no value available)"), "Study Date: no 30 February, empty as Type 2 allows: "
                + studyDate);
        assertValidIod(sr);
    }

    @Test
    void reportWithoutTextOrRadiologistIsRefused() throws Exception {
        List<SopReference> evidence = new ArrayList<>(List.of(reference(PA)));
        assertThrows(IllegalArgumentException.class, () -> new ReportSr(" ", "x", "Smith^Jane", APPROVED, "Org",
                "m", "1", false, PA, evidence, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new ReportSr("x", "x", "", APPROVED, "Org",
                "m", "1", false, PA, evidence, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new ReportSr("x", "x", "Smith^Jane", APPROVED, "Org",
                "m", "1", false, PA, List.of(), List.of()));
    }
}
