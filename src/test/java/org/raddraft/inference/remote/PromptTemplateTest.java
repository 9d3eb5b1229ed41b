package org.raddraft.inference.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PromptTemplateTest {

    private final PromptTemplate t = new PromptTemplate("""
            Report this study.
            {{#indication}}Indication: {{indication}}{{/indication}}
            {{#prior_report}}Prior ({{prior_interval}} earlier): {{prior_report}}{{/prior_report}}
            {{^prior_report}}No prior.{{/prior_report}}
            Answer FINDINGS: and IMPRESSION:.""");

    @Test
    void presentInputsAreFilledInAndTheirSectionsKept() {
        String s = t.render(Map.of("indication", "cough", "prior_report", "FINDINGS: clear.", "prior_interval", "3 months"));
        assertEquals("Report this study.\nIndication: cough\nPrior (3 months earlier): FINDINGS: clear.\n\n"
                + "Answer FINDINGS: and IMPRESSION:.", s);
    }

    @Test
    void absentInputsDropTheirSectionsAndKeepTheInvertedOnes() {
        String s = t.render(Map.of());
        assertEquals("Report this study.\n\nNo prior.\nAnswer FINDINGS: and IMPRESSION:.", s);
    }

    @Test
    void anUnknownPlaceholderIsRefusedWithItsName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PromptTemplate("Patient {{patient_name}}"));
        assertTrue(e.getMessage().contains("{{patient_name}}"), e.getMessage());
    }

    @Test
    void knowsWhichInputsItUses() {
        assertTrue(t.uses("indication") && t.uses("prior_report"));
        assertTrue(!new PromptTemplate("just the images").uses("indication"));
    }
}
