package org.raddraft.delivery;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.raddraft.dicom.DicomFormatException;
import org.raddraft.dicom.DicomUids;
import org.raddraft.dicom.ReportSr;
import org.raddraft.dicom.SopReference;
import org.raddraft.dicom.SourceHeader;
import org.raddraft.dicom.StoreFailure;
import org.raddraft.dicom.StoreScu;
import org.raddraft.dicom.StructuredReportWriter;
import org.raddraft.store.Database;

/**
 * The DICOM SR channel: the report as a Basic Text SR (TID 2000) in the study it reports on, sent by
 * C-STORE to the PACS. The SR's UIDs are minted and committed (table {@code sr_document}) before the
 * first attempt, so every retry sends the same SOP instance and the PACS keeps one copy however often
 * a lost answer makes RadDraft send it; a correction is a new instance whose Predecessor Documents
 * Sequence names the last SR of the same report the PACS confirmed. Sent only on the PACS's success
 * or warning status: a rejected association or a failure status is a failure, permanent (DEAD at
 * once) when sending again cannot help, as {@link StoreScu} classes it.
 */
public final class DicomSrSender implements OutboxSender {

    /**
     * @param peer              the PACS (delivery.dicom.*)
     * @param uidRoot           the organisation's UID root for the SR's UIDs; empty = 2.25 UUIDs
     * @param organization      Verifying Organization; empty = the study's Institution Name
     * @param spool             the spool the instance table's paths are relative to
     * @param workDir           where the SR file is written for the C-STORE (deleted after it)
     */
    public record Settings(StoreScu.Peer peer, String uidRoot, String organization, Path spool,
                           Path workDir) {
    }

    private final Database db;
    private final Settings settings;
    private final Clock clock;

    public DicomSrSender(Database db, Settings settings, Clock clock) {
        this.db = db;
        this.settings = settings;
        this.clock = clock;
    }

    @Override
    public String send(FinalReport report) throws Exception {
        if (report.reviewer() == null || report.reviewedAt() == null) {
            throw new DeliveryException.Permanent("draft " + report.draftId() + " has no approving radiologist", null);
        }
        List<Instance> instances = instances(report.studyId());
        Document doc = document(report);
        Files.createDirectories(settings.workDir());
        // the first instance's file, or once the purge removed it the header it kept in the database
        Path source = settings.spool().resolve(instances.get(0).path());
        Path keptSource = settings.workDir().resolve("source-" + report.outboxId() + ".dcm");
        if (instances.get(0).header() != null && !Files.exists(source)) {
            try {
                SourceHeader.write(instances.get(0).header(), keptSource);
            } catch (DicomFormatException e) {
                throw new DeliveryException.Permanent("the kept header of study " + report.studyId()
                        + " cannot be read to make the SR", e.getMessage());
            }
            source = keptSource;
        }
        // Person Observer Name: the radiologist's name as reports print it, else their account name
        ReportSr sr = new ReportSr(report.findings(), report.impression(),
                report.reviewerName() != null ? report.reviewerName() : report.reviewer(),
                local(report.reviewedAt()), settings.organization(), report.modelName(), report.modelVersion(),
                report.notForClinicalUse(), source,
                instances.stream().map(Instance::reference).toList(), doc.replaces());
        Path file = settings.workDir().resolve("sr-" + report.outboxId() + ".dcm");
        try {
            StructuredReportWriter.write(sr, doc.identity(), file);
            StoreScu.Stored stored = StoreScu.store(settings.peer(), file);
            return doc.identity().sopInstanceUid() + (stored.warning() ? " status " + stored.statusHex() : "");
        } catch (StoreFailure f) {
            String summary = "C-STORE of SR to " + settings.peer() + (f.permanent() ? " refused" : " failed");
            throw f.permanent() ? new DeliveryException.Permanent(summary, f.getMessage())
                    : new DeliveryException(summary, f.getMessage());
        } catch (DicomFormatException e) {
            throw new DeliveryException.Permanent("the study's instance " + instances.get(0).path()
                    + " cannot be read to make the SR", e.getMessage());
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(keptSource);
        }
    }

    /** An instance of the reported study: the evidence the SR lists, and the first one's file. */
    private record Instance(String path, String header, SopReference reference) {
    }

    private List<Instance> instances(long studyId) throws SQLException, DeliveryException {
        List<Instance> instances = new ArrayList<>();
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("""
                SELECT i.path, s.study_instance_uid, i.series_instance_uid, i.sop_class_uid, i.sop_instance_uid,
                       i.source_header
                FROM instance i JOIN study s ON s.id = i.study_id WHERE i.study_id = ? ORDER BY i.id""")) {
            ps.setLong(1, studyId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    instances.add(new Instance(rs.getString(1), rs.getString(6),
                            new SopReference(rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5))));
                }
            }
        }
        if (instances.isEmpty()) {
            throw new DeliveryException.Permanent("study " + studyId + " has no instances to make the SR from", null);
        }
        return instances;
    }

    /** The SR's identity for this outbox row, and the SRs it replaces. */
    private record Document(ReportSr.Identity identity, List<SopReference> replaces) {
    }

    /**
     * The row's SR as minted on its first attempt, or a new one: new UIDs and, for a correction, the
     * last SR of the same draft the PACS confirmed (state SENT), committed before anything is sent.
     */
    private Document document(FinalReport report) throws SQLException, IOException {
        try (Connection c = db.connection()) {
            Document existing = load(c, report.outboxId());
            if (existing != null) {
                return existing;
            }
            Long replaces = null;
            try (PreparedStatement ps = c.prepareStatement("""
                    SELECT sd.outbox_id FROM sr_document sd JOIN outbox o ON o.id = sd.outbox_id
                    WHERE sd.draft_id = ? AND sd.revision < ? AND o.state = 'SENT'
                    ORDER BY sd.revision DESC LIMIT 1""")) {
                ps.setLong(1, report.draftId());
                ps.setInt(2, report.revision());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        replaces = rs.getLong(1);
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO sr_document (outbox_id, draft_id, revision, study_instance_uid, series_instance_uid,
                                             sop_instance_uid, replaces_outbox_id, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)""")) {
                ps.setLong(1, report.outboxId());
                ps.setLong(2, report.draftId());
                ps.setInt(3, report.revision());
                ps.setString(4, report.studyInstanceUid());
                ps.setString(5, DicomUids.create(settings.uidRoot()));
                ps.setString(6, DicomUids.create(settings.uidRoot()));
                ps.setObject(7, replaces);
                ps.setObject(8, OffsetDateTime.now(clock).withOffsetSameInstant(ZoneOffset.UTC));
                ps.executeUpdate();
            }
            return load(c, report.outboxId());
        }
    }

    private static Document load(Connection c, long outboxId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT sd.series_instance_uid, sd.sop_instance_uid, sd.created_at,
                       p.study_instance_uid, p.series_instance_uid, p.sop_instance_uid
                FROM sr_document sd LEFT JOIN sr_document p ON p.outbox_id = sd.replaces_outbox_id
                WHERE sd.outbox_id = ?""")) {
            ps.setLong(1, outboxId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                ReportSr.Identity identity = new ReportSr.Identity(rs.getString(1), rs.getString(2),
                        local(rs.getObject(3, OffsetDateTime.class)));
                List<SopReference> replaces = rs.getString(6) == null ? List.of()
                        : List.of(new SopReference(rs.getString(4), rs.getString(5),
                                StructuredReportWriter.BASIC_TEXT_SR, rs.getString(6)));
                return new Document(identity, replaces);
            }
        }
    }

    /** DICOM dates and times are local: the host's zone, with the offset in Timezone Offset From UTC. */
    private static OffsetDateTime local(OffsetDateTime t) {
        return t.atZoneSameInstant(ZoneId.systemDefault()).toOffsetDateTime();
    }
}
