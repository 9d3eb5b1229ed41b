package org.raddraft.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ca.uhn.fhir.context.FhirContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.CodeSystem;
import org.hl7.fhir.r4.model.Device;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.raddraft.flags.FlagCode;

/** Mapping of a stored draft to FHIR, validated with the daemon's validator (the published profile). */
class DiagnosticReportMapperTest {

    static final String FLAGS = """
            [{"code":"CRITICAL_FINDING","finding":"Pneumothorax","severity":0.9,"signal":0.7,"detail":"critical finding stated"},
             {"code":"LOW_CONFIDENCE","finding":null,"severity":0.3,"signal":-0.5,"detail":"low mean token log-probability"}]""";
    static final String CLASSIFIER = "{\"Cardiomegaly\":0.91,\"Pneumothorax\":0.42,\"Pleural Effusion\":0.03}";
    static final String EXT = Canonical.DEFAULT_BASE + "/StructureDefinition/";

    static ResourceValidator validator;
    static final Canonical canonical = new Canonical(Canonical.DEFAULT_BASE);
    static final DiagnosticReportMapper mapper = new DiagnosticReportMapper(canonical);

    @BeforeAll
    static void warm() {
        validator = new ResourceValidator(FhirContext.forR4Cached(), canonical);
    }

    @Test
    void everyDraftStateMapsToValidResources() {
        for (String state : List.of("DRAFTED", "SUPERSEDED", "APPROVED", "REJECTED")) {
            List<Resource> rs = mapper.map(StoredDraft.example(state, FLAGS, CLASSIFIER), 1, new Date());
            assertEquals(List.of(), validator.errors(rs), state);
            assertEquals(DiagnosticReportMapper.status(state), ((DiagnosticReport) rs.get(0)).getStatus());
        }
    }

    @Test
    void anAmendedApprovedReportIsCorrectedAndNamesItsRadiologist() {
        StoredDraft e = StoredDraft.example("APPROVED", FLAGS, CLASSIFIER);
        StoredDraft amended = new StoredDraft(e.id(), e.studyId(), e.state(), e.findings(), e.impression(),
                e.missingView(), e.modelName(), e.modelVersion(), e.modelIntendedUse(), e.draftedAt(), e.flags(), e.riskScore(), e.priority(),
                e.classifier(), null, null, 3, "Corrected findings.", "Corrected impression.", "dr.example", 1,
                e.unavailable(), e.unavailableReasons(), e.study());
        List<Resource> rs = mapper.map(amended, 3, new Date());
        DiagnosticReport r = (DiagnosticReport) rs.get(0);
        assertEquals("corrected", r.getStatus().toCode());
        assertEquals("Corrected impression.", r.getConclusion());
        assertEquals("dr.example", r.getResultsInterpreterFirstRep().getIdentifier().getValue());
        assertEquals(List.of(), validator.errors(rs));
    }

    /** Issue 22: the flags a draft has no value for are stated on the report, with why where known, and validate. */
    @Test
    void theUnavailableFlagsAreStatedWithTheirReasons() {
        List<Resource> rs = mapper.map(StoredDraft.example("DRAFTED", FLAGS, CLASSIFIER), 1, new Date());
        DiagnosticReport r = (DiagnosticReport) rs.get(0);
        List<org.hl7.fhir.r4.model.Extension> un = r.getExtensionsByUrl(EXT + "flag-unavailable");
        assertEquals(List.of("NOT_IMAGE_GROUNDED", "OUT_OF_DISTRIBUTION"), un.stream()
                .map(e -> ((org.hl7.fhir.r4.model.Coding) e.getExtensionByUrl("code").getValue()).getCode()).toList());
        assertEquals("the engine cannot score prompts",
                un.get(0).getExtensionByUrl("reason").getValue().primitiveValue());
        assertEquals(null, un.get(1).getExtensionByUrl("reason"), "no reason recorded: none made up");
        assertEquals(List.of(), validator.errors(rs));
        // the published definition is what validates it: a stated flag without its code is refused
        un.get(0).getExtension().removeIf(e -> e.getUrl().equals("code"));
        assertFalse(validator.errors(rs).isEmpty(), "flag-unavailable without a code must not validate");
    }

    /** Issue 21, review page: the worklist names the patient, from the report's subject display. */
    @Test
    void theSubjectNamesThePatientWhenTheNameIsKnown() {
        DiagnosticReport named = (DiagnosticReport) mapper.map(StoredDraft.example("DRAFTED", FLAGS, CLASSIFIER)
                .withPatientName("DOE^Jane^Q^^"), 1, new Date()).get(0);
        assertEquals("DOE, Jane Q", named.getSubject().getDisplay());
        assertEquals("EX-1", named.getSubject().getIdentifier().getValue(), "still by Patient ID");
        DiagnosticReport unnamed = (DiagnosticReport) mapper.map(StoredDraft.example("DRAFTED", FLAGS, CLASSIFIER)
                .withPatientName(null), 1, new Date()).get(0);
        assertEquals(null, unnamed.getSubject().getDisplay());
    }

    @Test
    void theDeviceSaysWhatTheDraftingModelMayBeUsedFor() {
        assertEquals("reference model, synthetic training data, not for clinical use",
                DiagnosticReportMapper.useNote("Synthetic; NOT FOR CLINICAL USE."));
        assertEquals("Triage aid for adult PA chest radiographs, CE class IIa",
                DiagnosticReportMapper.useNote("Triage aid for adult PA chest radiographs, CE class IIa"));
        assertEquals("intended use of this model not recorded: not for clinical use", DiagnosticReportMapper.useNote(null),
                "a model nobody recorded keeps the warning");
        Device d = mapper.map(StoredDraft.example("DRAFTED", null, null), 1, new Date()).stream()
                .filter(Device.class::isInstance).map(Device.class::cast).findFirst().orElseThrow();
        assertEquals("reference model, synthetic training data, not for clinical use", d.getNoteFirstRep().getText());
    }

    @Test
    void nullFlagsAreNoFlagsAndStillValid() {
        List<Resource> rs = mapper.map(StoredDraft.example("DRAFTED", null, null), 1, new Date());
        DiagnosticReport r = (DiagnosticReport) rs.get(0);
        assertEquals(0, r.getExtensionsByUrl(EXT + "confidence-flag").size());
        assertFalse(r.hasExtension(EXT + "risk-score"));
        assertEquals("36643-5", r.getCode().getCodingFirstRep().getCode(), "two views");
        assertEquals(List.of(), validator.errors(rs));
    }

    @Test
    void flagsBecomeExtensionsAndProbabilitiesGoOnTheirFindings() {
        List<Resource> rs = mapper.map(StoredDraft.example("DRAFTED", FLAGS, CLASSIFIER), 3, new Date());
        DiagnosticReport r = (DiagnosticReport) rs.get(0);
        assertEquals("3", r.getMeta().getVersionId());
        var flag = r.getExtensionsByUrl(EXT + "confidence-flag").get(0);
        assertEquals("CRITICAL_FINDING", ((org.hl7.fhir.r4.model.Coding) flag.getExtensionByUrl("code").getValue()).getCode());
        assertEquals("Pneumothorax", flag.getExtensionByUrl("finding").getValueAsPrimitive().getValueAsString());
        assertEquals("0.9", flag.getExtensionByUrl("severity").getValueAsPrimitive().getValueAsString());
        var pneumothorax = rs.stream().filter(x -> x.getIdElement().getIdPart().equals("1-pneumothorax")).findFirst()
                .orElseThrow();
        assertEquals("uncertain", ((org.hl7.fhir.r4.model.Observation) pneumothorax).getValueCodeableConcept()
                .getCodingFirstRep().getCode(), "'possible small pneumothorax'");
        assertEquals("0.42", ((org.hl7.fhir.r4.model.Observation) pneumothorax).getExtensionByUrl(EXT + "model-probability")
                .getValueAsPrimitive().getValueAsString());
    }

    @Test
    void validationReasonsKeepUrlsButNotValues() {
        assertEquals("value '…' is not valid for 'http://loinc.org'",
                FhirPublisher.withoutValues("value 'DOE^JANE' is not valid for 'http://loinc.org'"));
    }

    /** Issue 24 (fuzzing): a control character in the name made the validator refuse the draft ("unknown escape sequence"). */
    @Test
    void aNameWithControlCharactersStillValidates() {
        List<Resource> rs = mapper.map(StoredDraft.example("DRAFTED", FLAGS, CLASSIFIER)
                .withPatientName("DO\bE^Ja\u0001ne"), 1, new Date());
        assertEquals(List.of(), validator.errors(rs));
        assertEquals("DOE, Jane", ((DiagnosticReport) rs.get(0)).getSubject().getDisplay());
    }

    @Test
    void patientIdentifierSystemFollowsTheIssuer() {
        assertEquals("urn:oid:1.2.840.113619", canonical.patientIdSystem("1.2.840.113619"));
        assertEquals("https://hospital.example/mrn", canonical.patientIdSystem("https://hospital.example/mrn"));
        assertEquals(Canonical.DEFAULT_BASE + "/sid/patient-id/ST%20MARY", canonical.patientIdSystem("ST MARY"));
        assertEquals(Canonical.DEFAULT_BASE + "/sid/patient-id", canonical.patientIdSystem(null));
    }

    @Test
    void publishedFilesAreWhatTheValidatorLoadsAndCoverEveryCode() throws Exception {
        try (Stream<Path> files = Files.list(Path.of("docs/fhir"))) {
            assertEquals(Set.copyOf(ResourceValidator.PUBLISHED),
                    files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".json")).collect(Collectors.toSet()));
        }
        List<CodeSystem> systems = ResourceValidator.published(FhirContext.forR4Cached(), canonical).stream()
                .filter(CodeSystem.class::isInstance).map(CodeSystem.class::cast).toList();
        assertTrue(codes(systems, "flag-code").containsAll(Arrays.stream(FlagCode.values()).map(Enum::name).toList()),
                "CodeSystem-flag-code.json lists every FlagCode");
        assertTrue(codes(systems, "observation").containsAll(Arrays.stream(org.raddraft.report.Observation.values())
                .map(Enum::name).toList()), "CodeSystem-observation.json lists every observation");
    }

    private static Set<String> codes(List<CodeSystem> systems, String name) {
        return systems.stream().filter(c -> c.getUrl().equals(canonical.codeSystem(name))).findFirst().orElseThrow()
                .getConcept().stream().map(CodeSystem.ConceptDefinitionComponent::getCode).collect(Collectors.toSet());
    }
}
