package org.raddraft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.Settings;
import org.raddraft.store.Database;

/**
 * Every {@code raddraft admin ... --json} prints JSON with its times as ISO-8601 text (issue 21,
 * finding 16: {@code users list --json} failed with Jackson's InvalidDefinitionException on
 * java.time.Instant). Each command runs in-process against a database holding one row of each kind.
 */
class AdminJsonTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String UID = "1.2.826.0.1.3680043.10.21.16";

    @TempDir
    Path home;

    @Test
    void everyJsonOutputParsesAndWritesTimesAsIso8601() throws Exception {
        assertEquals(0, AdminCli.admin(home, "a long enough pass\n", "users", "add", "--name", "dr-a", "--role",
                "radiologist").exit());
        seed();
        List<String[]> commands = List.of(
                new String[] {"users", "list", "--json"},
                new String[] {"studies", "--json"},
                new String[] {"outbox", "--json"},
                new String[] {"draft", "--study", UID, "--json"},
                new String[] {"audit", "--study", UID, "--json"},
                new String[] {"outbox", "--requeue-dead", "--json"},
                new String[] {"retry", "--study", UID, "--json"});
        for (String[] args : commands) {
            AdminCli.Run run = AdminCli.admin(home, "", args);
            String what = "admin " + String.join(" ", args);
            assertEquals(0, run.exit(), what + ": " + run.out());
            JsonNode out;
            try {
                out = JSON.readTree(run.stdout());
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new AssertionError(what + " did not print JSON: " + run.out(), e);
            }
            assertTrue(out.isArray() ? out.size() > 0 : out.isObject(), what + " printed no rows: " + run.out());
            List<String> times = new ArrayList<>();
            collectTimes(out, "", times);
            assertFalse(times.isEmpty() && !args[0].equals("retry"), what + " printed no time: " + run.out());
            for (String t : times) {
                Instant.parse(t.substring(t.indexOf('=') + 1)); // throws unless ISO-8601 (UTC, as Instant prints it)
            }
        }
    }

    /** Fields named like times (…At, …_at, at): their values, which must be text, not numbers. */
    private static void collectTimes(JsonNode n, String name, List<String> out) {
        if (n.isObject()) {
            n.fields().forEachRemaining(e -> collectTimes(e.getValue(), e.getKey(), out));
        } else if (n.isArray()) {
            n.forEach(x -> collectTimes(x, name, out));
        } else if (!n.isNull() && (name.equals("at") || name.endsWith("At") || name.endsWith("_at"))) {
            assertTrue(n.isTextual(), name + " is " + n + ", not ISO-8601 text");
            out.add(name + "=" + n.asText());
        }
    }

    private void seed() throws Exception {
        Settings s = Settings.load(home.resolve("r.properties"));
        try (Database db = org.raddraft.Databases.forAdmin(s);
             Connection c = db.connection(); Statement st = c.createStatement()) {
            String t = "TIMESTAMP WITH TIME ZONE '2026-12-07 10:00:00+00'";
            st.executeUpdate("INSERT INTO study (id, study_instance_uid, state, reason, first_instance_at, last_instance_at,"
                    + " state_changed_at) VALUES (1, '" + UID + "', 'FAILED', 'model error', " + t + ", " + t + ", " + t + ")");
            st.executeUpdate("INSERT INTO instance (study_id, sop_instance_uid, series_instance_uid, sop_class_uid,"
                    + " transfer_syntax_uid, modality, path, size_bytes, calling_ae, received_at) VALUES (1, '"
                    + UID + ".1.1', '" + UID + ".1', '1.2.840.10008.5.1.4.1.1.1', '1.2.840.10008.1.2.1', 'CR',"
                    + " 'x.dcm', 1, 'CR01', " + t + ")");
            st.executeUpdate("INSERT INTO draft (id, study_id, state, findings, impression, token_ids, token_logprobs,"
                    + " model_name, model_version, preprocess_ms, generate_ms, stable_at, drafted_at) VALUES (1, 1,"
                    + " 'APPROVED', 'No effusion.', 'Normal.', '[]', '[]', 'm', '1', 1, 1, " + t + ", " + t + ")");
            st.executeUpdate("INSERT INTO outbox (draft_id, channel, revision, correction, state, attempts,"
                    + " next_attempt_at, last_error, created_at) VALUES (1, 'HL7', 1, FALSE, 'DEAD', 3, " + t
                    + ", 'refused', " + t + ")");
            st.executeUpdate("INSERT INTO audit_event (recorded_at, user_name, role, action, entity_type, entity_id,"
                    + " study_id, draft_id, outcome) VALUES (" + t + ", 'dr-a', 'radiologist', 'read',"
                    + " 'DiagnosticReport', '1', 1, 1, '0')");
        }
    }
}
