package org.raddraft.inference;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.Locale;
import org.raddraft.store.Database;

/**
 * The models that have drafted here (table {@code model}): recorded when the daemon loads one, so that
 * a report's later stages (FHIR Device, DICOM SR device observer) say what the model that drafted it
 * may be used for, not what the model loaded at the time says.
 */
public final class ModelRecords {

    private ModelRecords() {
    }

    /** Records the loaded model unless it is already known; the first manifest seen for a name and version stays. */
    public static void record(Database db, ModelDirectory.Manifest manifest, Clock clock) throws SQLException {
        record(db, manifest.name(), manifest.version(), manifest.json().path("intended_use").asText(null), clock);
    }

    /** Records a model by name, version and its manifest's intended_use (null when it has none), unless known. */
    public static void record(Database db, String name, String version, String intendedUse, Clock clock)
            throws SQLException {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("""
                INSERT INTO model (name, version, intended_use, first_loaded_at)
                SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM model WHERE name = ? AND version = ?)""")) {
            ps.setString(1, name);
            ps.setString(2, version);
            ps.setString(3, intendedUse);
            ps.setObject(4, OffsetDateTime.now(clock));
            ps.setString(5, name);
            ps.setString(6, version);
            ps.executeUpdate();
        }
    }

    /**
     * Whether a model with this intended use must be labelled "not for clinical use": when its manifest
     * says so, and when nothing is recorded about it (a draft older than this table), since a
     * report must never lose that warning by accident.
     */
    public static boolean notForClinicalUse(String intendedUse) {
        return intendedUse == null || intendedUse.toLowerCase(Locale.ROOT).contains("not for clinical use");
    }
}
