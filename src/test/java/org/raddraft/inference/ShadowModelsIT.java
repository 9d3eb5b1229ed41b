package org.raddraft.inference;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.Dcmtk;

/**
 * Done when 2 of issue 26, through the daemon process: a candidate model (the reference model's
 * directory under another version, decoding at most 40 tokens so that its figures differ) drafts in
 * shadow beside the active model without its drafts being served; the radiologists' decisions through
 * FHIR give both models agreement figures ({@code admin models list}); promote and rollback change
 * which model drafts the next study, each audited.
 */
class ShadowModelsIT {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String CANDIDATE = "2.2.0-shadow-it";

    @TempDir
    static Path tmp;
    static DaemonProcess daemon;
    static Path candidate;
    static String activeVersion;

    @BeforeAll
    static void start() throws Exception {
        candidate = TestModels.copyOf(DaemonProcess.APP.resolve("models/reference-cxr"), tmp.resolve("candidate"));
        ObjectNode manifest = (ObjectNode) JSON.readTree(candidate.resolve(ModelDirectory.MANIFEST).toFile());
        activeVersion = manifest.get("version").asText();
        manifest.put("version", CANDIDATE);
        JSON.writeValue(candidate.resolve(ModelDirectory.MANIFEST).toFile(), manifest);
        ObjectNode gen = (ObjectNode) JSON.readTree(candidate.resolve(ModelDirectory.GENERATION_CONFIG).toFile());
        gen.put("max_length", 40);
        JSON.writeValue(candidate.resolve(ModelDirectory.GENERATION_CONFIG).toFile(), gen);
        daemon = new DaemonProcess(tmp.resolve("home"), Map.of()).start();
    }

    @AfterAll
    static void stop() throws Exception {
        daemon.close();
    }

    @Test
    void candidateInShadowThenPromotedAndRolledBack() throws Exception {
        // a copy under the active model's version is refused: a draft must say which model made it
        Path sameVersion = TestModels.copyOf(DaemonProcess.APP.resolve("models/reference-cxr"), tmp.resolve("same"));
        var refused = daemon.admin("models", "shadow", sameVersion.toString());
        assertEquals(1, refused.exitCode(), refused.output());
        assertTrue(refused.output().contains("give the candidate its own version"), refused.output());

        var shadow = daemon.admin("models", "shadow", candidate.toString());
        assertEquals(0, shadow.exitCode(), shadow.output());
        assertEquals(1, audits("model-shadow"), "admin models shadow is audited");
        await().atMost(60, SECONDS).until(() -> daemon.log().contains("reference-cxr " + CANDIDATE + " drafts in shadow"));

        // six phantom studies: drafted by the active model, and again, unseen, by the candidate
        List<Path> files;
        try (Stream<Path> walk = Files.walk(DaemonProcess.APP.resolve("testdata/phantoms/dicom"))) {
            files = walk.filter(p -> p.toString().endsWith(".dcm")).sorted().toList();
        }
        assertEquals(files, Dcmtk.storeAsIs(daemon.dicomPort, "PACS", files));
        List<Long> drafts = await().atMost(120, SECONDS).pollInterval(500, MILLISECONDS)
                .until(() -> longs("SELECT id FROM draft WHERE state = 'DRAFTED' ORDER BY id"), ids -> ids.size() == 6);
        await().atMost(120, SECONDS).pollInterval(500, MILLISECONDS)
                .until(() -> longs("SELECT id FROM shadow_draft WHERE model_version = ?", CANDIDATE).size() == 6);
        assertEquals(List.of(activeVersion), strings("SELECT DISTINCT model_version FROM draft"),
                "every served draft is the active model's");

        // the worklist holds the six active drafts only; the shadow drafts are nowhere in FHIR
        String radiologist = daemon.newAccount("dr-shadow", "radiologist");
        HttpResponse<String> worklist = daemon.request("GET", "/fhir/DiagnosticReport?status=preliminary&_count=50",
                radiologist, Map.of(), null);
        assertEquals(200, worklist.statusCode(), worklist.body());
        assertEquals(6, JSON.readTree(worklist.body()).path("entry").size(), worklist.body());
        assertFalse(worklist.body().contains(CANDIDATE), "no trace of the shadow model in the worklist");

        // decisions through FHIR: five approved as drafted, one edited
        for (int i = 0; i < drafts.size(); i++) {
            String body = i == 0 ? parameters("findings", "Heart size is normal. Small left pleural effusion.",
                    "impression", "Small left pleural effusion.") : parameters();
            HttpResponse<String> r = daemon.request("POST", "/fhir/DiagnosticReport/" + drafts.get(i) + "/$approve",
                    radiologist, Map.of("Content-Type", "application/fhir+json"), body);
            assertEquals(200, r.statusCode(), r.body());
        }
        JsonNode models = daemon.adminJson("models", "list");
        JsonNode active = model(models, activeVersion);
        JsonNode cand = model(models, CANDIDATE);
        assertEquals("active", active.get("slot").asText(), models.toString());
        assertEquals("shadow", cand.get("slot").asText(), models.toString());
        assertEquals(6, active.get("compared").asLong(), models.toString());
        assertEquals(6, cand.get("compared").asLong(), models.toString());
        assertEquals(6, cand.get("shadow_drafts").asLong(), models.toString());
        assertEquals(0, cand.get("drafts").asLong(), "the candidate made no served draft");
        assertEquals(5.0 / 6, active.get("acceptance").asDouble(), 1e-9, models.toString());
        assertTrue(cand.get("acceptance").isNull(), "a shadow model's drafts were never shown: " + models);
        assertTrue(active.get("edit_distance").asDouble() < cand.get("edit_distance").asDouble(),
                "the 40-token candidate is further from the final reports: " + models);
        assertTrue(active.get("label_f1").isNumber() && cand.get("label_f1").isNumber(), models.toString());
        assertTrue(cand.get("critical_errors").isNumber(), models.toString());
        var table = daemon.admin("models", "list");
        assertTrue(table.output().contains(CANDIDATE) && table.output().contains("shadow"), table.output());

        // promote: the candidate drafts the next study
        var promote = daemon.admin("models", "promote", CANDIDATE);
        assertEquals(0, promote.exitCode(), promote.output());
        assertEquals(1, audits("model-promote"));
        await().atMost(60, SECONDS).until(() -> daemon.log().contains("reference-cxr " + CANDIDATE + " now drafts"));
        assertEquals(CANDIDATE, draftNewStudy("after-promote.dcm"));
        assertEquals(CANDIDATE, new com.fasterxml.jackson.databind.ObjectMapper().readTree(daemon.http("/health/ready"))
                .path("checks").path("model").path("version").asText(), "/health names the model drafting now");
        JsonNode afterPromote = daemon.adminJson("models", "list");
        assertEquals("active", model(afterPromote, CANDIDATE).get("slot").asText(), afterPromote.toString());
        assertEquals("", model(afterPromote, activeVersion).get("slot").asText(), "the shadow slot is empty now");

        // rollback: the earlier model drafts the next study
        var rollback = daemon.admin("models", "rollback");
        assertEquals(0, rollback.exitCode(), rollback.output());
        assertTrue(rollback.output().contains("reference-cxr " + activeVersion + " drafts the next study"), rollback.output());
        assertEquals(1, audits("model-rollback"));
        await().atMost(60, SECONDS).until(() -> daemon.log().contains("reference-cxr " + activeVersion + " now drafts"));
        assertEquals(activeVersion, draftNewStudy("after-rollback.dcm"));
        assertEquals(List.of("cli:" + System.getProperty("user.name")),
                strings("SELECT DISTINCT user_name FROM audit_event WHERE action LIKE 'model-%'"));

        var again = daemon.admin("models", "promote", "9.9.9-unknown");
        assertEquals(1, again.exitCode(), again.output());
        assertTrue(again.output().contains("no model of version 9.9.9-unknown"), again.output());
    }

    /** A new single-view study pushed and drafted; the version of the model that drafted it. */
    static String draftNewStudy(String name) throws Exception {
        Path f = Files.createDirectories(tmp.resolve("in")).resolve(name);
        Files.copy(DaemonProcess.APP.resolve("testdata/demo/dicom/ph-23-000034/1-PA.dcm"), f);
        Dcmtk.ok("dcmodify", "-nb", "-gst", "-gse", "-gin", f);
        String uid = Dcmtk.tag(f, "0020,000d");
        assertEquals(1, Dcmtk.storescu("PACS", daemon.dicomPort, f).storedFiles().size());
        return await().atMost(90, SECONDS).pollInterval(500, MILLISECONDS).until(() -> {
            List<String> v = strings("SELECT d.model_version FROM draft d JOIN study s ON s.id = d.study_id"
                    + " WHERE s.study_instance_uid = ?", uid);
            return v.isEmpty() ? null : v.get(0);
        }, v -> v != null);
    }

    static JsonNode model(JsonNode list, String version) {
        for (JsonNode m : list) {
            if (m.get("version").asText().equals(version)) {
                return m;
            }
        }
        throw new AssertionError("no model " + version + " in " + list);
    }

    static long audits(String action) throws Exception {
        return longs("SELECT id FROM audit_event WHERE action = ? AND outcome = '0' AND entity_type = 'Model'", action)
                .size();
    }

    static String parameters(String... nameValue) throws Exception {
        ObjectNode params = JSON.createObjectNode().put("resourceType", "Parameters");
        var list = params.putArray("parameter");
        for (int i = 0; i < nameValue.length; i += 2) {
            list.addObject().put("name", nameValue[i]).put("valueString", nameValue[i + 1]);
        }
        return JSON.writeValueAsString(params);
    }

    static List<Long> longs(String sql, Object... args) throws Exception {
        return strings(sql, args).stream().map(Long::parseLong).toList();
    }

    static List<String> strings(String sql, Object... args) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = daemon.db(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }
}
