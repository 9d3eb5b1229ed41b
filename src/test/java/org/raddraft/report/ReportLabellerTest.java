package org.raddraft.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.raddraft.report.Observation.*;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;

class ReportLabellerTest {

    private static final ReportLabeller LABELLER = ReportLabeller.withDefaultLexicon();

    private static ReportLabels findings(String text) {
        return LABELLER.label(text, "");
    }

    @Test
    void plainMentionIsPresent() {
        ReportLabels l = findings("There is cardiomegaly.");
        assertEquals(Status.PRESENT, l.status(CARDIOMEGALY));
        assertEquals(Status.NOT_MENTIONED, l.status(PNEUMOTHORAX));
    }

    @Test
    void noPneumothoraxOrEffusionNegatesBoth() {
        ReportLabels l = findings("No pneumothorax or effusion.");
        assertEquals(Status.ABSENT, l.status(PNEUMOTHORAX));
        assertEquals(Status.ABSENT, l.status(PLEURAL_EFFUSION));
        ReportLabels list = findings("The lungs are clear without focal consolidation, pleural effusion, or pneumothorax.");
        assertEquals(Status.ABSENT, list.status(CONSOLIDATION));
        assertEquals(Status.ABSENT, list.status(PLEURAL_EFFUSION));
        assertEquals(Status.ABSENT, list.status(PNEUMOTHORAX));
    }

    @Test
    void negationScopeStopsAtBut() {
        ReportLabels l = findings("No pneumothorax, but there is a small left pleural effusion.");
        assertEquals(Status.ABSENT, l.status(PNEUMOTHORAX));
        assertEquals(Status.PRESENT, l.status(PLEURAL_EFFUSION));
        ReportLabels however = findings("No focal consolidation; however, mild atelectasis at the left base.");
        assertEquals(Status.ABSENT, however.status(CONSOLIDATION));
        assertEquals(Status.PRESENT, however.status(ATELECTASIS));
    }

    @Test
    void negationScopeStopsAtSentenceEnd() {
        ReportLabels l = findings("No pleural effusion. Large right pneumothorax.");
        assertEquals(Status.ABSENT, l.status(PLEURAL_EFFUSION));
        assertEquals(Status.PRESENT, l.status(PNEUMOTHORAX));
    }

    @Test
    void withoutEvidenceOfNegates() {
        assertEquals(Status.ABSENT, findings("Lungs are expanded without evidence of pneumonia.").status(PNEUMONIA));
        assertEquals(Status.ABSENT, findings("There is no evidence of pneumothorax.").status(PNEUMOTHORAX));
    }

    @Test
    void postNegationCuesNegate() {
        assertEquals(Status.ABSENT, findings("Pneumothorax is not seen.").status(PNEUMOTHORAX));
        assertEquals(Status.ABSENT, findings("The previously seen effusion has resolved.").status(PLEURAL_EFFUSION));
        assertEquals(Status.ABSENT, findings("The heart is not enlarged.").status(CARDIOMEGALY));
    }

    @Test
    void normalStatementsMeanAbsent() {
        assertEquals(Status.ABSENT, findings("Clear lungs.").status(LUNG_OPACITY));
        assertEquals(Status.ABSENT, findings("The lungs are clear.").status(LUNG_OPACITY));
        assertEquals(Status.ABSENT, findings("Heart size is normal.").status(CARDIOMEGALY));
        assertEquals(Status.ABSENT, findings("The cardiomediastinal silhouette is within normal limits.")
                .status(ENLARGED_CARDIOMEDIASTINUM));
    }

    @Test
    void uncertaintyCuesMarkUncertain() {
        assertEquals(Status.UNCERTAIN, findings("Possible small left pleural effusion.").status(PLEURAL_EFFUSION));
        assertEquals(Status.UNCERTAIN, findings("Pneumonia cannot be excluded.").status(PNEUMONIA));
        ReportLabels l = findings("Right basilar opacity, which may represent pneumonia.");
        assertEquals(Status.PRESENT, l.status(LUNG_OPACITY));
        assertEquals(Status.UNCERTAIN, l.status(PNEUMONIA));
        ReportLabels versus = findings("Left base atelectasis versus pneumonia.");
        assertEquals(Status.UNCERTAIN, versus.status(PNEUMONIA));
    }

    @Test
    void uncertaintyAfterCommaEndsNegationScope() {
        ReportLabels l = findings("No pleural effusion, possible small pneumothorax.");
        assertEquals(Status.ABSENT, l.status(PLEURAL_EFFUSION));
        assertEquals(Status.UNCERTAIN, l.status(PNEUMOTHORAX));
    }

    @Test
    void negationBeatsUncertaintyInItsScope() {
        ReportLabels l = findings("There is no focal air space opacity to suggest a pneumonia.");
        assertEquals(Status.ABSENT, l.status(LUNG_OPACITY));
        assertEquals(Status.ABSENT, l.status(PNEUMONIA));
    }

    @Test
    void impressionOverridesFindings() {
        ReportLabels l = LABELLER.label("Possible small left pleural effusion.", "Small left pleural effusion.");
        assertEquals(Status.PRESENT, l.status(PLEURAL_EFFUSION));
        ReportLabels r = LABELLER.label("Patchy left basilar opacity, atelectasis or pneumonia.",
                "Left basilar atelectasis. No pneumonia.");
        assertEquals(Status.ABSENT, r.status(PNEUMONIA));
        assertEquals(Status.PRESENT, r.status(ATELECTASIS));
        // an observation the impression does not mention keeps its findings status
        ReportLabels kept = LABELLER.label("Mild cardiomegaly.", "No acute cardiopulmonary disease.");
        assertEquals(Status.PRESENT, kept.status(CARDIOMEGALY));
    }

    @Test
    void lateralityAndSeverityAreExtracted() {
        Label eff = findings("Small left pleural effusion.").label(PLEURAL_EFFUSION);
        assertEquals(Laterality.LEFT, eff.laterality());
        assertEquals(Severity.MILD, eff.severity());
        Label ptx = findings("There is a large right pneumothorax.").label(PNEUMOTHORAX);
        assertEquals(Laterality.RIGHT, ptx.laterality());
        assertEquals(Severity.SEVERE, ptx.severity());
        Label both = findings("Moderate bilateral pleural effusions.").label(PLEURAL_EFFUSION);
        assertEquals(Laterality.BILATERAL, both.laterality());
        assertEquals(Severity.MODERATE, both.severity());
        Label bibasilar = findings("Bibasilar atelectasis.").label(ATELECTASIS);
        assertEquals(Laterality.BILATERAL, bibasilar.laterality());
        Label after = findings("There is a nodule in the left upper lobe.").label(LUNG_LESION);
        assertEquals(Laterality.LEFT, after.laterality());
        Label heart = findings("The heart is mildly enlarged.").label(CARDIOMEGALY);
        assertEquals(Severity.MILD, heart.severity());
        assertEquals(Laterality.UNSTATED, heart.laterality());
    }

    @Test
    void lateralityDoesNotLeakFromNeighbouringMention() {
        ReportLabels l = findings("Right basilar atelectasis and small left pleural effusion.");
        assertEquals(Laterality.RIGHT, l.label(ATELECTASIS).laterality());
        assertEquals(Laterality.LEFT, l.label(PLEURAL_EFFUSION).laterality());
    }

    @Test
    void normalStudyIsNoFinding() {
        ReportLabels l = LABELLER.label("Heart size normal. Lungs are clear. No pneumothorax or effusion.",
                "Normal chest.");
        assertEquals(Status.PRESENT, l.status(NO_FINDING));
        assertEquals(Status.PRESENT, LABELLER.label("", "No acute cardiopulmonary abnormality.").status(NO_FINDING));
        assertEquals(Status.NOT_MENTIONED, LABELLER.label("", "").status(NO_FINDING));
    }

    @Test
    void anyPositiveFindingExceptDevicesRulesOutNoFinding() {
        ReportLabels l = LABELLER.label("Mild cardiomegaly.", "No acute cardiopulmonary abnormality.");
        assertEquals(Status.ABSENT, l.status(NO_FINDING));
        ReportLabels hedged = LABELLER.label("", "Possible small right effusion.");
        assertEquals(Status.ABSENT, hedged.status(NO_FINDING));
        ReportLabels devices = LABELLER.label("Right internal jugular central venous catheter tip in the SVC. "
                + "Lungs are clear.", "No acute cardiopulmonary abnormality.");
        assertEquals(Status.PRESENT, devices.status(SUPPORT_DEVICES));
        assertEquals(Status.PRESENT, devices.status(NO_FINDING));
    }

    @Test
    void otherAbnormalitiesRuleOutNoFinding() {
        ReportLabels l = LABELLER.label("Calcified granuloma in the right upper lobe. Degenerative changes of the spine.",
                "No acute cardiopulmonary abnormality.");
        assertEquals(Status.ABSENT, l.status(NO_FINDING));
        assertEquals(Status.NOT_MENTIONED, l.status(LUNG_LESION));
        assertTrue(l.otherFindings().contains("granuloma"), l.otherFindings().toString());
        ReportLabels negated = LABELLER.label("No hiatal hernia.", "Normal chest.");
        assertEquals(Status.PRESENT, negated.status(NO_FINDING));
    }

    @Test
    void lungOpacityIsNotImpliedUnlessAsked() {
        ReportLabels l = findings("Right lower lobe consolidation.");
        assertEquals(Status.PRESENT, l.status(CONSOLIDATION));
        assertEquals(Status.NOT_MENTIONED, l.status(LUNG_OPACITY));
        ReportLabels implied = l.withLungOpacityImpliedBy(ReportLabels.LUNG_OPACITY_CHILDREN);
        assertEquals(Status.PRESENT, implied.status(LUNG_OPACITY));
        assertEquals(Laterality.RIGHT, implied.label(LUNG_OPACITY).laterality());
        ReportLabels notByLesion = findings("A 5 mm nodule in the left upper lobe.")
                .withLungOpacityImpliedBy(EnumSet.of(CONSOLIDATION, EDEMA, ATELECTASIS));
        assertEquals(Status.NOT_MENTIONED, notByLesion.status(LUNG_OPACITY));
    }

    @Test
    void pseudoNegationsDoNotNegate() {
        assertEquals(Status.PRESENT, findings("No change in the small left pleural effusion.").status(PLEURAL_EFFUSION));
    }

    @Test
    void explainedAwayNodularDensityIsNotALesion() {
        assertEquals(Status.ABSENT, findings("Nodular density at the right base consistent with a nipple shadow.")
                .status(LUNG_LESION));
    }

    @Test
    void mentionsKeepSentenceAndSection() {
        ReportLabels l = LABELLER.label("Heart size is normal. Small right effusion.", "Right effusion.");
        Mention first = l.mentionsOf(PLEURAL_EFFUSION).get(0);
        assertEquals(1, first.sentenceIndex());
        assertEquals(Section.FINDINGS, first.section());
        assertEquals(Section.IMPRESSION, l.mentionsOf(PLEURAL_EFFUSION).get(1).section());
    }

    /** Phrase shapes of the phantom report grammar (docs/phantoms.md), written out here. */
    @Test
    void phantomGrammarPhrasesAreLabelled() {
        ReportLabels l = LABELLER.label(
                "Endotracheal tube tip is 4 cm above the carina. A right subclavian central line terminates in the "
                        + "superior vena cava. Left chest wall pacemaker with a single lead in the right ventricle. "
                        + "The heart is enlarged, consistent with severe cardiomegaly. Moderate mediastinal widening. "
                        + "There is a small patchy opacity in the lingula of the left upper lobe, possibly pneumonia. "
                        + "A moderate mass in the right upper lobe measures 3.5 cm. Moderate pulmonary edema with "
                        + "bilateral perihilar haziness. There is mild band-like atelectasis at the left lung base. "
                        + "Small right pleural effusion with blunting of the costophrenic angle. There is a small left "
                        + "apical pneumothorax. Mild right apical pleural thickening. There is a displaced left 7th "
                        + "posterior rib fracture.",
                "1. Small left apical pneumothorax. 2. Small opacity in the lingula of the left upper lobe, which "
                        + "may represent pneumonia. 3. Moderate 3.5 cm mass. Recommend CT for further evaluation.");
        for (Observation o : EnumSet.complementOf(EnumSet.of(NO_FINDING, PNEUMONIA, CONSOLIDATION))) {
            assertEquals(Status.PRESENT, l.status(o), o.label());
        }
        assertEquals(Status.UNCERTAIN, l.status(PNEUMONIA));
        assertEquals(Status.NOT_MENTIONED, l.status(CONSOLIDATION));
        assertEquals(Status.ABSENT, l.status(NO_FINDING));
        assertEquals(Laterality.LEFT, l.label(LUNG_OPACITY).laterality());
        assertEquals(Severity.SEVERE, l.label(CARDIOMEGALY).severity());
        assertEquals(Laterality.RIGHT, l.label(PLEURAL_EFFUSION).laterality());

        ReportLabels normal = LABELLER.label("The heart and mediastinum are normal in size. The lungs are clear "
                + "without focal consolidation. There is no pleural effusion or pneumothorax. No rib fracture is seen.",
                "Support devices as described. No acute cardiopulmonary process.");
        assertEquals(Status.PRESENT, normal.status(NO_FINDING));
        for (Observation o : EnumSet.of(CARDIOMEGALY, ENLARGED_CARDIOMEDIASTINUM, LUNG_OPACITY, CONSOLIDATION,
                PLEURAL_EFFUSION, PNEUMOTHORAX, FRACTURE)) {
            assertTrue(!normal.status(o).positive(), o.label());
        }
    }
}
