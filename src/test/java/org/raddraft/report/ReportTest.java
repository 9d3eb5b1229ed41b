package org.raddraft.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ReportTest {

    private static List<String> texts(Report r) {
        return r.sentences().stream().map(Sentence::text).toList();
    }

    @Test
    void sentenceSplittingKeepsDecimals() {
        Report r = Report.of("There is a 1.5 cm nodule in the right upper lobe. A 0.8 cm nodule is also seen.", "");
        assertEquals(List.of("There is a 1.5 cm nodule in the right upper lobe.", "A 0.8 cm nodule is also seen."),
                texts(r));
    }

    @Test
    void sentenceSplittingHandlesNumberedLists() {
        Report r = Report.of("", "1. Stable cardiomegaly. 2. No acute disease. 3. Small left effusion");
        assertEquals(List.of("Stable cardiomegaly.", "No acute disease.", "Small left effusion"), texts(r));
        Report unpunctuated = Report.of("", "1. Mild cardiomegaly 2. No pneumothorax.");
        assertEquals(List.of("Mild cardiomegaly", "No pneumothorax."), texts(unpunctuated));
    }

    @Test
    void sentenceSplittingHandlesAbbreviations() {
        Report r = Report.of("Findings discussed with Dr. Smith at 10 a.m. today. Heart size is approx. normal.", "");
        assertEquals(2, r.sentences().size(), texts(r).toString());
    }

    @Test
    void anonymisationTokensAndDoubleStopsAreHarmless() {
        Report r = Report.of("Normal chest x-XXXX.. XXXX are normal.", " ");
        assertEquals(List.of("Normal chest x-XXXX..", "XXXX are normal."), texts(r));
    }

    @Test
    void whitespaceIsNormalised() {
        Report r = Report.of("  Heart\n size   normal.\t", null);
        assertEquals("Heart size normal.", r.findings());
        assertEquals("", r.impression());
    }

    @Test
    void parsesHeadedFreeText() {
        Report r = Report.parse("FINDINGS: Small left effusion.\nIMPRESSION: Effusion. ");
        assertEquals("Small left effusion.", r.findings());
        assertEquals("Effusion.", r.impression());
        List<Sentence> s = r.sentences();
        assertEquals(Section.FINDINGS, s.get(0).section());
        assertEquals(Section.IMPRESSION, s.get(1).section());
        assertEquals(1, s.get(1).index());
        Report noHeadings = Report.parse("No acute disease.");
        assertEquals("No acute disease.", noHeadings.findings());
        Report conclusion = Report.parse("Impression: normal chest. Findings: clear lungs.");
        assertEquals("clear lungs.", conclusion.findings());
        assertEquals("normal chest.", conclusion.impression());
    }
}
