package org.raddraft.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Device;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.dicom.DicomAttributes;
import org.raddraft.dicom.ReceivedInstance;
import org.raddraft.inference.Draft;
import org.raddraft.inference.ModelRecords;
import org.raddraft.inference.DraftOutcome;
import org.raddraft.inference.DraftQueue;
import org.raddraft.ingest.DirectorySyncer;
import org.raddraft.ingest.InstanceIndex;
import org.raddraft.ingest.ScopeGate;
import org.raddraft.ingest.StudyAssembler;
import org.raddraft.ops.HttpServer;
import org.raddraft.ops.StudyListing;
import org.raddraft.store.Database;
import org.raddraft.testing.TestClock;

/**
 * The FHIR stage in one process on a real H2 database and a real Jetty: drafts stored by the
 * drafting queue (their text made up here; the model is tested elsewhere) are published, validated,
 * and searched and read over HTTP with HAPI's client, as a RIS does.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FhirApiTest {

    Path home;
    Database db;
    final TestClock clock = new TestClock(Instant.parse("2026-11-22T10:00:00Z"));
    DirectorySyncer syncer;
    InstanceIndex index;
    StudyAssembler assembler;
    DraftQueue queue;
    FhirStage fhir;
    HttpServer http;
    IGenericClient ris;
    int sops;

    @BeforeAll
    void open(@TempDir Path dir) throws Exception {
        home = dir;
        db = Database.open("jdbc:h2:file:" + home.resolve("db/t"), "sa", "");
        syncer = new DirectorySyncer(Duration.ofMillis(50));
        index = new InstanceIndex(db, home.resolve("spool"), clock, syncer);
        assembler = new StudyAssembler(db, new ScopeGate(18), Duration.ofSeconds(5), clock);
        ModelRecords.record(db, "reference-cxr", "1.0", "synthetic phantoms; NOT FOR CLINICAL USE", clock);
        fhir = FhirStage.open(db, Canonical.DEFAULT_BASE, clock);
        fhir.publisher().warmUp();
        queue = new DraftQueue(db, home.resolve("spool"), clock, 8, 1, Duration.ofSeconds(30), fhir.publisher());
        http = new HttpServer("127.0.0.1", 0).servlet("/fhir/*", fhir.server());
        http.start();
        ris = FhirContext.forR4Cached().newRestfulGenericClient("http://127.0.0.1:" + http.port() + "/fhir");
    }

    @AfterAll
    void close() throws Exception {
        http.close();
        syncer.close();
        db.close();
    }

    void receive(String study, String accession, String view) throws Exception {
        String sop = study + ".9." + (++sops);
        Path tmp = Files.createDirectories(home.resolve("spool/tmp")).resolve(sop + ".part");
        Files.write(tmp, new byte[] {1});
        index.record(new ReceivedInstance(tmp, "1.2.840.10008.1.2.1", "PACS", "127.0.0.1",
                new DicomAttributes(study, study + ".1", sop, "1.2.840.10008.5.1.4.1.1.1", "CR", "CHEST", view,
                        "XR CHEST", null, "050Y", "19760101", "20261122", accession, "MONOCHROME2", 8, 8,
                        "PID-" + study, "HOSP", "DOE^JANE", "F")));
    }

    /** Receives a one-view study, lets it settle and stores this draft for it; returns the study id. */
    long drafted(String study, String accession, String findings, String impression) throws Exception {
        receive(study, accession, "PA");
        return redrafted(study, findings, impression);
    }

    long redrafted(String study, String findings, String impression) throws Exception {
        return redrafted(study, findings, impression, "reference-cxr", "1.0");
    }

    long redrafted(String study, String findings, String impression, String model, String version) throws Exception {
        clock.advance(Duration.ofSeconds(6));
        assembler.settleQuietStudies();
        long id = queue.claim().stream().filter(s -> true).findFirst().orElseThrow().studyId();
        clock.advance(Duration.ofSeconds(1));
        queue.store(List.of(DraftOutcome.drafted(id, new Draft(findings, impression, List.of(5, 2), List.of(-0.1f, -0.2f),
                "lateral", 10, 20, model, version))));
        return id;
    }

    long draftOf(long studyId) throws Exception {
        try (Connection c = db.connection(); var rs = c.createStatement().executeQuery(
                "SELECT MAX(id) FROM draft WHERE study_id = " + studyId)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** What the flags stage stores (until it lands its own code here): flags, classifier, priority; version bumped. */
    void flag(long draftId, int priority, String flags, String classifier) throws Exception {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(
                "UPDATE draft SET flags = ?, classifier = ?, priority = ?, risk_score = 0.8, version = version + 1 WHERE id = ?")) {
            ps.setString(1, flags);
            ps.setString(2, classifier);
            ps.setInt(3, priority);
            ps.setLong(4, draftId);
            ps.executeUpdate();
        }
        fhir.publisher().publishChanged();
    }

    Bundle worklist(String extra) {
        return ris.search().byUrl("DiagnosticReport?status=preliminary" + extra).returnBundle(Bundle.class).execute();
    }

    @Test
    void draftIsPublishedWithAiMarkingObservationsFlagsDeviceAndProvenance() throws Exception {
        long study = drafted("1.2.826.0.1.3680043.10.9.1", "ACC1", "Small right pneumothorax. No pleural effusion.",
                "Small right pneumothorax.");
        long draft = draftOf(study);
        flag(draft, 2, DiagnosticReportMapperTest.FLAGS, DiagnosticReportMapperTest.CLASSIFIER);
        DiagnosticReport r = ris.read().resource(DiagnosticReport.class).withId(String.valueOf(draft)).execute();
        assertEquals("preliminary", r.getStatus().toCode());
        assertEquals("2", r.getMeta().getVersionId());
        assertEquals("AIAST", r.getMeta().getSecurity().get(0).getCode());
        assertEquals("36554-4", r.getCode().getCodingFirstRep().getCode(), "one view drafted");
        assertEquals("PID-1.2.826.0.1.3680043.10.9.1", r.getSubject().getIdentifier().getValue());
        assertEquals("http://raddraft.org/fhir/sid/patient-id/HOSP", r.getSubject().getIdentifier().getSystem());
        assertEquals("ACC1", r.getBasedOnFirstRep().getIdentifier().getValue());
        assertEquals("urn:oid:1.2.826.0.1.3680043.10.9.1", r.getImagingStudyFirstRep().getIdentifier().getValue());
        assertEquals("Small right pneumothorax.", r.getConclusion());
        assertTrue(new String(r.getPresentedFormFirstRep().getData()).startsWith("FINDINGS: Small right pneumothorax."));
        assertEquals(2, r.getExtensionsByUrl("http://raddraft.org/fhir/StructureDefinition/confidence-flag").size());
        assertEquals("2", r.getExtensionByUrl("http://raddraft.org/fhir/StructureDefinition/worklist-priority")
                .getValueAsPrimitive().getValueAsString());

        // without _include only the report is parsed from the stored Bundle: the same report as a read
        DiagnosticReport searched = (DiagnosticReport) worklist("&_id=" + draft).getEntryFirstRep().getResource();
        assertTrue(r.copy().setMeta(null).equalsDeep(searched.copy().setMeta(null)), "search entry = read");
        assertEquals(r.getMeta().getVersionId(), searched.getMeta().getVersionId());

        Bundle b = worklist("&_id=" + draft + "&_include=DiagnosticReport:result&_revinclude=Provenance:target");
        List<Observation> obs = b.getEntry().stream().map(Bundle.BundleEntryComponent::getResource)
                .filter(Observation.class::isInstance).map(Observation.class::cast).toList();
        Observation pneumothorax = obs.stream().filter(o -> o.getIdElement().getIdPart().equals(draft + "-pneumothorax"))
                .findFirst().orElseThrow();
        assertEquals("present", pneumothorax.getValueCodeableConcept().getCodingFirstRep().getCode());
        assertEquals("0.42", pneumothorax.getExtensionByUrl("http://raddraft.org/fhir/StructureDefinition/model-probability")
                .getValueAsPrimitive().getValueAsString());
        assertTrue(obs.stream().anyMatch(o -> o.getCode().getCodingFirstRep().getCode().equals("59776-5")));
        assertTrue(obs.stream().anyMatch(o -> o.getCode().getCodingFirstRep().getCode().equals("19005-8")));
        Provenance p = b.getEntry().stream().map(Bundle.BundleEntryComponent::getResource)
                .filter(Provenance.class::isInstance).map(Provenance.class::cast).findFirst().orElseThrow();
        assertEquals("include", b.getEntry().get(b.getEntry().size() - 1).getSearch().getMode().toCode());
        Reference agent = p.getAgentFirstRep().getWho();
        Device device = ris.read().resource(Device.class).withUrl(agent.getReference()).execute();
        assertEquals("1.0", device.getVersionFirstRep().getValue());
        assertEquals("reference model, synthetic training data, not for clinical use", device.getNoteFirstRep().getText());
        assertNotNull(ris.read().resource(Observation.class).withId(draft + "-findings").execute());
    }

    /** The Device of a draft's Provenance, read through the API. */
    Device deviceOf(long draft) {
        Bundle b = worklist("&_id=" + draft + "&_revinclude=Provenance:target");
        Provenance p = b.getEntry().stream().map(Bundle.BundleEntryComponent::getResource)
                .filter(Provenance.class::isInstance).map(Provenance.class::cast).findFirst().orElseThrow();
        return ris.read().resource(Device.class).withUrl(p.getAgentFirstRep().getWho().getReference()).execute();
    }

    @Test
    void eachDraftsDeviceSaysWhatItsOwnModelMayBeUsedForAfterAModelChange() throws Exception {
        long byReference = draftOf(drafted("1.2.826.0.1.3680043.10.9.7", "ACC7", "Normal chest.", "No acute disease."));
        // the site installs another model: recorded when the daemon loads it
        ModelRecords.record(db, "site-cxr", "3.1", "Triage aid for adult chest radiographs", clock);
        receive("1.2.826.0.1.3680043.10.9.8", "ACC8", "PA");
        long bySite = draftOf(redrafted("1.2.826.0.1.3680043.10.9.8", "Normal chest.", "No acute disease.", "site-cxr", "3.1"));
        assertEquals("Triage aid for adult chest radiographs", deviceOf(bySite).getNoteFirstRep().getText());
        assertEquals("reference model, synthetic training data, not for clinical use",
                deviceOf(byReference).getNoteFirstRep().getText(), "the reference model's draft keeps its warning");
    }

    @Test
    void worklistPutsCriticalFirstThenOldestAndPages() throws Exception {
        long routine = draftOf(drafted("1.2.826.0.1.3680043.10.9.2", "ACC2", "Normal chest.", "No acute disease."));
        long critical = draftOf(drafted("1.2.826.0.1.3680043.10.9.3", "ACC3", "Large left pneumothorax.",
                "Large left pneumothorax."));
        flag(critical, 2, "[]", null);
        List<String> ids = worklist("").getEntry().stream().map(e -> e.getResource().getIdElement().getIdPart()).toList();
        assertTrue(ids.indexOf(String.valueOf(critical)) < ids.indexOf(String.valueOf(routine)), ids.toString());
        Bundle first = worklist("&_count=1");
        assertEquals(1, first.getEntry().size());
        assertNotNull(first.getLink("next"), "a next page");
        Bundle second = ris.loadPage().next(first).execute();
        assertEquals(1, second.getEntry().size());
        assertTrue(!second.getEntry().get(0).getResource().getIdElement().getIdPart()
                .equals(first.getEntry().get(0).getResource().getIdElement().getIdPart()));
        assertEquals(String.valueOf(routine), ris.search().byUrl("DiagnosticReport?identifier=ACC2")
                .returnBundle(Bundle.class).execute().getEntryFirstRep().getResource().getIdElement().getIdPart());
        assertEquals(String.valueOf(critical), ris.search().byUrl("DiagnosticReport?based-on:identifier="
                + "http://raddraft.org/fhir/sid/accession|ACC3").returnBundle(Bundle.class).execute()
                .getEntryFirstRep().getResource().getIdElement().getIdPart());
    }

    @Test
    void badSearchParametersAre400WithWhatToWriteInstead() {
        InvalidRequestException unknown = assertThrows(InvalidRequestException.class, () -> worklist("&priority=2"));
        assertTrue(unknown.getMessage().contains("unknown or repeated search parameter 'priority'"), unknown.getMessage());
        InvalidRequestException status = assertThrows(InvalidRequestException.class,
                () -> ris.search().byUrl("DiagnosticReport?status=draft").returnBundle(Bundle.class).execute());
        assertTrue(status.getMessage().contains("write preliminary"), status.getMessage());
        InvalidRequestException sort = assertThrows(InvalidRequestException.class, () -> worklist("&_sort=code"));
        assertTrue(sort.getMessage().contains("write _sort=-priority"), sort.getMessage());
        assertThrows(ResourceNotFoundException.class,
                () -> ris.read().resource(DiagnosticReport.class).withId("nope").execute());
    }

    @Test
    void lateInstanceSupersedesTheDraftAndTheRedraftLinksBack() throws Exception {
        String uid = "1.2.826.0.1.3680043.10.9.4";
        long study = drafted(uid, "ACC4", "Normal chest.", "No acute disease.");
        long first = draftOf(study);
        receive(uid, "ACC4", "LL"); // the lateral arrives late: the study re-opens, the draft is superseded
        fhir.publisher().publishChanged();
        DiagnosticReport cancelled = ris.read().resource(DiagnosticReport.class).withId(String.valueOf(first)).execute();
        assertEquals("cancelled", cancelled.getStatus().toCode());
        redrafted(uid, "Normal chest, both views.", "No acute disease.");
        long second = draftOf(study);
        DiagnosticReport old = ris.read().resource(DiagnosticReport.class).withId(String.valueOf(first)).execute();
        assertEquals("DiagnosticReport/" + second, ((Reference) old.getExtensionByUrl(
                "http://raddraft.org/fhir/StructureDefinition/superseded-by").getValue()).getReference());
        DiagnosticReport now = ris.read().resource(DiagnosticReport.class).withId(String.valueOf(second)).execute();
        assertEquals("preliminary", now.getStatus().toCode());
        assertEquals("DiagnosticReport/" + first, ((Reference) now.getExtensionByUrl(
                "http://raddraft.org/fhir/StructureDefinition/supersedes").getValue()).getReference());
        Bundle history = ris.history().onInstance("DiagnosticReport/" + first).returnBundle(Bundle.class).execute();
        assertEquals(List.of("3", "2", "1"), history.getEntry().stream()
                .map(e -> e.getResource().getMeta().getVersionId()).toList());
        assertEquals("preliminary", ((DiagnosticReport) ris.read().resource(DiagnosticReport.class)
                .withUrl("DiagnosticReport/" + first + "/_history/1").execute()).getStatus().toCode());
    }

    @Test
    void invalidDraftIsFailedLoudlyAndNeverServed() throws Exception {
        long study = drafted("1.2.826.0.1.3680043.10.9.5", "ACC5", "Normal chest.", "");
        var row = StudyListing.studies(db).stream().filter(s -> s.id() == study).findFirst().orElseThrow();
        assertEquals("FAILED", row.state());
        assertTrue(row.reason().contains("FHIR validation error") && row.reason().contains("conclusion"), row.reason());
        assertEquals(0, worklist("&identifier=ACC5").getEntry().size());
    }
}
