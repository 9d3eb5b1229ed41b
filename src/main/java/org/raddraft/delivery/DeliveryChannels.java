package org.raddraft.delivery;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import org.raddraft.store.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which delivery channels are on, recorded in {@code delivery_channel} at start so that
 * {@link Outbox#enqueue} (called in other stages' transactions, and by the admin tools) needs only a
 * connection. A channel whose destination is empty is off: approvals queue nothing for it.
 */
public final class DeliveryChannels {

    private static final Logger log = LoggerFactory.getLogger(DeliveryChannels.class);

    /** Channel names as the outbox stores them. */
    public static final String FHIR = "FHIR";
    public static final String HL7 = "HL7";
    public static final String DICOM_SR = "DICOM_SR";

    private DeliveryChannels() {
    }

    /**
     * Records every known channel with its destination ("" = off), replacing what the last start wrote.
     *
     * @param destinations channel name -> where it sends (URL or host:port; never a secret), "" when off
     */
    public static void record(Database db, Map<String, String> destinations) throws SQLException {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("""
                MERGE INTO delivery_channel t
                USING (VALUES (CAST(? AS VARCHAR(16)), CAST(? AS BOOLEAN), CAST(? AS VARCHAR(500)),
                               CAST(? AS TIMESTAMP WITH TIME ZONE))) v(name, enabled, destination, updated_at)
                ON t.name = v.name
                WHEN MATCHED THEN UPDATE SET enabled = v.enabled, destination = v.destination, updated_at = v.updated_at
                WHEN NOT MATCHED THEN INSERT (name, enabled, destination, updated_at)
                  VALUES (v.name, v.enabled, v.destination, v.updated_at)""")) {
            // the SQL standard's MERGE (H2 and PostgreSQL 15), not H2's MERGE ... KEY
            for (Map.Entry<String, String> e : destinations.entrySet()) {
                boolean on = !e.getValue().isBlank();
                ps.setString(1, e.getKey());
                ps.setBoolean(2, on);
                ps.setString(3, on ? e.getValue() : null);
                ps.setObject(4, OffsetDateTime.now(ZoneOffset.UTC));
                try {
                    ps.executeUpdate();
                } catch (SQLException raced) {
                    if (!org.raddraft.store.Database.isDuplicateKey(raced)) {
                        throw raced;
                    }
                    ps.executeUpdate(); // another node starting at the same moment inserted it: update it
                }
                log.info("delivery channel {} {}", e.getKey(), on ? "on: " + e.getValue() : "off (no address configured)");
            }
        }
    }
}
