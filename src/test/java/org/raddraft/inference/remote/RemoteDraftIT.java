package org.raddraft.inference.remote;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.Dcmtk;
import org.raddraft.testing.OpenAiPeer;

/**
 * The daemon process drafts through the remote backend against two engine stand-ins
 * ({@link OpenAiPeer}, which drafts with the reference model: vLLM cannot run here), with the
 * example MedGemma model directory: DCMTK pushes, the FHIR draft, the prompt's inputs, failover,
 * waiting while every engine is down, malformed answers, and what left the machine.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RemoteDraftIT {

    static final String NAME = "Lindqvist^Astrid^Maria";
    static final String PATIENT_ID = "RD-4471902";
    static final String BIRTH = "19480715";
    static final String PRIOR_ACCESSION = "ACC55120";
    static final String ACCESSION = "ACC55199";
    static final String INDICATION = "Astrid Lindqvist (MRN RD-4471902, DOB 15.07.1948): fever and productive cough "
            + "since 2026-11-28, ACC55199";
    static final String MODEL = "google/medgemma-4b-it";

    @TempDir
    static Path tmp;
    static OpenAiPeer primary;
    static OpenAiPeer secondary;
    static DaemonProcess daemon;
    static int seq;

    @BeforeAll
    static void start() throws Exception {
        Path model = OpenAiPeer.referenceModel();
        primary = OpenAiPeer.start(OpenAiPeer.Options.of(model).withServedModelName(MODEL).withApiKey("k-it-1"));
        secondary = OpenAiPeer.start(OpenAiPeer.Options.of(model).withServedModelName(MODEL).withApiKey("k-it-1"));
        Map<String, String> cfg = new LinkedHashMap<>();
        cfg.put("model.dir", DaemonProcess.APP.resolve("models/remote-medgemma-example").toString());
        cfg.put("remote.endpoints", primary.baseUrl() + "," + secondary.baseUrl());
        cfg.put("remote.timeout-seconds", "4");
        cfg.put("remote.breaker.failures", "2");
        cfg.put("remote.breaker.open-seconds", "2");
        cfg.put("remote.backoff-ms", "20");
        cfg.put("remote.max-concurrent", "2");
        cfg.put("draft.retry-seconds", "1");
        cfg.put("draft.max-attempts", "2");
        daemon = new DaemonProcess(tmp.resolve("home"), cfg).env("RADDRAFT_REMOTE_API_KEY", "k-it-1").start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
        primary.close();
        secondary.close();
    }

    @BeforeEach
    void healthyEngines() {
        primary.reset();
        secondary.reset();
    }

    /** A phantom study as a new study of the test patient, with these extra attributes (dcmodify -i). */
    static List<Path> study(String accession, String studyDate, String... extra) throws Exception {
        Path src = DaemonProcess.APP.resolve("testdata/phantoms/dicom/ph-23-00000" + (seq % 6));
        Path dir = Files.createDirectories(tmp.resolve("in/" + (seq++)));
        List<Path> out = new ArrayList<>();
        String studyUid = "1.2.826.0.1.3680043.10.1417." + System.nanoTime();
        int n = 0;
        for (String f : List.of("1-", "2-")) {
            Path in = Files.list(src).filter(p -> p.getFileName().toString().startsWith(f)).findFirst().orElseThrow();
            Path copy = Files.copy(in, dir.resolve(in.getFileName()));
            List<Object> args = new ArrayList<>(List.of("dcmodify", "-nb", "-gse", "-gin",
                    "-i", "(0020,000d)=" + studyUid, "-i", "(0010,0010)=" + NAME, "-i", "(0010,0020)=" + PATIENT_ID,
                    "-i", "(0010,0030)=" + BIRTH, "-i", "(0008,0050)=" + accession, "-i", "(0008,0020)=" + studyDate));
            for (String e : extra) {
                args.add("-i");
                args.add(e);
            }
            args.add(copy);
            Dcmtk.ok(args.toArray());
            out.add(copy);
            n++;
        }
        assertEquals(n, Dcmtk.storeAsIs(daemon.dicomPort, "PACS", out).size());
        return out;
    }

    static String uid(List<Path> study) throws Exception {
        return Dcmtk.tag(study.get(0), "0020,000d");
    }

    static JsonNode awaitState(String uid, String state, int seconds) {
        return await().atMost(seconds, SECONDS).pollInterval(300, MILLISECONDS)
                .until(() -> daemon.study(uid), s -> s != null && s.get("state").asText().equals(state));
    }

    /** Columns of the study's DRAFTED draft. */
    static Map<String, String> draft(String uid) throws Exception {
        try (Connection c = daemon.db();
             var ps = c.prepareStatement("""
                     SELECT d.id, d.findings, d.impression, d.model_name, d.inputs_sent, d.unavailable,
                       d.unavailable_reasons, d.engine_endpoint, d.engine_ms, d.wait_ms,
                       (SELECT COUNT(*) FROM draft x WHERE x.study_id = s.id) AS drafts
                     FROM draft d JOIN study s ON s.id = d.study_id
                     WHERE s.study_instance_uid = ? AND d.state IN ('DRAFTED', 'APPROVED', 'APPROVED_WITH_EDITS')""")) {
            ps.setString(1, uid);
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next(), "a draft of " + uid);
                Map<String, String> m = new LinkedHashMap<>();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    m.put(rs.getMetaData().getColumnLabel(i).toLowerCase(Locale.ROOT), rs.getString(i));
                }
                return m;
            }
        }
    }

    static JsonNode fhir(String path) throws Exception {
        HttpResponse<String> r = daemon.request("GET", path, daemon.token("integration"),
                Map.of("Accept", "application/fhir+json"), null);
        assertEquals(200, r.statusCode(), r.body());
        return new ObjectMapper().readTree(r.body());
    }

    @Test
    @Order(1)
    void aPushedStudyIsDraftedRemotelyWithTheIndicationAndThePatientsPriorReport() throws Exception {
        // the patient's earlier study, drafted and approved by a radiologist
        List<Path> prior = study(PRIOR_ACCESSION, "20260601");
        awaitState(uid(prior), "DRAFTED", 90);
        String priorId = draft(uid(prior)).get("id");
        HttpResponse<String> approved = daemon.request("POST", "/fhir/DiagnosticReport/" + priorId + "/$approve",
                daemon.token("radiologist"), Map.of(), null);
        assertEquals(200, approved.statusCode(), approved.body());
        String priorFindings = draft(uid(prior)).get("findings");
        primary.clearRequests();

        List<Path> current = study(ACCESSION, "20261201", "(0032,1030)=" + INDICATION);
        awaitState(uid(current), "DRAFTED", 90);
        Map<String, String> d = draft(uid(current));
        assertEquals("medgemma-4b-it", d.get("model_name"));
        assertEquals("frontal,lateral,indication,prior_report", d.get("inputs_sent"));
        assertEquals("127.0.0.1:" + primary.port(), d.get("engine_endpoint"));
        assertFalse(d.get("findings").isBlank());

        // what the engine got: the scrubbed indication and the prior report with its interval
        JsonNode request = primary.chatRequests().stream().filter(r -> !r.path("prompt_logprobs").isNumber())
                .findFirst().orElseThrow();
        String prompt = request.path("messages").get(1).path("content").get(0).path("text").asText();
        assertTrue(prompt.contains("fever and productive cough"), prompt);
        assertTrue(prompt.contains("6 months earlier"), prompt);
        String firstPriorSentence = priorFindings.split("\\.")[0];
        assertTrue(prompt.contains(firstPriorSentence), prompt);
        assertEquals(MODEL, request.path("model").asText());

        // flags: every code is either measured or stated unavailable with its reason
        JsonNode reasons = new ObjectMapper().readTree(d.get("unavailable_reasons"));
        for (String code : d.get("unavailable").split(",")) {
            assertFalse(reasons.path(code).asText().isBlank(), code + " without a reason: " + reasons);
        }

        // FHIR: AI-asserted preliminary report; Provenance's agent is the remote model's Device
        JsonNode bundle = fhir("/fhir/DiagnosticReport?_id=" + d.get("id") + "&_revinclude=Provenance:target");
        JsonNode report = null;
        JsonNode provenance = null;
        for (JsonNode e : bundle.path("entry")) {
            String type = e.path("resource").path("resourceType").asText();
            if (type.equals("DiagnosticReport")) {
                report = e.path("resource");
            } else if (type.equals("Provenance")) {
                provenance = e.path("resource");
            }
        }
        assertNotNull(report, bundle.toString());
        assertNotNull(provenance, bundle.toString());
        assertEquals("preliminary", report.path("status").asText());
        assertEquals("AIAST", report.path("meta").path("security").get(0).path("code").asText());
        // the flags it has no value for are stated on the report, each with the reason the draft recorded
        Map<String, String> stated = new java.util.TreeMap<>();
        for (JsonNode x : report.path("extension")) {
            if (x.path("url").asText().endsWith("/StructureDefinition/flag-unavailable")) {
                String code = null;
                String reason = null;
                for (JsonNode part : x.path("extension")) {
                    if (part.path("url").asText().equals("code")) {
                        code = part.path("valueCoding").path("code").asText();
                    } else if (part.path("url").asText().equals("reason")) {
                        reason = part.path("valueString").asText();
                    }
                }
                stated.put(code, reason);
            }
        }
        Map<String, String> recorded = new java.util.TreeMap<>();
        for (String code : d.get("unavailable").split(",")) {
            recorded.put(code, reasons.path(code).asText());
        }
        assertFalse(recorded.isEmpty(), "the peer cannot score every flag: some are unavailable");
        assertEquals(recorded, stated, report.toString());
        // and raddraft admin draft names them with their reasons (text and --json)
        JsonNode listed = daemon.adminJson("draft", "--study", uid(current));
        for (Map.Entry<String, String> e : recorded.entrySet()) {
            assertEquals(e.getValue(), listed.path("unavailable_reasons").path(e.getKey()).asText(), listed.toString());
        }
        Dcmtk.Result text = daemon.admin("draft", "--study", uid(current));
        assertEquals(0, text.exitCode(), text.output());
        for (String reason : recorded.values()) {
            assertTrue(text.output().contains(reason), text.output());
        }
        JsonNode device = fhir("/fhir/" + provenance.path("agent").get(0).path("who").path("reference").asText());
        assertEquals("medgemma-4b-it", device.path("deviceName").get(0).path("name").asText());
        // the review page's worklist (preliminary reports) and image list show it
        JsonNode worklist = fhir("/fhir/DiagnosticReport?status=preliminary");
        assertTrue(worklist.toString().contains("\"id\":\"" + d.get("id") + "\""), worklist.toString());
        HttpResponse<String> images = daemon.request("GET", "/ui/studies/" + uid(current) + "/instances",
                daemon.token("radiologist"), Map.of(), null);
        assertEquals(200, images.statusCode(), images.body());
        assertEquals(2, new ObjectMapper().readTree(images.body()).size(), images.body());
    }

    @Test
    @Order(2)
    void noPatientIdentifierLeavesTheMachine() throws Exception {
        List<String> forbidden = new ArrayList<>(List.of(PATIENT_ID, "4471902", BIRTH, "15.07.1948", "1948-07-15",
                PRIOR_ACCESSION, ACCESSION, "55120", "55199"));
        for (String part : NAME.split("\\^")) {
            forbidden.add(part);
        }
        List<OpenAiPeer.Recorded> all = new ArrayList<>(primary.requests());
        all.addAll(secondary.requests());
        assertFalse(all.isEmpty());
        List<String> hits = new ArrayList<>();
        for (OpenAiPeer.Recorded r : all) {
            String text = r.asText().toLowerCase(Locale.ROOT);
            for (String f : forbidden) {
                if (text.contains(f.toLowerCase(Locale.ROOT))) {
                    hits.add(f + " in " + r.method() + " " + r.path());
                }
            }
        }
        assertEquals(List.of(), hits, "header values sent to the engine");
    }

    @Test
    @Order(3)
    void aPrimaryAnswering503OrTooSlowlyLeavesTheDraftToTheSecondary() throws Exception {
        primary.fault(OpenAiPeer.Fault.STATUS_503);
        List<Path> a = study("ACC60001", "20261202");
        awaitState(uid(a), "DRAFTED", 90);
        assertEquals("127.0.0.1:" + secondary.port(), draft(uid(a)).get("engine_endpoint"));

        primary.reset();
        Thread.sleep(2500); // the primary's circuit (open 2 s) lets a trial request through again
        primary.delay(Duration.ofSeconds(8)); // past remote.timeout-seconds=4
        List<Path> b = study("ACC60002", "20261203");
        awaitState(uid(b), "DRAFTED", 90);
        assertEquals("127.0.0.1:" + secondary.port(), draft(uid(b)).get("engine_endpoint"));
        assertTrue(daemon.http("/metrics").contains("raddraft_remote_errors_total{endpoint=\"127.0.0.1:" + primary.port()
                + "\",kind=\"timeout\"}"), "per-endpoint errors in /metrics");
    }

    @Test
    @Order(4)
    void withEveryEngineDownStudiesWaitAndAreAllDraftedOnceOneIsBack() throws Exception {
        primary.fault(OpenAiPeer.Fault.STATUS_503);
        secondary.fault(OpenAiPeer.Fault.DROP_CONNECTION);
        List<String> uids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            uids.add(uid(study("ACC6100" + i, "20261204")));
        }
        for (String u : uids) {
            JsonNode s = await().atMost(60, SECONDS).pollInterval(300, MILLISECONDS).until(() -> daemon.study(u),
                    x -> x != null && x.get("state").asText().equals("FAILED"));
            assertTrue(s.get("reason").asText().contains("no drafting engine answered"), s.toString());
            assertTrue(s.get("reason").asText().contains("waiting"), s.toString());
        }
        Thread.sleep(4000); // several retry rounds (draft.retry-seconds=1, max-attempts=2) while both stay down
        JsonNode ready = new ObjectMapper().readTree(daemon.request("GET", "/health/ready", null, Map.of(), null).body());
        assertTrue(ready.toString().contains("open"), "readiness shows the endpoints' circuits: " + ready);
        for (String u : uids) {
            JsonNode st = daemon.study(u);
            assertTrue(List.of("FAILED", "DRAFTING").contains(st.get("state").asText()), "still waiting, not given up: " + st);
            assertFalse(st.get("reason").asText("").contains("not retried"), st.toString());
        }
        secondary.reset();
        for (String u : uids) {
            awaitState(u, "DRAFTED", 60);
            assertEquals("1", draft(u).get("drafts"), "drafted exactly once");
        }
    }

    @Test
    @Order(5)
    void aMalformedAnswerFailsTheStudyWithAClearReason() throws Exception {
        primary.fault(OpenAiPeer.Fault.MALFORMED_JSON);
        secondary.fault(OpenAiPeer.Fault.MALFORMED_JSON);
        String u = uid(study("ACC62001", "20261205"));
        JsonNode s = await().atMost(60, SECONDS).pollInterval(300, MILLISECONDS).until(() -> daemon.study(u),
                x -> x != null && x.get("reason").asText("").contains("not retried"));
        assertEquals("FAILED", s.get("state").asText());
        assertTrue(s.get("reason").asText().startsWith("malformed answer from 127.0.0.1:"), s.toString());
        primary.fault(OpenAiPeer.Fault.EMPTY_CHOICES);
        secondary.fault(OpenAiPeer.Fault.EMPTY_CHOICES);
        String v = uid(study("ACC62002", "20261205"));
        s = await().atMost(60, SECONDS).pollInterval(300, MILLISECONDS).until(() -> daemon.study(v),
                x -> x != null && x.get("reason").asText("").contains("not retried"));
        assertTrue(s.get("reason").asText().contains("no choices"), s.toString());
    }
}
