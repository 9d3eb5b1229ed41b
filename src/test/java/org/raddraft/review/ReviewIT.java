package org.raddraft.review;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.Dcmtk;

/**
 * Review through the real HTTP API of the daemon process: accounts and roles, approve/reject with
 * optimistic locking, concurrency, the audit trail, OIDC. Drafts come from studies pushed with storescu.
 */
class ReviewIT {

    static final String ISSUER = "https://idp.test/realms/hospital";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;
    static DaemonProcess daemon;
    static RSAKey idpKey;
    static String drA;
    static String drB;
    static String ris;
    static String admin;

    @BeforeAll
    static void start() throws Exception {
        idpKey = new RSAKeyGenerator(2048).keyID("idp-1").generate();
        Path jwks = Files.createDirectories(tmp.resolve("idp")).resolve("jwks.json");
        Files.writeString(jwks, new JWKSet(idpKey.toPublicJWK()).toString());
        daemon = new DaemonProcess(tmp.resolve("home"), Map.of("auth.oidc.issuer", ISSUER,
                "auth.oidc.audience", "raddraft", "auth.oidc.jwks", jwks.toString())).start();
        drA = daemon.newAccount("dr-a", "radiologist");
        drB = daemon.newAccount("dr-b", "radiologist");
        ris = daemon.newAccount("ris", "integration", "--acts-for", "dr-a");
        admin = daemon.newAccount("adm", "admin");
    }

    @AfterAll
    static void stop() throws Exception {
        daemon.close();
    }

    // --- fixtures -----------------------------------------------------------------------------------

    /** {@code n} new single-view studies pushed with storescu and drafted by the model; their draft ids. */
    static List<Long> drafts(int n) throws Exception {
        Path dir = Files.createTempDirectory(tmp, "push");
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path f = dir.resolve(i + ".dcm");
            Files.copy(DaemonProcess.APP.resolve("testdata/demo/dicom/ph-23-000034/1-PA.dcm"), f);
            files.add(f);
        }
        List<Object> args = new ArrayList<>(List.of("dcmodify", "-nb", "-gst", "-gse", "-gin"));
        args.addAll(files);
        Dcmtk.ok(args.toArray());
        List<String> uids = new ArrayList<>();
        for (Path f : files) {
            uids.add(Dcmtk.tag(f, "0020,000d"));
        }
        assertEquals(n, uids.stream().distinct().count(), "each copy is its own study");
        assertEquals(files, Dcmtk.storeAsIs(daemon.dicomPort, "PACS", files));
        return await().atMost(120, SECONDS).pollInterval(500, MILLISECONDS).until(() -> draftIds(uids),
                ids -> ids.size() == n);
    }

    static List<Long> draftIds(List<String> studyUids) throws Exception {
        List<Long> ids = new ArrayList<>();
        try (Connection c = db(); PreparedStatement ps = c.prepareStatement("""
                SELECT d.id FROM draft d JOIN study s ON s.id = d.study_id
                WHERE s.study_instance_uid = ? AND d.state = 'DRAFTED'""")) {
            for (String uid : studyUids) {
                ps.setString(1, uid);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        ids.add(rs.getLong(1));
                    }
                }
            }
        }
        return ids;
    }

    static Connection db() throws Exception {
        return daemon.db();
    }

    static Object column(String sql, Object... args) throws Exception {
        try (Connection c = db(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    static int version(long draftId) throws Exception {
        return Integer.parseInt((String) column("SELECT version FROM draft WHERE id = ?", draftId));
    }

    static String parameters(String... nameValue) throws Exception {
        var params = JSON.createObjectNode().put("resourceType", "Parameters");
        var list = params.putArray("parameter");
        for (int i = 0; i < nameValue.length; i += 2) {
            list.addObject().put("name", nameValue[i]).put("valueString", nameValue[i + 1]);
        }
        return JSON.writeValueAsString(params);
    }

    static HttpResponse<String> op(long draftId, String op, String token, Map<String, String> headers, String body)
            throws Exception {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put("Content-Type", "application/fhir+json");
        return daemon.request("POST", "/fhir/DiagnosticReport/" + draftId + "/$" + op, token, h,
                body == null ? parameters() : body);
    }

    static String diagnostics(HttpResponse<String> r) throws Exception {
        JsonNode oo = JSON.readTree(r.body());
        assertEquals("OperationOutcome", oo.path("resourceType").asText(), r.body());
        return oo.path("issue").get(0).path("diagnostics").asText();
    }

    // --- Done when 1 ----------------------------------------------------------------------------------

    @Test
    void approveWithARadiologistTokenIsFinalAttributedAndAudited() throws Exception {
        long id = drafts(1).get(0);
        HttpResponse<String> read = daemon.request("GET", "/fhir/DiagnosticReport/" + id, drA, Map.of(), null);
        assertEquals(200, read.statusCode(), read.body());
        assertEquals("preliminary", JSON.readTree(read.body()).path("status").asText());
        String etag = read.headers().firstValue("ETag").orElseThrow();
        int v = version(id);
        assertEquals("W/\"" + v + "\"", etag, "the ETag is the draft's versionId");
        assertEquals("0", column("SELECT outcome FROM audit_event WHERE action = 'read' AND draft_id = ?", id), "the read is audited");
        HttpResponse<String> r = op(id, "approve", drA, Map.of("If-Match", etag), null);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("W/\"" + (v + 1) + "\"", r.headers().firstValue("ETag").orElse(null));
        JsonNode report = JSON.readTree(r.body());
        assertEquals("DiagnosticReport", report.path("resourceType").asText(), r.body());
        assertEquals("final", report.path("status").asText());
        assertEquals(String.valueOf(v + 1), report.path("meta").path("versionId").asText());
        assertEquals("dr-a", report.path("resultsInterpreter").get(0).path("display").asText(), r.body());
        HttpResponse<String> history = daemon.request("GET", "/fhir/DiagnosticReport/" + id + "/_history", drA, Map.of(), null);
        JsonNode versions = JSON.readTree(history.body()).path("entry");
        assertEquals(2, versions.size(), history.body());
        assertTrue(history.body().contains("\"preliminary\"") && history.body().contains("\"final\""), "both versions kept");
        assertEquals("APPROVED", column("SELECT state FROM draft WHERE id = ?", id));
        assertEquals("dr-a", column("SELECT u.name FROM draft d JOIN app_user u ON u.id = d.reviewer_id WHERE d.id = ?", id));
        assertEquals("0", column("SELECT outcome FROM audit_event WHERE action = 'approve' AND draft_id = ?", id));
        assertEquals("dr-a", column("SELECT user_name FROM audit_event WHERE action = 'approve' AND draft_id = ?", id));
        assertEquals("APPROVED", column("SELECT decision FROM feedback WHERE draft_id = ?", id));
    }

    @Test
    void editedApprovalKeepsTheDraftTextAndRecordsTheEdit() throws Exception {
        long id = drafts(1).get(0);
        String drafted = (String) column("SELECT findings FROM draft WHERE id = ?", id);
        HttpResponse<String> r = op(id, "approve", drB, Map.of(),
                parameters("findings", "Heart size is normal. No pleural effusion.", "impression", "Normal chest."));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("APPROVED_WITH_EDITS", column("SELECT state FROM draft WHERE id = ?", id));
        assertEquals(drafted, column("SELECT findings FROM draft WHERE id = ?", id), "the draft text stays");
        assertEquals("Normal chest.", column("SELECT final_impression FROM draft WHERE id = ?", id));
        assertEquals("Normal chest.", JSON.readTree(r.body()).path("conclusion").asText(), "the served report has the edit");
        HttpResponse<String> first = daemon.request("GET", "/fhir/DiagnosticReport/" + id + "/_history/" + (version(id) - 1),
                drB, Map.of(), null);
        assertEquals(200, first.statusCode(), first.body());
        assertEquals(column("SELECT impression FROM draft WHERE id = ?", id), JSON.readTree(first.body()).path("conclusion").asText(),
                "the draft's own text stays in the history");
        assertTrue(((String) column("SELECT diff FROM feedback WHERE draft_id = ?", id)).contains("Normal chest."));
    }

    @Test
    void staleVersionGets412AndChangesNothing() throws Exception {
        long id = drafts(1).get(0);
        int v = version(id);
        HttpResponse<String> r = op(id, "approve", drA, Map.of("If-Match", "W/\"" + (v + 5) + "\""), null);
        assertEquals(412, r.statusCode(), r.body());
        assertTrue(diagnostics(r).contains("is at version " + v), r.body());
        assertEquals("DRAFTED", column("SELECT state FROM draft WHERE id = ?", id));
        assertEquals(v, version(id));
        assertEquals(null, column("SELECT decision FROM feedback WHERE draft_id = ?", id));
        assertEquals("4", column("SELECT outcome FROM audit_event WHERE action = 'approve' AND draft_id = ?", id));
    }

    @Test
    void amendOfAnApprovedReportCorrectsItAuditedAndRefusesWhatItMust() throws Exception {
        long id = drafts(1).get(0);
        HttpResponse<String> notYet = op(id, "amend", drA, Map.of(), parameters("impression", "Normal.", "reason", "typo"));
        assertEquals(409, notYet.statusCode(), notYet.body());
        assertTrue(diagnostics(notYet).contains("not approved yet"), notYet.body());
        assertEquals(200, op(id, "approve", drA, Map.of(), null).statusCode());
        int v = version(id);

        HttpResponse<String> noReason = op(id, "amend", drB, Map.of(), parameters("impression", "Normal."));
        assertEquals(400, noReason.statusCode(), noReason.body());
        assertTrue(diagnostics(noReason).contains("parameter 'reason' is required"), noReason.body());
        HttpResponse<String> stale = op(id, "amend", drB, Map.of("If-Match", "W/\"" + (v - 1) + "\""),
                parameters("impression", "Normal.", "reason", "wrong side"));
        assertEquals(412, stale.statusCode(), stale.body());
        assertEquals(403, op(id, "amend", admin, Map.of(), parameters("impression", "Normal.", "reason", "x")).statusCode());

        HttpResponse<String> ok = op(id, "amend", drB, Map.of("If-Match", "W/\"" + v + "\""),
                parameters("impression", "No acute abnormality.", "reason", "wrong side"));
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals("W/\"" + (v + 1) + "\"", ok.headers().firstValue("ETag").orElse(null));
        assertEquals("No acute abnormality.", column("SELECT final_impression FROM draft WHERE id = ?", id));
        assertEquals("1", column("SELECT amendments FROM draft WHERE id = ?", id));
        assertEquals("dr-b", column("SELECT u.name FROM draft d JOIN app_user u ON u.id = d.reviewer_id WHERE d.id = ?", id));
        assertEquals("wrong side", column("SELECT reason FROM draft_amendment WHERE draft_id = ?", id));
        assertEquals("0", column("SELECT outcome FROM audit_event WHERE action = 'amend' AND outcome = '0' AND draft_id = ?", id));
    }

    @Test
    void rejectWithoutReasonGets400NamingTheParameterThenRejectsWithOne() throws Exception {
        long id = drafts(1).get(0);
        HttpResponse<String> r = op(id, "reject", drA, Map.of(), null);
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(diagnostics(r).contains("parameter 'reason' is required"), r.body());
        assertEquals("DRAFTED", column("SELECT state FROM draft WHERE id = ?", id));
        HttpResponse<String> ok = op(id, "reject", drA, Map.of(), parameters("reason", "laterality wrong"));
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals("REJECTED", column("SELECT state FROM draft WHERE id = ?", id));
        assertEquals("laterality wrong", column("SELECT reject_reason FROM draft WHERE id = ?", id));
        assertEquals("entered-in-error", JSON.readTree(ok.body()).path("status").asText(), ok.body());
    }

    @Test
    void secondApprovalOfAFinalReportIsRefusedClearly() throws Exception {
        long id = drafts(1).get(0);
        assertEquals(200, op(id, "approve", drA, Map.of(), null).statusCode());
        HttpResponse<String> again = op(id, "approve", drB, Map.of(), null);
        assertEquals(409, again.statusCode(), again.body());
        assertTrue(diagnostics(again).contains("is already final (approved by dr-a"), again.body());
        assertEquals("dr-a", column("SELECT u.name FROM draft d JOIN app_user u ON u.id = d.reviewer_id WHERE d.id = ?", id));
    }

    @Test
    void noTokenGets401WithAnOperationOutcome() throws Exception {
        HttpResponse<String> r = op(1, "approve", null, Map.of(), null);
        assertEquals(401, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
        assertTrue(diagnostics(r).contains("authentication required"), r.body());
        assertEquals(401, daemon.request("GET", "/fhir/metadata", "rdk_not-a-real-token", Map.of(), null).statusCode());
        assertEquals(200, daemon.httpStatus("/health"), "health stays open");
    }

    @Test
    void radiologistCallingAnAdminOperationGets403() throws Exception {
        HttpResponse<String> r = daemon.request("GET", "/fhir/AuditEvent", drA, Map.of(), null);
        assertEquals(403, r.statusCode(), r.body());
        assertTrue(diagnostics(r).contains("role radiologist may not use FHIR AuditEvent"), r.body());
    }

    @Test
    void integrationAccountMustNameTheRadiologistItActsFor() throws Exception {
        List<Long> ids = drafts(2);
        HttpResponse<String> none = op(ids.get(0), "approve", ris, Map.of(), null);
        assertEquals(400, none.statusCode(), none.body());
        assertTrue(diagnostics(none).contains("X-Acting-For"), none.body());
        HttpResponse<String> notAllowed = op(ids.get(0), "approve", ris, Map.of("X-Acting-For", "dr-b"), null);
        assertEquals(403, notAllowed.statusCode(), notAllowed.body());
        assertEquals("DRAFTED", column("SELECT state FROM draft WHERE id = ?", ids.get(0)));
        HttpResponse<String> ok = op(ids.get(0), "approve", ris, Map.of("X-Acting-For", "dr-a"), null);
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals("dr-a", column("SELECT u.name FROM draft d JOIN app_user u ON u.id = d.reviewer_id WHERE d.id = ?", ids.get(0)));
        assertEquals("ris", column("SELECT u.name FROM draft d JOIN app_user u ON u.id = d.acting_user_id WHERE d.id = ?", ids.get(0)));
        assertEquals("dr-a", column("SELECT acting_for FROM audit_event WHERE action = 'approve' AND outcome = '0' AND draft_id = ?", ids.get(0)));
        HttpResponse<String> viaParameter = op(ids.get(1), "reject", ris, Map.of(),
                parameters("reason", "not a chest film", "practitioner", "dr-a"));
        assertEquals(200, viaParameter.statusCode(), viaParameter.body());
    }

    @Test
    void disabledUserGets401() throws Exception {
        String token = daemon.newAccount("ris-old", "integration");
        assertEquals(200, daemon.request("GET", "/fhir/metadata", token, Map.of(), null).statusCode());
        assertEquals(0, daemon.admin("users", "disable", "--name", "ris-old").exitCode());
        HttpResponse<String> r = daemon.request("GET", "/fhir/metadata", token, Map.of(), null);
        assertEquals(401, r.statusCode(), r.body());
        assertTrue(diagnostics(r).contains("disabled"), r.body());
    }

    // --- Done when 2 ----------------------------------------------------------------------------------

    @Test
    void ofTwoReviewersApprovingAtOnceExactlyOneSucceeds50Times() throws Exception {
        List<Long> ids = drafts(50);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (long id : ids) {
                int v = version(id);
                CyclicBarrier together = new CyclicBarrier(2);
                List<Future<Integer>> answers = new ArrayList<>();
                for (String token : List.of(drA, drB)) {
                    Callable<Integer> approve = () -> {
                        together.await();
                        return op(id, "approve", token, Map.of("If-Match", "W/\"" + v + "\""), null).statusCode();
                    };
                    answers.add(pool.submit(approve));
                }
                List<Integer> statuses = List.of(answers.get(0).get(), answers.get(1).get());
                assertEquals(1, statuses.stream().filter(s -> s == 200).count(), "draft " + id + ": " + statuses);
                assertTrue(statuses.stream().allMatch(s -> s == 200 || s == 409 || s == 412), "draft " + id + ": " + statuses);
                assertEquals("1", column("SELECT COUNT(*) FROM feedback WHERE draft_id = ?", id));
                assertEquals(v + 1, version(id));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // --- Done when 4 ----------------------------------------------------------------------------------

    @Test
    void adminAuditPrintsTheTrailFromArrivalToApproval() throws Exception {
        long id = drafts(1).get(0);
        String uid = (String) column("SELECT s.study_instance_uid FROM study s JOIN draft d ON d.study_id = s.id WHERE d.id = ?", id);
        assertEquals(200, op(id, "approve", drA, Map.of(), null).statusCode());
        Dcmtk.Result r = daemon.admin("audit", "--study", uid);
        assertEquals(0, r.exitCode(), r.output());
        String out = r.output();
        int received = out.indexOf("received instance");
        int drafted = out.indexOf("draft " + id + " drafted");
        int approved = out.indexOf("approve DiagnosticReport/" + id);
        assertTrue(received >= 0 && drafted > received && approved > drafted, out);
        assertTrue(out.contains("dr-a (radiologist)"), out);
        assertTrue(out.contains("from PACS") || out.contains("PACS"), out);
        JsonNode events = JSON.readTree(daemon.request("GET", "/fhir/AuditEvent?subtype=approve&entity=DiagnosticReport/" + id,
                admin, Map.of(), null).body());
        assertEquals("Bundle", events.path("resourceType").asText(), events.toString());
        JsonNode ev = events.path("entry").get(0).path("resource");
        assertEquals("dr-a", ev.path("agent").get(0).path("who").path("display").asText(), ev.toString());
        assertEquals("0", ev.path("outcome").asText());
        assertEquals("DiagnosticReport/" + id, ev.path("entity").get(0).path("what").path("reference").asText());
    }

    @Test
    void repeatedLoginFailuresAreSlowedDownAndAudited() throws Exception {
        daemon.newAccount("dr-guess", "radiologist");
        int throttled = 0;
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> r = daemon.request("POST", "/auth/session", null,
                    Map.of("Content-Type", "application/x-www-form-urlencoded"), "name=dr-guess&password=wrong" + i);
            if (r.statusCode() == 429) {
                throttled++;
                assertTrue(r.headers().firstValue("Retry-After").isPresent());
            } else {
                assertEquals(401, r.statusCode(), r.body());
            }
        }
        assertTrue(throttled >= 1, "the 5th failure in a row is throttled");
        assertTrue(Integer.parseInt((String) column("SELECT COUNT(*) FROM audit_event WHERE action = 'login-failure' AND user_name = 'dr-guess'")) >= 5);
    }

    // --- Done when 5 ----------------------------------------------------------------------------------

    @Test
    void oidcTokenFromTheConfiguredIssuerIsAcceptedAndBadOnesGet401() throws Exception {
        String good = OidcVerifierTest.jwt(idpKey, ISSUER, "raddraft", 300, List.of("radiologist"));
        HttpResponse<String> ok = daemon.request("GET", "/fhir/metadata", good, Map.of(), null);
        assertEquals(200, ok.statusCode(), ok.body());
        long id = drafts(1).get(0);
        assertEquals(200, op(id, "approve", good, Map.of(), null).statusCode());
        assertEquals("oidc", column("SELECT u.source FROM draft d JOIN app_user u ON u.id = d.reviewer_id WHERE d.id = ?", id));
        for (String bad : List.of(OidcVerifierTest.jwt(idpKey, ISSUER, "another-app", 300, "radiologist"),
                OidcVerifierTest.jwt(idpKey, ISSUER, "raddraft", -600, "radiologist"),
                OidcVerifierTest.jwt(new RSAKeyGenerator(2048).keyID("idp-9").generate(), ISSUER, "raddraft", 300, "radiologist"))) {
            HttpResponse<String> r = daemon.request("GET", "/fhir/metadata", bad, Map.of(), null);
            assertEquals(401, r.statusCode(), r.body());
            assertNotNull(diagnostics(r));
        }
    }
    @Test
    void reviewPageSessionCookieNeedsTheCsrfTokenForChanges() throws Exception {
        HttpResponse<String> login = daemon.request("POST", "/auth/session", null, Map.of("Content-Type", "application/json"),
                "{\"name\":\"dr-b\",\"password\":\"" + DaemonProcess.TEST_PASSWORD + "\"}");
        assertEquals(200, login.statusCode(), login.body());
        String cookie = login.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        assertTrue(login.headers().firstValue("Set-Cookie").get().contains("HttpOnly"));
        String csrf = JSON.readTree(login.body()).get("csrf_token").asText();
        HttpResponse<String> who = daemon.request("GET", "/auth/session", null, Map.of("Cookie", cookie), null);
        assertEquals(200, who.statusCode(), who.body());
        assertEquals("dr-b", JSON.readTree(who.body()).get("name").asText());
        assertEquals(csrf, JSON.readTree(who.body()).get("csrf_token").asText());
        long id = drafts(1).get(0);
        HttpResponse<String> forged = op(id, "approve", null, Map.of("Cookie", cookie), null);
        assertEquals(403, forged.statusCode(), forged.body());
        assertTrue(diagnostics(forged).contains("X-CSRF-Token"), forged.body());
        assertEquals("DRAFTED", column("SELECT state FROM draft WHERE id = ?", id));
        HttpResponse<String> page = op(id, "approve", null, Map.of("Cookie", cookie, "X-CSRF-Token", csrf), null);
        assertEquals(200, page.statusCode(), page.body());
        assertEquals(204, daemon.request("DELETE", "/auth/session", null, Map.of("Cookie", cookie, "X-CSRF-Token", csrf), null).statusCode());
        assertEquals(401, daemon.request("GET", "/auth/session", null, Map.of("Cookie", cookie), null).statusCode());
    }

    // --- Done when 3: endpoint x role -----------------------------------------------------------------

    /** One row of the table: what is called, and the status expected per column. */
    record Endpoint(String method, String path, String body, Map<String, Integer> expected) {
    }

    /** Expected: the request gets past authentication and authorization (anything but 401/403). */
    static final int PASSES = -1;

    static final List<String> COLUMNS = List.of("anonymous", "invalid token", "radiologist", "integration", "admin");

    static Map<String, Integer> expect(int anonymous, int invalid, int radiologist, int integration, int admin) {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("anonymous", anonymous);
        m.put("invalid token", invalid);
        m.put("radiologist", radiologist);
        m.put("integration", integration);
        m.put("admin", admin);
        return m;
    }

    /**
     * Every endpoint with every kind of caller, through the daemon's HTTP port; fails if any status
     * differs from the policy (an endpoint that lost its check answers 200 where 401/403 is expected).
     * The table goes to target/endpoint-roles.md.
     */
    @Test
    void endpointByRoleTableMatchesThePolicy() throws Exception {
        List<Long> ids = drafts(7); // one to read, two per operation on a draft
        long read = ids.get(0);
        String readUid = (String) column("SELECT s.study_instance_uid FROM study s JOIN draft d ON d.study_id = s.id WHERE d.id = ?", read);
        String login = "{\"name\":\"%s\",\"password\":\"" + DaemonProcess.TEST_PASSWORD + "\"}";
        List<Endpoint> endpoints = List.of(
                new Endpoint("GET", "/health", null, expect(200, 200, 200, 200, 200)),
                new Endpoint("GET", "/metrics", null, expect(401, 401, 403, 200, 200)),
                new Endpoint("GET", "/fhir/metadata", null, expect(401, 401, 200, 200, 200)),
                new Endpoint("GET", "/fhir/DiagnosticReport?status=preliminary", null, expect(401, 401, 200, 200, 403)),
                new Endpoint("GET", "/fhir/DiagnosticReport/" + read, null, expect(401, 401, 200, 200, 403)),
                new Endpoint("GET", "/fhir/DiagnosticReport/" + read + "/_history", null, expect(401, 401, 200, 200, 403)),
                new Endpoint("GET", "/fhir/ImagingStudy/" + read, null, expect(401, 401, 200, 200, 403)),
                new Endpoint("POST", "/fhir/DiagnosticReport/{draft}/$approve", parameters(), expect(401, 401, 200, 200, 403)),
                new Endpoint("POST", "/fhir/DiagnosticReport/{draft}/$reject", parameters("reason", "table test"),
                        expect(401, 401, 200, 200, 403)),
                // a fresh draft is not approved yet: the radiologist gets past the checks to a 409
                new Endpoint("POST", "/fhir/DiagnosticReport/{draft}/$amend", parameters("impression", "x", "reason", "t"),
                        expect(401, 401, PASSES, PASSES, 403)),
                new Endpoint("GET", "/fhir/AuditEvent?_count=5", null, expect(401, 401, 403, 403, 200)),
                new Endpoint("POST", "/auth/session", login, expect(401, 401, 200, 401, 200)),
                new Endpoint("DELETE", "/auth/session", null, expect(401, 401, 204, 204, 204)),
                new Endpoint("GET", "/auth/session", null, expect(401, 401, 200, 200, 200)),
                new Endpoint("GET", "/ui/", null, expect(200, 200, 200, 200, 200)),
                new Endpoint("GET", "/ui/admin/monitoring", null, expect(401, 401, 403, 403, 200)),
                new Endpoint("GET", "/ui/studies/" + readUid + "/instances", null, expect(401, 401, 200, 200, 403)));
        Map<String, String> accounts = Map.of("radiologist", "dr-a", "integration", "ris", "admin", "adm");
        int nextDraft = 1;
        StringBuilder table = new StringBuilder("| endpoint | " + String.join(" | ", COLUMNS) + " |\n|---|"
                + "---|".repeat(COLUMNS.size()) + "\n");
        List<String> wrong = new ArrayList<>();
        for (Endpoint e : endpoints) {
            table.append("| `").append(e.method()).append(' ')
                    .append(e.path().replace(readUid, "{uid}").replace(String.valueOf(read), "{id}"))
                    .append("` |");
            for (String column : COLUMNS) {
                String token = switch (column) {
                    case "anonymous" -> null;
                    case "invalid token" -> "rdk_this-token-was-never-issued";
                    case "radiologist" -> drA;
                    case "integration" -> ris;
                    default -> admin;
                };
                String path = e.path();
                if (path.contains("{draft}")) {
                    boolean reaches = column.equals("radiologist") || column.equals("integration");
                    path = path.replace("{draft}", String.valueOf(reaches ? ids.get(nextDraft++) : read));
                }
                if (e.method().equals("DELETE") && !column.equals("integration") && token != null
                        && !column.equals("invalid token")) {
                    token = daemon.login(accounts.get(column), DaemonProcess.TEST_PASSWORD); // a session of its own to end
                }
                String body = e.body() == null ? null
                        : e.path().equals("/auth/session") ? String.format(e.body(), accounts.getOrDefault(column, "nobody"))
                        : e.body();
                Map<String, String> headers = new LinkedHashMap<>();
                if (body != null) {
                    headers.put("Content-Type", e.path().startsWith("/fhir") ? "application/fhir+json" : "application/json");
                }
                if (column.equals("integration")) {
                    headers.put("X-Acting-For", "dr-a");
                }
                int status = daemon.request(e.method(), path, e.path().equals("/auth/session") && e.method().equals("POST")
                        ? null : token, headers, body).statusCode();
                int expected = e.expected().get(column);
                boolean ok = expected == PASSES ? status != 401 && status != 403 : status == expected;
                table.append(' ').append(status).append(ok ? "" : " (expected " + (expected == PASSES ? "not 401/403" : expected) + ")").append(" |");
                if (!ok) {
                    wrong.add(e.method() + " " + e.path() + " as " + column + ": " + status + ", expected " + expected);
                }
            }
            table.append('\n');
        }
        Path out = DaemonProcess.APP.resolve("target/endpoint-roles.md");
        Files.writeString(out, "Status per endpoint and caller, measured by ReviewIT.endpointByRoleTableMatchesThePolicy "
                + "against the daemon process\n(integration requests carry X-Acting-For: dr-a; POST /auth/session sends "
                + "the column's account name with the test password).\n\n" + table);
        assertEquals(List.of(), wrong, table.toString());
    }
}
