package org.raddraft.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ca.uhn.fhir.context.FhirContext;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Date;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Device;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.ImagingStudy;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.dicom.PatientModule;
import org.raddraft.store.Database;
import org.raddraft.testing.FhirJpaServer;
import org.raddraft.testing.TcpProxy;

/**
 * The FHIR channel against a real HAPI FHIR JPA server (its own JVM, H2): the transaction of
 * conditional updates creates the report once, a retry and a correction update the same
 * DiagnosticReport, a bearer token is required, a 422 is permanent and a server off the network is
 * transient. The published resources are made here as the FHIR stage stores them (fhir_version).
 */
class FhirSenderIT {

    static final String TOKEN = "test-token-123";
    static final String SYSTEM = "urn:raddraft:report";
    static final FhirContext CTX = FhirContext.forR4Cached();
    @TempDir
    static Path tmp;
    static FhirJpaServer server;
    static TcpProxy proxy;
    static Database db;

    @BeforeAll
    static void start() throws Exception {
        server = new FhirJpaServer(tmp.resolve("fhir"), TOKEN, "A-REFUSED");
        proxy = new TcpProxy(server.port);
        db = Database.open("jdbc:h2:file:" + tmp.resolve("db/t"), "sa", "");
    }

    @AfterAll
    static void stop() throws Exception {
        db.close();
        proxy.close();
        server.close();
    }

    FhirSender sender(String token) {
        return new FhirSender("http://127.0.0.1:" + proxy.port + "/fhir", new FhirSender.Auth("bearer", null, token),
                Duration.ofSeconds(60), db, CTX, SYSTEM);
    }

    /** A version of draft {@code draftId} as the FHIR stage publishes it: report, narratives, study, model, provenance. */
    static void publish(long draftId, int version, String accession, String findings, String impression) throws Exception {
        DiagnosticReport dr = new DiagnosticReport();
        dr.setId(Long.toString(draftId));
        dr.setStatus(DiagnosticReport.DiagnosticReportStatus.FINAL);
        dr.addCategory(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/v2-0074", "RAD", "Radiology")));
        dr.setCode(new CodeableConcept(new Coding("http://loinc.org", "36643-5", "XR Chest 2 Views")));
        dr.addIdentifier(new Identifier().setType(new CodeableConcept(new Coding(
                "http://terminology.hl7.org/CodeSystem/v2-0203", "ACSN", "Accession ID"))).setValue(accession));
        dr.setSubject(new Reference().setType("Patient").setIdentifier(new Identifier().setSystem("urn:oid:1.2.3").setValue("PID-1")));
        dr.addImagingStudy(new Reference("ImagingStudy/" + draftId));
        dr.addResult(new Reference("Observation/" + draftId + "-findings"));
        dr.addResult(new Reference("Observation/" + draftId + "-impression"));
        dr.setConclusion(impression);
        dr.addExtension("http://raddraft.org/fhir/StructureDefinition/supersedes", new Reference("DiagnosticReport/" + (draftId - 1)));
        Observation f = narrative(draftId, "findings", "59776-5", findings);
        Observation i = narrative(draftId, "impression", "19005-8", impression);
        ImagingStudy is = new ImagingStudy();
        is.setId(Long.toString(draftId));
        is.setStatus(ImagingStudy.ImagingStudyStatus.AVAILABLE);
        is.addIdentifier(new Identifier().setSystem("urn:dicom:uid").setValue("urn:oid:1.2.3." + draftId));
        is.setSubject(dr.getSubject());
        Device device = new Device();
        device.setId("reference-cxr-2.2.0");
        device.addDeviceName().setName("reference-cxr").setType(Device.DeviceNameType.MODELNAME);
        Provenance p = new Provenance();
        p.setId(draftId + "-v" + version);
        p.addTarget(new Reference("DiagnosticReport/" + draftId));
        p.setRecorded(new Date());
        p.addAgent().setWho(new Reference("Device/reference-cxr-2.2.0"));
        Bundle b = new Bundle().setType(Bundle.BundleType.COLLECTION);
        for (var r : java.util.List.of(dr, f, i, is, device, p)) {
            b.addEntry().setResource(r);
        }
        draftRow(draftId);
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO fhir_version (draft_id, version, draft_state, status, accession, resources, recorded_at) VALUES (?, ?, 'APPROVED_WITH_EDITS', 'final', ?, ?, ?)")) {
            ps.setLong(1, draftId);
            ps.setInt(2, version);
            ps.setString(3, accession);
            ps.setString(4, CTX.newJsonParser().encodeResourceToString(b));
            ps.setObject(5, OffsetDateTime.now());
            ps.executeUpdate();
        }
    }

    /** The study and draft rows a published version belongs to (fhir_version references the draft). */
    static void draftRow(long draftId) throws Exception {
        try (Connection c = db.connection(); Statement st = c.createStatement()) {
            st.executeUpdate("MERGE INTO study (id, study_instance_uid, state, first_instance_at, last_instance_at,"
                    + " state_changed_at) KEY (id) VALUES (" + draftId + ", '1.2.3." + draftId + "', 'DRAFTED',"
                    + " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)");
            st.executeUpdate("MERGE INTO draft (id, study_id, state, findings, impression, token_ids, token_logprobs,"
                    + " model_name, model_version, preprocess_ms, generate_ms, stable_at, drafted_at) KEY (id) VALUES ("
                    + draftId + ", " + draftId + ", 'APPROVED_WITH_EDITS', 'f', 'i', '[]', '[]', 'reference-cxr', '2.2.0',"
                    + " 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)");
        }
    }

    static Observation narrative(long draftId, String part, String loinc, String text) {
        Observation o = new Observation();
        o.setId(draftId + "-" + part);
        o.setStatus(Observation.ObservationStatus.FINAL);
        o.setCode(new CodeableConcept(new Coding("http://loinc.org", loinc, part)));
        o.setValue(new org.hl7.fhir.r4.model.StringType(text));
        return o;
    }

    static FinalReport report(long draftId, String accession, boolean correction) {
        return new FinalReport(100 + draftId, draftId, correction ? 2 : 1, correction, 1, "1.2.3." + draftId, accession,
                "20240206", false, new PatientModule("PHANTOM^Ann", "PID-1", "urn:oid:1.2.3", "19750206", "F"), "x", "y",
                "dr.jones", "Jones^Ann^^Dr", OffsetDateTime.now(), "reference-cxr", "2.2.0", true);
    }

    /** The server's DiagnosticReports with this accession, searched as a RIS would. */
    static Bundle reportsByAccession(String accession) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                server.baseUrl() + "/DiagnosticReport?identifier=" + accession)).header("Authorization", "Bearer " + TOKEN)
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return CTX.newJsonParser().parseResource(Bundle.class, r.body());
    }

    static int count(String type) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                server.baseUrl() + "/" + type + "?_summary=count")).header("Authorization", "Bearer " + TOKEN)
                .build(), HttpResponse.BodyHandlers.ofString());
        return CTX.newJsonParser().parseResource(Bundle.class, r.body()).getTotal();
    }

    @Test
    void aRetriedDeliveryUpdatesTheSameReportAndACorrectionToo() throws Exception {
        publish(11, 2, "A-RETRY", "Lungs clear.", "Normal chest.");
        String first = sender(TOKEN).send(report(11, "A-RETRY", false));
        assertTrue(first.startsWith("DiagnosticReport/"), first);
        int observations = count("Observation");
        String again = sender(TOKEN).send(report(11, "A-RETRY", false));
        assertEquals(first.substring(0, first.indexOf("/_history")), again.substring(0, again.indexOf("/_history")),
                "the retry updated the same DiagnosticReport");
        assertEquals(observations, count("Observation"), "and the same Observations");

        Bundle found = reportsByAccession("A-RETRY");
        assertEquals(1, found.getTotal(), "exactly one report for the accession after a retry");
        DiagnosticReport dr = (DiagnosticReport) found.getEntryFirstRep().getResource();
        assertEquals("Normal chest.", dr.getConclusion());
        assertEquals(DiagnosticReport.DiagnosticReportStatus.FINAL, dr.getStatus());
        assertTrue(dr.getIdentifier().stream().anyMatch(i -> SYSTEM.equals(i.getSystem()) && "A-RETRY-11".equals(i.getValue())));
        assertTrue(dr.getResult().get(0).getReference().startsWith("Observation/"), "references resolved on the server");

        publish(11, 3, "A-RETRY", "Lungs clear. Small left effusion.", "Small left pleural effusion.");
        sender(TOKEN).send(report(11, "A-RETRY", true));
        found = reportsByAccession("A-RETRY");
        assertEquals(1, found.getTotal());
        dr = (DiagnosticReport) found.getEntryFirstRep().getResource();
        assertEquals(DiagnosticReport.DiagnosticReportStatus.CORRECTED, dr.getStatus());
        assertEquals("Small left pleural effusion.", dr.getConclusion());
    }

    /**
     * Issue 21 #8: report 17 of accession 12345 is keyed {@code 12345-17}; an accession {@code 12345-17,X}
     * made draft 18's conditional URL {@code identifier=<system>|12345-17,X-18}, which FHIR reads as
     * "12345-17 OR X-18": the PUT overwrote the other patient's report. Escaped, it is a report of its own.
     */
    @Test
    void anAccessionWithSearchSeparatorsNeverMatchesAnotherReport() throws Exception {
        publish(17, 2, "12345", "Lungs clear.", "Report of patient one.");
        String first = sender(TOKEN).send(report(17, "12345", false));
        publish(18, 2, "12345-17,X", "Right lower lobe opacity.", "Report of patient two.");
        String second = sender(TOKEN).send(report(18, "12345-17,X", false));
        assertFalse(first.substring(0, first.indexOf("/_history")).equals(second.substring(0, second.indexOf("/_history"))),
                "the second report was written over the first: " + first + " / " + second);
        Bundle one = reportsByAccession(java.net.URLEncoder.encode(SYSTEM + "|12345-17", java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(1, one.getTotal());
        assertEquals("Report of patient one.", ((DiagnosticReport) one.getEntryFirstRep().getResource()).getConclusion());
        Bundle two = reportsByAccession(java.net.URLEncoder.encode(SYSTEM + "|12345-17\\,X-18",
                java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(1, two.getTotal(), "the comma is part of the identifier on the server");
        assertEquals("Report of patient two.", ((DiagnosticReport) two.getEntryFirstRep().getResource()).getConclusion());
        // and delivering it again (a retry) updates the same report, not a third one
        String again = sender(TOKEN).send(report(18, "12345-17,X", false));
        assertEquals(second.substring(0, second.indexOf("/_history")), again.substring(0, again.indexOf("/_history")));
    }

    @Test
    void a422IsPermanentWithTheServersReason() throws Exception {
        publish(12, 2, "A-REFUSED", "Lungs clear.", "Normal.");
        DeliveryException e = assertThrows(DeliveryException.Permanent.class,
                () -> sender(TOKEN).send(report(12, "A-REFUSED", false)));
        assertTrue(e.getMessage().contains("HTTP 422") && e.getMessage().contains("refused by this server's validation rules"),
                e.getMessage());
        assertEquals(0, reportsByAccession("A-REFUSED").getTotal());
    }

    @Test
    void aWrongTokenIsPermanent401() throws Exception {
        publish(13, 2, "A-TOKEN", "Lungs clear.", "Normal.");
        DeliveryException e = assertThrows(DeliveryException.Permanent.class,
                () -> sender("wrong").send(report(13, "A-TOKEN", false)));
        assertTrue(e.getMessage().contains("HTTP 401"), e.getMessage());
    }

    @Test
    void aServerOffTheNetworkIsTransient() throws Exception {
        publish(14, 2, "A-DOWN", "Lungs clear.", "Normal.");
        proxy.stop();
        try {
            assertThrows(ConnectException.class, () -> sender(TOKEN).send(report(14, "A-DOWN", false)));
        } finally {
            proxy.start();
        }
        assertTrue(sender(TOKEN).send(report(14, "A-DOWN", false)).startsWith("DiagnosticReport/"));
    }

    @Test
    void aReportNotYetPublishedIsTransient() {
        DeliveryException e = assertThrows(DeliveryException.class, () -> sender(TOKEN).send(report(15, "A-LATER", false)));
        assertFalse(e instanceof DeliveryException.Permanent);
    }
}
