package org.raddraft.fhir;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.PrePopulatedValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.Device;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.Dcmtk;

/**
 * The RIS's view: the real daemon receives phantom studies from storescu, and HAPI's FHIR client
 * reads the drafts from /fhir. What it gets is validated here with HAPI's validator and the profile
 * as published in docs/fhir/ (not the daemon's copy).
 */
class FhirIT {

    static final String EXT = "http://raddraft.org/fhir/StructureDefinition/";
    static final Path PHANTOMS = DaemonProcess.APP.resolve("testdata/phantoms/dicom");

    @TempDir
    static Path tmp;
    static DaemonProcess daemon;
    static IGenericClient ris;
    static FhirValidator validator;

    @BeforeAll
    static void start() throws Exception {
        daemon = new DaemonProcess(tmp.resolve("home"), Map.of()).start();
        ris = client(daemon);
        FhirContext ctx = FhirContext.forR4Cached();
        PrePopulatedValidationSupport published = new PrePopulatedValidationSupport(ctx);
        try (Stream<Path> files = Files.list(DaemonProcess.APP.resolve("docs/fhir"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).toList()) {
                published.addResource(ctx.newJsonParser().parseResource(Files.readString(f)));
            }
        }
        validator = ctx.newValidator().registerValidatorModule(new FhirInstanceValidator(new ValidationSupportChain(
                published, new DefaultProfileValidationSupport(ctx), new CommonCodeSystemsTerminologyService(ctx),
                new InMemoryTerminologyServerValidationSupport(ctx), new SnapshotGeneratingValidationSupport(ctx))));
    }

    @AfterAll
    static void stop() throws Exception {
        daemon.close();
    }

    /** The RIS: HAPI's client with the daemon's test integration account. */
    static IGenericClient client(DaemonProcess d) throws Exception {
        FhirContext.forR4Cached().getRestfulClientFactory().setSocketTimeout(60_000);
        return d.fhir();
    }

    static List<String> errors(Resource r) {
        return validator.validateWithResult(r).getMessages().stream()
                .filter(m -> m.getSeverity() == ResultSeverityEnum.ERROR || m.getSeverity() == ResultSeverityEnum.FATAL)
                .map(m -> r.fhirType() + "/" + r.getIdPart() + " " + m.getLocationString() + ": " + m.getMessage()).toList();
    }

    static List<Path> phantom(String study) throws Exception {
        try (Stream<Path> files = Files.list(PHANTOMS.resolve(study))) {
            return files.sorted().toList();
        }
    }

    static Bundle search(IGenericClient client, String query) {
        return client.search().byUrl("DiagnosticReport?" + query).returnBundle(Bundle.class).execute();
    }

    static List<DiagnosticReport> reports(Bundle b) {
        return b.getEntry().stream().map(Bundle.BundleEntryComponent::getResource)
                .filter(DiagnosticReport.class::isInstance).map(DiagnosticReport.class::cast).toList();
    }

    /** The preliminary report of the study with this accession number, once the daemon has drafted it. */
    static DiagnosticReport awaitPreliminary(String accession) {
        return await().atMost(180, SECONDS).pollInterval(1, SECONDS)
                .until(() -> reports(search(ris, "status=preliminary&identifier=" + accession)), r -> r.size() == 1).get(0);
    }

    /** A draft's stored column (what the flags stage wrote), read from the daemon's database. */
    static String column(long draftId, String column) throws Exception {
        try (Connection c = daemon.db();
                ResultSet rs = c.createStatement().executeQuery("SELECT " + column + " FROM draft WHERE id = " + draftId)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void metadataIsACapabilityStatementOnTheSamePortAsHealthAndMetrics() throws Exception {
        CapabilityStatement cs = ris.capabilities().ofType(CapabilityStatement.class).execute();
        assertEquals("4.0.1", cs.getFhirVersion().toCode());
        assertEquals("RadDraft", cs.getSoftware().getName());
        assertTrue(cs.getRestFirstRep().getResource().stream().anyMatch(r -> r.getType().equals("DiagnosticReport")));
        assertEquals(200, daemon.httpStatus("/health/ready"));
        assertTrue(daemon.http("/health").contains("\"fhir_validator\":\"UP\""), daemon.http("/health"));
        assertTrue(daemon.http("/metrics").contains("raddraft_studies{state=\"DRAFTED\"}"));
        assertEquals(404, daemon.request("GET", "/nothing-here", daemon.token("integration"), Map.of(), null).statusCode());
    }

    @Test
    void pushedStudyIsServedAsAValidPreliminaryReportWithItsObservationsDeviceAndProvenance() throws Exception {
        assertEquals(2, Dcmtk.storeAsIs(daemon.dicomPort, "PACS", phantom("ph-23-000001")).size());
        DiagnosticReport found = awaitPreliminary("A23000001");
        Bundle b = search(ris, "_id=" + found.getIdPart()
                + "&_include=DiagnosticReport:result&_include=DiagnosticReport:imaging-study&_revinclude=Provenance:target");
        List<Resource> all = b.getEntry().stream().map(e -> (Resource) e.getResource()).toList();
        DiagnosticReport r = (DiagnosticReport) all.get(0);
        Provenance provenance = all.stream().filter(Provenance.class::isInstance).map(Provenance.class::cast)
                .findFirst().orElseThrow();
        Device device = ris.read().resource(Device.class).withUrl(provenance.getAgentFirstRep().getWho().getReference())
                .execute();
        List<Resource> checked = new ArrayList<>(all);
        checked.add(device);
        List<String> errors = new ArrayList<>();
        checked.forEach(x -> errors.addAll(errors(x)));
        assertEquals(List.of(), errors, "the RIS validates what it got against the published profile");
        assertTrue(all.stream().anyMatch(x -> x.fhirType().equals("ImagingStudy")));

        assertEquals("preliminary", r.getStatus().toCode());
        assertEquals("http://raddraft.org/fhir/StructureDefinition/raddraft-diagnosticreport",
                r.getMeta().getProfile().get(0).getValue());
        assertEquals("AIAST", r.getMeta().getSecurityFirstRep().getCode());
        assertEquals("RAD", r.getCategoryFirstRep().getCodingFirstRep().getCode());
        assertEquals("36643-5", r.getCode().getCodingFirstRep().getCode(), "PA and lateral: XR Chest 2 Views");
        assertEquals("PH-23-000001", r.getSubject().getIdentifier().getValue());
        assertEquals("A23000001", r.getBasedOnFirstRep().getIdentifier().getValue());
        assertEquals("urn:oid:" + Dcmtk.tag(phantom("ph-23-000001").get(0), "0020,000d"),
                r.getImagingStudyFirstRep().getIdentifier().getValue());
        assertFalse(r.getConclusion().isBlank());
        assertTrue(new String(r.getPresentedFormFirstRep().getData()).contains("IMPRESSION: " + r.getConclusion()));

        List<Observation> observations = all.stream().filter(Observation.class::isInstance).map(Observation.class::cast)
                .toList();
        assertEquals(r.getResult().size(), observations.size(), "every result included");
        List<Observation> findings = observations.stream()
                .filter(o -> o.getCode().getCodingFirstRep().getSystem().endsWith("/CodeSystem/observation")).toList();
        assertFalse(findings.isEmpty(), "labelled findings");
        findings.forEach(o -> assertTrue(Set.of("present", "absent", "uncertain")
                .contains(o.getValueCodeableConcept().getCodingFirstRep().getCode()), o.getIdPart()));
        observations.forEach(o -> assertEquals("AIAST", o.getMeta().getSecurityFirstRep().getCode()));
        long draftId = Long.parseLong(r.getIdPart());
        if (column(draftId, "classifier") != null) { // the reference model has a classifier once flags compute it
            findings.forEach(o -> assertTrue(o.hasExtension(EXT + "model-probability"), o.getIdPart()));
        }
        int flags = DiagnosticReportMapper.flags(column(draftId, "flags")).size();
        assertEquals(flags, r.getExtensionsByUrl(EXT + "confidence-flag").size(), "one extension per stored flag");
        assertEquals("author", provenance.getAgentFirstRep().getType().getCodingFirstRep().getCode());
        assertEquals("DiagnosticReport/" + r.getIdPart(), provenance.getTargetFirstRep().getReference());
        assertEquals("raddraft-reference-cxr", device.getDeviceNameFirstRep().getName());
        assertEquals("reference model, synthetic training data, not for clinical use", device.getNoteFirstRep().getText());
    }

    @Test
    void criticalDraftComesBeforeARoutineOnePushedEarlier() throws Exception {
        assertEquals(2, Dcmtk.storeAsIs(daemon.dicomPort, "PACS", phantom("ph-23-000004")).size()); // No Finding
        DiagnosticReport routine = awaitPreliminary("A23000004");
        assertEquals(2, Dcmtk.storeAsIs(daemon.dicomPort, "PACS", phantom("ph-23-000002")).size()); // large effusion
        DiagnosticReport critical = awaitPreliminary("A23000002");
        long criticalId = Long.parseLong(critical.getIdPart());
        if (Integer.parseInt(column(criticalId, "priority")) < 2) {
            // The reference model's draft of this phantom need not state the effusion as large (then the
            // flags stage stores it as flagged, not critical): make it critical as that stage would store
            // it, bumping the version as every change of a served report does; the daemon republishes it.
            try (Connection c = daemon.db();
                    PreparedStatement ps = c.prepareStatement(
                            "UPDATE draft SET priority = 2, version = version + 1 WHERE id = ?")) {
                ps.setLong(1, criticalId);
                ps.executeUpdate();
            }
        }
        DiagnosticReport served = await().atMost(30, SECONDS).pollInterval(500, java.util.concurrent.TimeUnit.MILLISECONDS)
                .until(() -> ris.read().resource(DiagnosticReport.class).withId(critical.getIdPart()).execute(),
                        r -> r.getExtensionByUrl(EXT + "worklist-priority").getValueAsPrimitive().getValueAsString()
                                .equals("2"));
        List<String> order = reports(search(ris, "status=preliminary")).stream().map(DiagnosticReport::getIdPart).toList();
        assertEquals(0, order.indexOf(served.getIdPart()), "critical first: " + order);
        assertTrue(order.indexOf(critical.getIdPart()) < order.indexOf(routine.getIdPart()), order.toString());
    }

    @Test
    void lateInstanceSupersedesTheDraftAndBothAreServedWithHistory() throws Exception {
        List<Path> study = phantom("ph-23-000003");
        assertEquals(1, Dcmtk.storeAsIs(daemon.dicomPort, "PACS", List.of(study.get(0))).size()); // frontal only
        DiagnosticReport first = awaitPreliminary("A23000003");
        assertEquals("36554-4", first.getCode().getCodingFirstRep().getCode(), "drafted from one view");
        assertEquals(1, Dcmtk.storeAsIs(daemon.dicomPort, "PACS", List.of(study.get(1))).size()); // the lateral, late
        DiagnosticReport second = await().atMost(180, SECONDS).pollInterval(1, SECONDS)
                .until(() -> reports(search(ris, "status=preliminary&identifier=A23000003")),
                        r -> r.size() == 1 && !r.get(0).getIdPart().equals(first.getIdPart())).get(0);
        assertEquals("36643-5", second.getCode().getCodingFirstRep().getCode(), "redrafted from both views");
        DiagnosticReport old = ris.read().resource(DiagnosticReport.class).withId(first.getIdPart()).execute();
        assertEquals("cancelled", old.getStatus().toCode());
        assertEquals("DiagnosticReport/" + second.getIdPart(),
                ((Reference) old.getExtensionByUrl(EXT + "superseded-by").getValue()).getReference());
        assertEquals("DiagnosticReport/" + first.getIdPart(),
                ((Reference) second.getExtensionByUrl(EXT + "supersedes").getValue()).getReference());
        Bundle history = ris.history().onInstance("DiagnosticReport/" + first.getIdPart()).returnBundle(Bundle.class)
                .execute();
        List<String> statuses = reports(history).stream().map(x -> x.getStatus().toCode()).toList();
        assertEquals("preliminary", statuses.get(statuses.size() - 1), "the first version is the preliminary draft");
        assertEquals("cancelled", statuses.get(0), "the latest is the superseded one");
        assertEquals(2, reports(search(ris, "identifier=A23000003")).size(), "both drafts are served");
        assertEquals(List.of(), errors(old));
    }

    @Test
    void kill9WhileDraftingABatchLosesAndDuplicatesNoDraft(@TempDir Path home) throws Exception {
        Map<String, String> config = Map.of("draft.batch-size", "2");
        List<Path> files = new ArrayList<>();
        for (String s : List.of("ph-23-000000", "ph-23-000001", "ph-23-000002", "ph-23-000003", "ph-23-000004",
                "ph-23-000005")) {
            files.addAll(phantom(s));
        }
        try (DaemonProcess first = new DaemonProcess(home, config).start()) {
            assertEquals(files.size(), Dcmtk.storeAsIs(first.dicomPort, "PACS", files).size());
            await().atMost(180, SECONDS).pollInterval(100, java.util.concurrent.TimeUnit.MILLISECONDS)
                    .until(() -> count(first, "SELECT COUNT(*) FROM draft") >= 1);
            first.kill9(); // mid-way: the first batch stored, others claimed or waiting
            assertTrue(count(first, "SELECT COUNT(*) FROM draft") < 6, "killed before every study was drafted");
        }
        try (DaemonProcess again = new DaemonProcess(home, config).start()) {
            await().atMost(300, SECONDS).pollInterval(1, SECONDS)
                    .until(() -> count(again, "SELECT COUNT(*) FROM study WHERE state = 'DRAFTED'") == 6);
            assertEquals(6, count(again, "SELECT COUNT(*) FROM draft"), "one draft per study, none duplicated");
            assertEquals(0, count(again, "SELECT COUNT(*) FROM draft d WHERE NOT EXISTS"
                    + " (SELECT 1 FROM fhir_version v WHERE v.draft_id = d.id AND v.version = 1)"), "every draft published");
            List<DiagnosticReport> served = reports(search(client(again), "status=preliminary&_count=50"));
            Set<String> studies = new HashSet<>();
            served.forEach(r -> studies.add(r.getImagingStudyFirstRep().getIdentifier().getValue()));
            assertEquals(6, served.size());
            assertEquals(6, studies.size(), "six studies, one report each");
        }
    }

    static long count(DaemonProcess d, String sql) throws Exception {
        try (Connection c = d.db();
                ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
