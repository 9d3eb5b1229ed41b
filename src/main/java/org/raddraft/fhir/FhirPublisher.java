package org.raddraft.fhir;

import ca.uhn.fhir.context.FhirContext;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Resource;
import org.raddraft.inference.DraftPublisher;
import org.raddraft.store.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes each version of a draft's FHIR resources and stores it, validated, in {@code fhir_version}
 * (what /fhir serves, and _history returns). A new draft is published inside the drafting
 * transaction ({@link #publish}): a validation error refuses it, and the study is FAILED with the
 * errors. A draft whose state changed elsewhere (a late instance superseded it, a radiologist
 * approved it) gets its next version from {@link #publishChanged}, which the fhir route calls every
 * second, or from the changing stage's own transaction through {@link #publishVersion}.
 */
public final class FhirPublisher implements DraftPublisher {

    private static final Logger log = LoggerFactory.getLogger(FhirPublisher.class);

    private final Database db;
    private final FhirContext ctx;
    private final DiagnosticReportMapper mapper;
    private final ResourceValidator validator;
    private final Clock clock;
    /** draft:state:version that failed validation: logged once, not retried every second. */
    private final Set<String> refused = ConcurrentHashMap.newKeySet();

    /** The spool, to read the patient's name for the reports' subject display; null: no name shown. */
    private final java.nio.file.Path spool;

    FhirPublisher(Database db, FhirContext ctx, DiagnosticReportMapper mapper, ResourceValidator validator, Clock clock,
                  java.nio.file.Path spool) {
        this.spool = spool;
        this.db = db;
        this.ctx = ctx;
        this.mapper = mapper;
        this.validator = validator;
        this.clock = clock;
    }

    /** Refused: the draft's resources are not valid FHIR / not the RadDraft profile. */
    public static final class InvalidResourceException extends Exception {
        InvalidResourceException(String message) {
            super(message);
        }
    }

    /**
     * The Patient's Name (DICOM PN) of the study's first instance, for the worklist (the subject's
     * display); null when the study has none or its file cannot be read (logged with ids only).
     */
    private String patientName(Connection c, long studyId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT id, path, source_header FROM instance WHERE study_id = ? ORDER BY id LIMIT 1")) {
            ps.setLong(1, studyId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                try {
                    return org.raddraft.dicom.SourceHeader.patientOf(spool.resolve(rs.getString(2)), rs.getString(3)).name();
                } catch (org.raddraft.dicom.DicomFormatException e) {
                    log.warn("study {}: instance {} unreadable for the patient's name; the report names none", studyId,
                            rs.getLong(1));
                    return null;
                }
            }
        }
    }

    /**
     * In the drafting transaction: publishes the new draft's first version, links the study's earlier
     * drafts that it supersedes to it, and publishes their next version (cancelled, superseded-by).
     */
    @Override
    public void publish(Connection c, long draftId) throws SQLException, InvalidResourceException {
        List<Long> predecessors = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT p.id FROM draft p JOIN draft d ON d.study_id = p.study_id
                WHERE d.id = ? AND p.id <> d.id AND p.state = 'SUPERSEDED' AND p.superseded_by IS NULL""")) {
            ps.setLong(1, draftId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    predecessors.add(rs.getLong(1));
                }
            }
        }
        for (long p : predecessors) {
            try (PreparedStatement ps = c.prepareStatement("UPDATE draft SET superseded_by = ? WHERE id = ?")) {
                ps.setLong(1, draftId);
                ps.setLong(2, p);
                ps.executeUpdate();
            }
        }
        publishVersion(c, draftId);
        for (long p : predecessors) {
            publishVersion(c, p);
        }
    }

    /**
     * The next version of this draft's resources as the draft stands, in the caller's transaction
     * (the draft row is locked until it ends). Returns the version number.
     */
    public int publishVersion(Connection c, long draftId) throws SQLException, InvalidResourceException {
        lock(c, draftId);
        return publish(c, StoredDraft.load(c, draftId), latestVersion(c, draftId));
    }

    private int publish(Connection c, StoredDraft stored, int latest) throws SQLException, InvalidResourceException {
        StoredDraft d = spool == null ? stored : stored.withPatientName(patientName(c, stored.studyId()));
        int next = Math.max(latest + 1, d.version());
        Date now = Date.from(clock.instant());
        List<Resource> resources = mapper.map(d, next, now);
        List<String> errors = validator.errors(resources);
        if (!errors.isEmpty()) {
            // the messages can quote values (identifiers): the log gets where, the study's reason gets what
            log.error("draft {} version {} NOT published: {} FHIR validation error(s), first at {}", d.id(), next,
                    errors.size(), errors.get(0).substring(0, Math.max(0, errors.get(0).indexOf(':'))));
            throw new InvalidResourceException(errors.size() + " FHIR validation error(s): "
                    + String.join("; ", errors.stream().map(FhirPublisher::withoutValues).toList()));
        }
        Bundle bundle = new Bundle().setType(Bundle.BundleType.COLLECTION);
        resources.forEach(r -> bundle.addEntry().setResource(r));
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO fhir_version (draft_id, version, draft_state, status, accession, resources, recorded_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)""")) {
            ps.setLong(1, d.id());
            ps.setInt(2, next);
            ps.setString(3, d.state());
            ps.setString(4, ((DiagnosticReport) resources.get(0)).getStatus().toCode());
            ps.setString(5, d.study().accessionNumber());
            ps.setString(6, ctx.newJsonParser().encodeResourceToString(bundle));
            ps.setObject(7, now.toInstant().atOffset(java.time.ZoneOffset.UTC));
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE draft SET version = ? WHERE id = ?")) {
            ps.setInt(1, next);
            ps.setLong(2, d.id());
            ps.executeUpdate();
        }
        log.info("draft {} DiagnosticReport/{}/_history/{} {} ({} resources)", d.id(), d.id(), next,
                ((DiagnosticReport) resources.get(0)).getStatus().toCode(), resources.size());
        return next;
    }

    /**
     * A validation message without the values it quotes (they may be identifiers or names, and the
     * reason is logged); quoted URLs (profiles, code systems) stay, they say what was expected.
     */
    static String withoutValues(String message) {
        return message.replaceAll("'(?!https?:)[^']*'", "'…'");
    }

    /**
     * Publishes every draft whose state (or version) moved since its last published version, and
     * drafts stored before FHIR publishing existed; each in its own transaction. Returns how many.
     */
    public int publishChanged() throws SQLException {
        List<Long> changed = new ArrayList<>();
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("""
                SELECT d.id FROM draft d LEFT JOIN fhir_version v ON v.draft_id = d.id
                  AND v.version = (SELECT MAX(w.version) FROM fhir_version w WHERE w.draft_id = d.id)
                WHERE v.draft_id IS NULL OR v.draft_state <> d.state OR d.version > v.version ORDER BY d.id""");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                changed.add(rs.getLong(1));
            }
        }
        int n = 0;
        for (long id : changed) {
            try (Connection c = db.connection()) {
                c.setAutoCommit(false);
                try {
                    lock(c, id);
                    StoredDraft d = StoredDraft.load(c, id);
                    String key = id + ":" + d.state() + ":" + d.version();
                    Published last = lastPublished(c, id);
                    if (last != null && last.state().equals(d.state()) && last.version() >= d.version()
                            || refused.contains(key)) {
                        c.rollback(); // published meanwhile by the stage that changed it, or refused before
                        continue;
                    }
                    try {
                        publish(c, d, last == null ? 0 : last.version());
                        c.commit();
                        n++;
                    } catch (InvalidResourceException | RuntimeException e) {
                        c.rollback();
                        refused.add(key); // logged once (validation errors where they were found), not every second
                        if (e instanceof RuntimeException) {
                            log.error("draft {} version {} NOT published: {}", id, d.version(), e.getMessage());
                        }
                    }
                } finally {
                    c.setAutoCommit(true);
                }
            }
        }
        return n;
    }

    private record Published(int version, String state) {
    }

    private static Published lastPublished(Connection c, long draftId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT version, draft_state FROM fhir_version WHERE draft_id = ? ORDER BY version DESC LIMIT 1")) {
            ps.setLong(1, draftId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new Published(rs.getInt(1), rs.getString(2)) : null;
            }
        }
    }

    private static int latestVersion(Connection c, long draftId) throws SQLException {
        Published p = lastPublished(c, draftId);
        return p == null ? 0 : p.version();
    }

    /** One publisher of a draft at a time: the drafting transaction and the fhir route may meet here. */
    private static void lock(Connection c, long draftId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT id FROM draft WHERE id = ? FOR UPDATE")) {
            ps.setLong(1, draftId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("no draft " + draftId);
                }
            }
        }
    }

    /** Start-up, off the critical path: loads the validator's definitions by validating an example draft. */
    public void warmUp() {
        long t0 = System.nanoTime();
        validator.warmUp(mapper.map(StoredDraft.example("DRAFTED", null, null), 1, new Date()));
        log.info("FHIR validator warmed up in {} ms", (System.nanoTime() - t0) / 1_000_000);
    }

    /** {@link #warmUp} on a thread of its own; drafts published meanwhile wait for it. */
    public void warmUpInBackground() {
        validator.warming();
        Thread t = new Thread(() -> {
            try {
                warmUp();
            } catch (RuntimeException e) {
                log.error("FHIR validator warm-up failed; readiness stays DOWN: {}", e.getMessage(), e);
            }
        }, "fhir-validator-warm-up");
        t.setDaemon(true);
        t.start();
    }

    /** Whether the validator is warm (readiness). */
    public boolean warm() {
        return validator.warm();
    }
}
