package org.raddraft.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.store.Database;
import org.raddraft.testing.TestClock;

class ModelRecordsTest {

    @Test
    void aModelIsRecordedOnceWithTheManifestFirstSeen(@TempDir Path dir) throws Exception {
        TestClock clock = new TestClock(Instant.parse("2026-12-03T10:00:00Z"));
        try (Database db = Database.open("jdbc:h2:file:" + dir.resolve("db/t"), "sa", "")) {
            ModelRecords.record(db, "reference-cxr", "2.2.0", "synthetic; NOT FOR CLINICAL USE", clock);
            ModelRecords.record(db, "reference-cxr", "2.2.0", "edited manifest, same version", clock);
            ModelRecords.record(db, "site-cxr", "1.0", null, clock);
            try (Connection c = db.connection(); ResultSet rs = c.createStatement().executeQuery(
                    "SELECT name, version, intended_use FROM model ORDER BY name")) {
                assertTrue(rs.next());
                assertEquals("reference-cxr 2.2.0 synthetic; NOT FOR CLINICAL USE",
                        rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3));
                assertTrue(rs.next());
                assertEquals("site-cxr", rs.getString(1));
                assertEquals(null, rs.getString(3));
                assertFalse(rs.next());
            }
        }
    }

    @Test
    void onlyAStatedUseLiftsTheWarning() {
        assertTrue(ModelRecords.notForClinicalUse("Synthetic phantoms; NOT FOR CLINICAL USE."));
        assertTrue(ModelRecords.notForClinicalUse(null), "unknown model: the warning stays");
        assertFalse(ModelRecords.notForClinicalUse("Triage aid for adult chest radiographs"));
    }
}
