package org.raddraft.dicom;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.validate.DicomSRValidator;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SR's content tree checked against the template itself (TID 2000 and the templates it includes)
 * by PixelMed's SR validator, which dsrdump and dciodvfy do not do. An IT because compiling the
 * validator's stylesheets takes half a minute.
 */
class StructuredReportTemplateIT {

    @TempDir
    Path tmp;

    @Test
    void approvedReportAndCorrectionConformToTid2000() throws Exception {
        // the validator's XPath expressions exceed the JDK's default secure-processing limits
        for (String limit : List.of("jdk.xml.xpathExprOpLimit", "jdk.xml.xpathExprGrpLimit", "jdk.xml.xpathTotalOpLimit")) {
            System.setProperty(limit, "0");
        }
        Path first = tmp.resolve("first.dcm");
        SopReference replaced = StructuredReportWriter.write(StructuredReportWriterTest.report("Clear lungs.",
                "Smith^Jane", List.of()), ReportSr.Identity.create("", StructuredReportWriterTest.APPROVED), first);
        Path second = tmp.resolve("second.dcm");
        StructuredReportWriter.write(StructuredReportWriterTest.report("Small left effusion.", "Smith^Jane",
                List.of(replaced)), ReportSr.Identity.create("", StructuredReportWriterTest.APPROVED), second);
        DicomSRValidator validator = new DicomSRValidator();
        for (Path sr : List.of(first, second)) {
            AttributeList list = new AttributeList();
            list.read(sr.toFile());
            String result = validator.validate(list);
            assertTrue(result.contains("Found Root Template TID_2000 (BasicDiagnosticImagingReport)"), result);
            assertTrue(result.contains("Root Template Validation Complete"), result);
            assertFalse(result.contains("Error") || result.contains("Warning"), result);
        }
    }
}
