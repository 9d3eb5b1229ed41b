package org.raddraft.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.store.Database;

/** The review-to-delivery hand-over on a real H2 database: one row per enabled channel, in the caller's transaction. */
class OutboxTest {

    @TempDir
    Path home;
    Database db;
    long draftId;

    @BeforeEach
    void open() throws SQLException {
        db = Database.open("jdbc:h2:file:" + home.resolve("db/t"), "sa", "");
        draftId = insertDraft(db);
    }

    @AfterEach
    void close() {
        db.close();
    }

    /** A study with one draft, as drafting leaves it (the review columns are not needed here). */
    static long insertDraft(Database db) throws SQLException {
        try (Connection c = db.connection(); Statement st = c.createStatement()) {
            st.executeUpdate("""
                    INSERT INTO study (study_instance_uid, state, first_instance_at, last_instance_at, state_changed_at)
                    VALUES ('1.2.3', 'DRAFTED', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)""",
                    Statement.RETURN_GENERATED_KEYS);
            long study;
            try (ResultSet k = st.getGeneratedKeys()) {
                k.next();
                study = k.getLong(1);
            }
            st.executeUpdate("""
                    INSERT INTO draft (study_id, state, findings, impression, token_ids, token_logprobs, model_name,
                      model_version, preprocess_ms, generate_ms, stable_at, drafted_at)
                    VALUES (%d, 'DRAFTED', 'Clear lungs.', 'Normal.', '[]', '[]', 'm', '1', 0, 0,
                      CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)""".formatted(study), Statement.RETURN_GENERATED_KEYS);
            try (ResultSet k = st.getGeneratedKeys()) {
                k.next();
                return k.getLong(1);
            }
        }
    }

    record Row(String channel, int revision, boolean correction, String state) {
    }

    List<Row> rows() throws SQLException {
        List<Row> rows = new ArrayList<>();
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(
                "SELECT channel, revision, correction, state FROM outbox WHERE draft_id = ? ORDER BY channel, revision")) {
            ps.setLong(1, draftId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Row(rs.getString(1), rs.getInt(2), rs.getBoolean(3), rs.getString(4)));
                }
            }
        }
        return rows;
    }

    void enqueueAndCommit(boolean correction) throws SQLException {
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            Outbox.enqueue(c, draftId, correction);
            c.commit();
        }
    }

    @Test
    void queuesOnePendingRowPerEnabledChannel() throws SQLException {
        DeliveryChannels.record(db, Map.of("FHIR", "http://fhir.example/fhir", "HL7", "ris.example:2575"));
        enqueueAndCommit(false);
        assertEquals(List.of(new Row("FHIR", 1, false, "PENDING"), new Row("HL7", 1, false, "PENDING")), rows());
    }

    @Test
    void aChannelWithoutAddressIsOff() throws SQLException {
        DeliveryChannels.record(db, Map.of("FHIR", "", "HL7", "ris.example:2575"));
        enqueueAndCommit(false);
        assertEquals(List.of(new Row("HL7", 1, false, "PENDING")), rows());
    }

    @Test
    void aRolledBackApprovalLeavesNothing() throws SQLException {
        DeliveryChannels.record(db, Map.of("FHIR", "http://fhir.example/fhir", "HL7", ""));
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            Outbox.enqueue(c, draftId, false);
            c.rollback();
        }
        assertEquals(List.of(), rows());
    }

    @Test
    void theSameApprovalIsNeverQueuedTwice() throws SQLException {
        DeliveryChannels.record(db, Map.of("FHIR", "http://fhir.example/fhir", "HL7", "ris.example:2575"));
        enqueueAndCommit(false);
        assertThrows(SQLException.class, () -> enqueueAndCommit(false));
        assertEquals(2, rows().size());
    }

    @Test
    void eachCorrectionIsTheNextRevision() throws SQLException {
        DeliveryChannels.record(db, Map.of("FHIR", "http://fhir.example/fhir", "HL7", ""));
        enqueueAndCommit(false);
        enqueueAndCommit(true);
        enqueueAndCommit(true);
        assertEquals(List.of(new Row("FHIR", 1, false, "PENDING"), new Row("FHIR", 2, true, "PENDING"),
                new Row("FHIR", 3, true, "PENDING")), rows());
    }
}
