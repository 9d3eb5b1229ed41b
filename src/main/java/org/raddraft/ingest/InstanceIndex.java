package org.raddraft.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.raddraft.dicom.DicomAttributes;
import org.raddraft.dicom.DicomFormatException;
import org.raddraft.dicom.DicomLimitException;
import org.raddraft.dicom.FileMetaHeader;
import org.raddraft.dicom.DicomStatusException;
import org.raddraft.dicom.ReceivedInstance;
import org.raddraft.store.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts a received instance in place and indexes it: atomic rename of the fsync'd temp file to
 * {@code spool/YYYY/MM/DD/<study-uid>/<sop-uid>.dcm}, and its row, committed after the rename. Only after
 * {@link #record} returns does the receiver answer C-STORE success. Directories are fsync'd in
 * batches by the {@link DirectorySyncer}.
 *
 * <p>The file is renamed before the row is committed: a crash in between leaves a file without a row,
 * which {@link #recover()} indexes at the next start. The reverse order could leave a row without a file.
 * A power loss before the batched directory sync can leave the (fsync'd, complete) content under its
 * temp name; recovery indexes complete temp files too.
 */
public class InstanceIndex implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(InstanceIndex.class);
    /** DICOM UI value representation: digits and dots, at most 64 characters. */
    private static final Pattern UID = Pattern.compile("[0-9]+(\\.[0-9]+)*");

    private final Database db;
    private final Path spool;
    private final Clock clock;
    private final Counter stored = Metrics.counter("raddraft.instances.stored");
    private final Counter duplicates = Metrics.counter("raddraft.instances.duplicate");
    private final Counter conflicts = Metrics.counter("raddraft.instances.duplicate.conflicting");

    private final DirectorySyncer dirSyncer;
    private final GroupCommit.ConnectionSource connections;
    private final GroupCommit writer;

    public InstanceIndex(Database db, Path spool, Clock clock, DirectorySyncer dirSyncer) {
        this(db, spool, clock, dirSyncer, db::connection);
    }

    /** @param connections where the ingest's group commit gets its connections (tests: one that can be held) */
    InstanceIndex(Database db, Path spool, Clock clock, DirectorySyncer dirSyncer,
            GroupCommit.ConnectionSource connections) {
        this.db = db;
        this.spool = spool;
        this.clock = clock;
        this.dirSyncer = dirSyncer;
        this.connections = connections;
        this.writer = new GroupCommit(connections, dirSyncer);
    }

    /**
     * Called by the ingest route for each instance the receiver has written to a temp file. Hands the
     * instance to the {@link GroupCommit}: in the writer's transaction, shared with the instances of the
     * other associations, its row is inserted (a duplicate SOP Instance UID fails here, before any file is
     * touched), the receiver's fsync of the file awaited, and the file renamed into place; the directories
     * are fsync'd and the transaction committed; only then does this return. (The fsync is awaited before
     * the hand-off instead when the writer is busy with others: see {@link GroupCommit}.) The row becomes
     * visible only after the rename, so the crash cases are those of rename-then-insert: a file without a
     * row, or a complete temp file, both indexed by {@link #recover()}.
     */
    public void record(ReceivedInstance in) throws DicomStatusException, IOException, SQLException {
        DicomAttributes a = in.attributes();
        checkUid("Study Instance UID (0020,000D)", a.studyInstanceUid());
        checkUid("Series Instance UID (0020,000E)", a.seriesInstanceUid());
        checkUid("SOP Instance UID (0008,0018)", a.sopInstanceUid());
        Instant now = clock.instant();
        Path target = target(a, now);
        long size = Files.size(in.tempFile());
        try {
            writer.run(in::awaitDurable, (c, changedDirs) -> {
                insert(c, a, spool.relativize(target).toString(), size, in.transferSyntaxUid(), in.callingAeTitle(),
                        now);
                in.awaitDurable(); // the content on disk before the file can become visible under its name
                moveIntoPlace(in.tempFile(), target, changedDirs::add);
            });
        } catch (SQLException violation) {
            if (!(violation instanceof SQLIntegrityConstraintViolationException) && !Database.isDuplicateKey(violation)) {
                throw violation; // H2 names a constraint violation by class, PostgreSQL by SQLState 23505 only
            }
            try (Connection c = connections.get()) {
                duplicate(c, in, violation);
            }
            return;
        } catch (DicomStatusException | IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        stored.increment();
    }

    /**
     * After the receiver stopped (no {@link #record} runs any more): the group commit's writer gives back
     * the connection it keeps between batches, before the database closes.
     */
    @Override
    public void close() {
        writer.close();
    }

    /** Instances waiting for the group commit's writer (tests). */
    int queuedForCommit() {
        return writer.queued();
    }

    /**
     * After a constraint refused the row: a duplicate only when the SOP Instance UID is indexed already
     * (any other constraint is a failure, thrown on), and then success without a second copy only when
     * the data set is the same; other content under a stored UID is refused, never silently dropped.
     */
    private void duplicate(Connection c, ReceivedInstance in, SQLException violation)
            throws SQLException, IOException, DicomStatusException {
        DicomAttributes a = in.attributes();
        String stored;
        try (PreparedStatement ps = c.prepareStatement("SELECT path FROM instance WHERE sop_instance_uid = ?")) {
            ps.setString(1, a.sopInstanceUid());
            try (ResultSet rs = ps.executeQuery()) {
                stored = rs.next() ? rs.getString(1) : null;
            }
        }
        if (stored == null) {
            // not the SOP Instance UID: the C-STORE fails and the file is not kept (the database's
            // message quotes the statement: only its SQLState is logged)
            log.error("sop={} from {}: the instance row violates a database constraint (SQLState {}); not stored",
                    a.sopInstanceUid(), in.callingAeTitle(), violation.getSQLState());
            throw DicomStatusException.processingFailure("cannot index the instance (database constraint)");
        }
        in.awaitDurable();
        if (!FileMetaHeader.sameDataSet(spool.resolve(stored), in.tempFile())) {
            conflicts.increment();
            log.warn("sop={} from {}: SOP Instance UID already stored with other content; refused (0111), the first"
                    + " copy kept", a.sopInstanceUid(), in.callingAeTitle());
            throw new DicomStatusException(DicomStatusException.DUPLICATE_SOP_INSTANCE,
                    "SOP Instance UID already stored with other content");
        }
        Files.deleteIfExists(in.tempFile());
        duplicates.increment();
        log.info("duplicate sop={} from {}: already stored, kept the first copy", a.sopInstanceUid(),
                in.callingAeTitle());
    }

    private static void checkUid(String name, String uid) throws DicomStatusException {
        if (uid == null || uid.length() > 64 || !UID.matcher(uid).matches()) {
            throw DicomStatusException.cannotUnderstand(name + " is missing or not a valid UID; the sender must supply one");
        }
    }

    private static boolean isIndexed(Connection c, String sopInstanceUid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM instance WHERE sop_instance_uid = ?")) {
            ps.setString(1, sopInstanceUid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** {@code spool/YYYY/MM/DD/<study-uid>/<sop-uid>.dcm} */
    private Path target(DicomAttributes a, Instant now) {
        LocalDate day = LocalDate.ofInstant(now, ZoneId.systemDefault());
        return spool.resolve(String.format("%04d/%02d/%02d", day.getYear(), day.getMonthValue(),
                day.getDayOfMonth())).resolve(a.studyInstanceUid()).resolve(a.sopInstanceUid() + ".dcm");
    }

    private Path placeDurably(Path temp, DicomAttributes a, Instant now) throws IOException {
        Path target = target(a, now);
        moveIntoPlace(temp, target);
        return target;
    }

    /** Atomic rename (recovery); the directories it changed are fsync'd by the {@link DirectorySyncer} soon after. */
    private void moveIntoPlace(Path temp, Path target) throws IOException {
        moveIntoPlace(temp, target, dirSyncer::changed);
    }

    /** Atomic rename; {@code changed} gets each directory whose entries it changed, to be fsync'd. */
    private void moveIntoPlace(Path temp, Path target, java.util.function.Consumer<Path> changed) throws IOException {
        Path dir = target.getParent();
        boolean newDir = !Files.isDirectory(dir);
        if (newDir) { // once a study and day: on an existing directory it throws and catches an exception
            Files.createDirectories(dir);
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        changed.accept(dir);
        if (newDir) {
            // the new directory entries themselves, up to the spool root
            for (Path p = dir.getParent(); p != null && p.startsWith(spool); p = p.getParent()) {
                changed.accept(p);
            }
        }
    }

    /** Inserts the row and creates or touches its study, in the caller's transaction. */
    private static void insert(Connection c, DicomAttributes a, String relativePath, long size, String transferSyntax,
            String callingAe, Instant now) throws SQLException {
        long studyId = StudyAssembler.touchStudy(c, a.studyInstanceUid(), now);
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO instance (study_id, sop_instance_uid, series_instance_uid, sop_class_uid,
                  transfer_syntax_uid, modality, body_part_examined, view_position, study_description,
                  series_description, patient_age, patient_birth_date, study_date, accession_number,
                  photometric, rows_count, columns_count, path, size_bytes, calling_ae, received_at,
                  patient_id, issuer_of_patient_id, patient_name, patient_sex, manufacturer)
                VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""")) {
            int i = 0;
            ps.setLong(++i, studyId);
            ps.setString(++i, a.sopInstanceUid());
            ps.setString(++i, a.seriesInstanceUid());
            ps.setString(++i, nz(a.sopClassUid()));
            ps.setString(++i, transferSyntax);
            ps.setString(++i, cut(a.modality(), 16));
            ps.setString(++i, cut(a.bodyPartExamined(), 64));
            ps.setString(++i, cut(a.viewPosition(), 16));
            ps.setString(++i, cut(a.studyDescription(), 64));
            ps.setString(++i, cut(a.seriesDescription(), 64));
            ps.setString(++i, cut(a.patientAge(), 4));
            ps.setString(++i, cut(a.patientBirthDate(), 8));
            ps.setString(++i, cut(a.studyDate(), 8));
            ps.setString(++i, cut(a.accessionNumber(), 16));
            ps.setString(++i, cut(a.photometricInterpretation(), 16));
            ps.setInt(++i, a.rows());
            ps.setInt(++i, a.columns());
            ps.setString(++i, relativePath);
            ps.setLong(++i, size);
            ps.setString(++i, cut(callingAe, 16));
            ps.setObject(++i, now.atOffset(java.time.ZoneOffset.UTC));
            ps.setString(++i, cut(a.patientId(), 64));
            ps.setString(++i, cut(a.issuerOfPatientId(), 64));
            ps.setString(++i, cut(a.patientName(), 324));
            ps.setString(++i, cut(a.patientSex(), 16));
            ps.setString(++i, cut(a.manufacturer(), 64));
            ps.executeUpdate();
        }
    }

    /**
     * {@link #insert} in a transaction of its own (recovery: the file is in place already). The
     * transfer syntax and calling AE come from the file's meta header, where the receiver wrote them.
     */
    private static void insertCommitted(Connection c, DicomAttributes a, Path file, String relativePath, long size,
            Instant at) throws SQLException {
        String transferSyntax = "";
        String callingAe = null;
        try {
            FileMetaHeader meta = FileMetaHeader.read(file);
            transferSyntax = meta.transferSyntaxUid();
            callingAe = meta.sourceAeTitle();
        } catch (DicomFormatException e) {
            log.warn("recovery: {}: {}; indexed without transfer syntax and calling AE", relativePath, e.getMessage());
        }
        c.setAutoCommit(false);
        try {
            insert(c, a, relativePath, size, transferSyntax, callingAe, at);
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    /**
     * A receive file untouched this long belongs to no live association on any node: an association's
     * file is written at least every {@code dicom} idle timeout (300 s by default; past it the association
     * is aborted and its file deleted) and is committed seconds after its last byte.
     */
    static final Duration ABANDONED_AFTER = Duration.ofHours(1);

    /**
     * The receive files recovery may take: every file in this node's own receive directory; with a
     * receive directory of its own (a spool shared by several nodes, see {@code Settings.receiveDir}),
     * in the rest of {@code spool/tmp} (other nodes' directories, and files an earlier version wrote
     * directly in {@code tmp}) only files untouched for {@link #ABANDONED_AFTER}, so that a node's start
     * never indexes, renames or deletes the file another node is receiving right now.
     */
    private List<Path> receiveFilesToRecover(Path own) throws IOException {
        Path tmp = spool.resolve("tmp");
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(own)) {
            try (Stream<Path> list = Files.list(own)) {
                list.filter(Files::isRegularFile).forEach(files::add);
            }
        }
        if (!own.equals(tmp) && Files.isDirectory(tmp)) {
            Instant before = clock.instant().minus(ABANDONED_AFTER);
            try (Stream<Path> walk = Files.walk(tmp, 2)) {
                for (Path p : (Iterable<Path>) walk::iterator) {
                    if (!p.startsWith(own) && Files.isRegularFile(p)
                            && Files.getLastModifiedTime(p).toInstant().isBefore(before)) {
                        files.add(p);
                    }
                }
            }
        }
        return files;
    }

    private int recoverTempFiles(Path own) throws IOException, SQLException {
        int n = 0;
        for (Path p : receiveFilesToRecover(own)) {
            DicomAttributes a;
            try {
                a = DicomAttributes.readComplete(p);
            } catch (DicomLimitException unreadable) {
                quarantine(p, unreadable.getMessage());
                continue;
            } catch (DicomFormatException incomplete) {
                Files.deleteIfExists(p); // a transfer cut short: it was never acknowledged
                continue;
            }
            try (Connection c = db.connection()) {
                if (isIndexed(c, a.sopInstanceUid())) {
                    Files.deleteIfExists(p);
                    continue;
                }
                Instant at = Files.getLastModifiedTime(p).toInstant();
                Path target = placeDurably(p, a, at);
                insertCommitted(c, a, target, spool.relativize(target).toString(), Files.size(target), at);
                n++;
            }
        }
        return n;
    }

    /**
     * Moves a spool file that recovery cannot read to {@code spool/quarantine/<id>-<name>}, records it
     * (listed by {@code raddraft admin studies}) and logs it with that id: start-up goes on without it.
     * Nothing was acknowledged for a {@code .part} file that the receiver of this version refuses; an
     * older version may have acknowledged it, so it is kept for the admin rather than deleted.
     */
    private void quarantine(Path file, String reason) throws IOException, SQLException {
        Path dir = Files.createDirectories(spool.resolve("quarantine"));
        String original = spool.relativize(file).toString();
        Instant now = clock.instant();
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            try {
                long id;
                try (PreparedStatement ps = c.prepareStatement("""
                        INSERT INTO quarantined_file (original_path, quarantine_path, reason, quarantined_at)
                        VALUES (?, '', ?, ?)""", new String[] {"id"})) {
                    ps.setString(1, original);
                    ps.setString(2, cut(reason, 500));
                    ps.setObject(3, now.atOffset(java.time.ZoneOffset.UTC));
                    ps.executeUpdate();
                    try (ResultSet keys = ps.getGeneratedKeys()) {
                        keys.next();
                        id = keys.getLong(1);
                    }
                }
                Path target = dir.resolve(id + "-" + file.getFileName());
                try (PreparedStatement ps = c.prepareStatement(
                        "UPDATE quarantined_file SET quarantine_path = ? WHERE id = ?")) {
                    ps.setString(1, spool.relativize(target).toString());
                    ps.setLong(2, id);
                    ps.executeUpdate();
                }
                Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
                dirSyncer.changed(dir);
                dirSyncer.changed(file.getParent());
                c.commit();
                log.warn("recovery: a spool file was not readable ({}): moved to spool/quarantine as quarantined file {};"
                        + " start-up goes on without it, see `raddraft admin studies`", reason, id);
            } catch (SQLException | IOException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    private static String cut(String s, int max) {
        return s == null ? null : s.length() <= max ? s : s.substring(0, max);
    }

    /**
     * Start-up recovery: indexes complete temp files (content fsync'd, rename or row lost), deletes
     * incomplete ones (transfers that never finished, so never acknowledged), and indexes Part 10
     * files that were renamed into place but whose row was not committed. Returns how many files
     * were indexed.
     */
    public int recover() throws IOException, SQLException {
        return recover(spool.resolve("tmp"));
    }

    /**
     * {@link #recover()} for a node that receives into {@code receiveDir} ({@code Settings.receiveDir}):
     * the rest of {@code spool/tmp} may hold files other nodes are receiving, taken only once abandoned.
     */
    public int recover(Path receiveDir) throws IOException, SQLException {
        if (!Files.isDirectory(spool)) {
            return 0;
        }
        int n = recoverTempFiles(receiveDir);
        Set<String> indexed = new HashSet<>();
        try (Connection c = db.connection(); var st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT path FROM instance")) {
            while (rs.next()) {
                indexed.add(rs.getString(1));
            }
        }
        Path tmp = spool.resolve("tmp");
        Path quarantine = spool.resolve("quarantine");
        List<Path> orphans = new ArrayList<>();
        try (Stream<Path> files = Files.walk(spool)) {
            files.filter(p -> p.getFileName().toString().endsWith(".dcm") && !p.startsWith(tmp) && !p.startsWith(quarantine))
                    .filter(p -> !indexed.contains(spool.relativize(p).toString()))
                    .forEach(orphans::add);
        }
        for (Path f : orphans) {
            try (Connection c = db.connection()) {
                DicomAttributes a = DicomAttributes.read(f);
                if (isIndexed(c, a.sopInstanceUid())) {
                    continue; // same instance indexed under another day's folder
                }
                insertCommitted(c, a, f, spool.relativize(f).toString(), Files.size(f),
                        Files.getLastModifiedTime(f).toInstant());
                n++;
            } catch (SQLException e) {
                if (!Database.isDuplicateKey(e)) {
                    throw e;
                }
                // a shared spool: another node renamed this file into place and committed its row meanwhile
                log.info("recovery: {} was indexed meanwhile by another node", spool.relativize(f));
            } catch (DicomLimitException e) {
                quarantine(f, e.getMessage());
            } catch (DicomFormatException e) {
                quarantine(f, "not a readable DICOM Part 10 file"); // the parser's words may quote values
            }
        }
        if (n > 0) {
            log.info("recovery: re-indexed {} instance file(s) whose rows were not committed", n);
        }
        return n;
    }
}
