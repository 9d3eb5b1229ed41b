package org.raddraft.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.flags.FlagCalibration;
import org.raddraft.report.ReportLabeller;
import org.raddraft.store.Database;

/**
 * The learning-loop export (issue 26) after real decisions on a real database, with the demo phantom's
 * DICOM files as the stored images: the files' schema, the relevance weights of the pairs, the
 * generated negatives, and that nothing identifying the patient or study leaves.
 */
class LearningExportTest {

    static final Path DEMO = Path.of("testdata/demo/dicom/ph-23-000034");
    static final Path MODEL = Path.of("models/reference-cxr");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    Database db;
    DraftReview review;
    Actor dr;
    FlagCalibration weights;

    @BeforeEach
    void open() throws Exception {
        db = ReviewDb.open(dir);
        Users.User u = new Users(db, Clock.systemUTC()).add(Actor.commandLine(), "dr-a", Role.RADIOLOGIST, List.of(),
                "a long enough pass".toCharArray()).user();
        dr = new Actor(new Principal(u.id(), u.name(), Role.RADIOLOGIST, "session"), u, "10.1.1.1");
        review = new DraftReview(db, Clock.systemUTC(), (c, id, corr) -> { }, ReportLabeller.withDefaultLexicon());
        weights = FlagCalibration.read(MODEL.resolve(FlagCalibration.FILE));
    }

    @AfterEach
    void close() {
        db.close();
    }

    /** A draft of a study whose two views are the demo phantom's files (spool = testdata/demo/dicom). */
    long draft(String uid, String findings, String impression) throws Exception {
        long id = ReviewDb.draft(db, uid, findings, impression);
        long study = ((Number) ReviewDb.value(db, "SELECT study_id FROM draft WHERE id = ?", id)).longValue();
        try (Connection c = db.connection()) {
            for (String[] v : new String[][] {{"1-PA.dcm", "PA"}, {"2-LL.dcm", "LL"}}) {
                try (PreparedStatement ps = c.prepareStatement("""
                        INSERT INTO instance (study_id, sop_instance_uid, series_instance_uid, sop_class_uid,
                            transfer_syntax_uid, view_position, path, size_bytes, received_at)
                        VALUES (?, ?, '1.2.3', '1.2.840.10008.5.1.4.1.1.1', '1.2.840.10008.1.2.1', ?, ?, 1, ?)""")) {
                    ps.setLong(1, study);
                    ps.setString(2, uid + "." + id + "." + v[0].charAt(0));
                    ps.setString(3, v[1]);
                    ps.setString(4, "ph-23-000034/" + v[0]);
                    ps.setObject(5, OffsetDateTime.now());
                    ps.executeUpdate();
                }
            }
        }
        return id;
    }

    LearningExport.Counts export(Path out) throws Exception {
        try (Connection c = db.connection()) {
            return new LearningExport(weights, DEMO.getParent()).write(c, out);
        }
    }

    static List<JsonNode> lines(Path f) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(f, StandardCharsets.UTF_8)) {
            out.add(JSON.readTree(l));
        }
        return out;
    }

    @Test
    void editedDraftBecomesAPairWeightedByTheClinicalRelevanceOfWhatChanged() throws Exception {
        long id = draft("1.2.826.0.1.3680043.99.1",
                "Heart size is normal. There is a small left pleural effusion. No pneumothorax.",
                "Small left pleural effusion.");
        review.approve(id, null, dr, "Heart size is normal. No pleural effusion. There is a large right pneumothorax.",
                "Large right pneumothorax.");
        Path out = dir.resolve("export");
        LearningExport.Counts k = export(out);
        assertEquals(1, k.sft());
        assertEquals(1, k.pairs());
        JsonNode pair = lines(out.resolve("pairs.jsonl")).get(0);
        assertEquals(id, pair.get("draft_id").asLong());
        assertEquals("review", pair.get("source").asText());
        assertTrue(pair.get("chosen").asText().contains("large right pneumothorax"), pair.toString());
        assertTrue(pair.get("rejected").asText().contains("small left pleural effusion"), pair.toString());
        Map<String, JsonNode> changed = new java.util.TreeMap<>();
        pair.get("changed").forEach(c -> changed.put(c.get("observation").asText(), c));
        assertEquals(List.of("Pleural Effusion", "Pneumothorax"), new ArrayList<>(changed.keySet()));
        assertEquals("PRESENT", changed.get("Pneumothorax").get("final").asText());
        assertEquals("ABSENT", changed.get("Pneumothorax").get("draft").asText());
        assertTrue(changed.get("Pneumothorax").get("critical").asBoolean());
        // weight = sum of relevance x (2 when critical): pneumothorax 1.0 x 2 + pleural effusion 0.7 x 2
        double expected = weights.relevanceOf("Pneumothorax") * 2 + weights.relevanceOf("Pleural Effusion") * 2;
        assertEquals(expected, pair.get("weight").asDouble(), 1e-9);
        assertEquals("images/" + id + "-frontal.png", pair.get("images").get("frontal").asText());
        assertTrue(Files.size(out.resolve(pair.get("images").get("lateral").asText())) > 1000);
        JsonNode sft = lines(out.resolve("sft.jsonl")).get(0);
        assertEquals("FINDINGS: Heart size is normal. No pleural effusion. There is a large right pneumothorax. "
                + "IMPRESSION: Large right pneumothorax.", sft.get("text").asText());
    }

    @Test
    void wordingOnlyEditWeighsLittleAndFindingEditsOutweighIt() throws Exception {
        long a = draft("1.2.826.0.1.3680043.99.2", "Heart size is normal. Lungs are clear.", "No acute disease.");
        review.approve(a, null, dr, null, "Normal chest.");
        LearningExport.Counts k = export(dir.resolve("export"));
        assertEquals(1, k.pairs());
        JsonNode pair = lines(dir.resolve("export/pairs.jsonl")).get(0);
        assertEquals(LearningExport.WORDING_WEIGHT, pair.get("weight").asDouble(), 1e-9);
        assertEquals(0, pair.get("changed").size());
    }

    @Test
    void approvedAsDraftedIsSftOnlyAndRejectedKeepsItsReason() throws Exception {
        long a = draft("1.2.826.0.1.3680043.99.3", "Heart size is normal. Lungs are clear.", "Normal chest.");
        long b = draft("1.2.826.0.1.3680043.99.4", "Small left effusion.", "Left pleural effusion.");
        review.approve(a, null, dr, null, null);
        review.reject(b, null, dr, "3 findings wrong: Pneumothorax, Fracture, Edema");
        LearningExport.Counts k = export(dir.resolve("export"));
        assertEquals(new LearningExport.Counts(1, 0, 1, 0, 4, 0), k);
        JsonNode rej = lines(dir.resolve("export/rejected.jsonl")).get(0);
        assertEquals(b, rej.get("draft_id").asLong());
        assertEquals("3 findings wrong: Pneumothorax, Fracture, Edema", rej.get("reason").asText());
        assertEquals("FINDINGS: Small left effusion. IMPRESSION: Left pleural effusion.", rej.get("draft").asText());
        assertEquals("APPROVED", lines(dir.resolve("export/sft.jsonl")).get(0).get("decision").asText());
    }

    @Test
    void negativesNoiseTheFindingsSideRemoveItAndMoveItToTheOtherSide() throws Exception {
        long id = draft("1.2.826.0.1.3680043.99.5", "Heart size is normal. There is a large right pneumothorax.",
                "Large right pneumothorax.");
        review.approve(id, null, dr, null, null);
        export(dir.resolve("export"));
        Map<String, JsonNode> byKind = lines(dir.resolve("export/negatives.jsonl")).stream()
                .filter(n -> n.get("observation").asText().equals("Pneumothorax"))
                .collect(Collectors.toMap(n -> n.get("kind").asText(), n -> n));
        assertEquals(java.util.Set.of("image_region_noised", "finding_removed", "finding_side_swapped"), byKind.keySet());
        double critical = weights.relevanceOf("Pneumothorax") * 2;
        byKind.values().forEach(n -> assertEquals(critical, n.get("weight").asDouble(), 1e-9));
        JsonNode image = byKind.get("image_region_noised");
        JsonNode box = image.get("region").get("box");
        // the patient's right is the image's left half
        assertTrue(box.get(0).asDouble() < 0.5 && box.get(2).asDouble() <= 0.5, box.toString());
        assertTrue(image.get("text").asText().contains("right pneumothorax"));
        JsonNode removed = byKind.get("finding_removed");
        assertFalse(removed.get("rejected").asText().toLowerCase().contains("pneumothorax"), removed.toString());
        assertTrue(removed.get("chosen").asText().contains("right pneumothorax"));
        JsonNode moved = byKind.get("finding_side_swapped");
        assertTrue(moved.get("rejected").asText().contains("large left pneumothorax"), moved.toString());
        assertTrue(moved.get("rejected").asText().contains("Large left pneumothorax."), moved.toString());
    }

    @Test
    void draftWhoseImagesAreGoneIsLeftOutAndCounted() throws Exception {
        long a = draft("1.2.826.0.1.3680043.99.6", "Heart size is normal.", "Normal chest.");
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(
                "UPDATE instance SET path = 'purged/none.dcm' WHERE study_id = (SELECT study_id FROM draft WHERE id = ?)")) {
            ps.setLong(1, a);
            assertEquals(2, ps.executeUpdate());
        }
        review.approve(a, null, dr, null, null);
        assertEquals(new LearningExport.Counts(0, 0, 0, 0, 0, 1), export(dir.resolve("export")));
        assertEquals(0, Files.size(dir.resolve("export/sft.jsonl")));
    }

    @Test
    void exportCarriesNoPatientOrStudyIdentifier() throws Exception {
        long a = draft("2.25.115408923922988674022181470727913381786", "Heart size is normal. Right pleural effusion.",
                "Right pleural effusion.");
        review.approve(a, null, dr, "Heart size is normal. Left pleural effusion.", "Left pleural effusion.");
        Path out = dir.resolve("export");
        export(out);
        List<Path> files;
        try (Stream<Path> s = Files.walk(out)) {
            files = s.filter(Files::isRegularFile).toList();
        }
        assertTrue(files.stream().anyMatch(p -> p.toString().endsWith(".png")));
        for (Path f : files) {
            String content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
            for (String identifier : List.of("PHANTOM^0034", "PH-23-000034", "A23000034",
                    "2.25.115408923922988674022181470727913381786", "2.25.171225149534526637397526677647541788981",
                    "ph-23-000034", "dr-a")) {
                assertFalse(content.contains(identifier), f.getFileName() + " contains " + identifier);
            }
        }
    }
}
