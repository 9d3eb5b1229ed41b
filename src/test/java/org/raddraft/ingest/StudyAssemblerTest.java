package org.raddraft.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.dicom.DicomAttributes;
import org.raddraft.dicom.DicomStatusException;
import org.raddraft.dicom.ReceivedInstance;
import org.raddraft.ops.StudyListing;
import org.raddraft.store.Database;

/** Index + assembler against a real H2 file database; files are plain bytes (parsing is the receiver's job). */
class StudyAssemblerTest {

    @TempDir
    Path home;
    private Database db;
    private MutableClock clock;
    private InstanceIndex index;
    private StudyAssembler assembler;
    private DirectorySyncer syncer;

    static final class MutableClock extends Clock {
        Instant now = Instant.parse("2026-11-22T10:00:00Z");

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    @BeforeEach
    void open() {
        db = Database.open("jdbc:h2:file:" + home.resolve("db/t"), "sa", "");
        clock = new MutableClock();
        syncer = new DirectorySyncer(java.time.Duration.ofMillis(50));
        index = new InstanceIndex(db, home.resolve("spool"), clock, syncer);
        assembler = new StudyAssembler(db, new ScopeGate(18), Duration.ofSeconds(30), clock);
    }

    @AfterEach
    void close() {
        syncer.close();
        db.close();
    }

    private ReceivedInstance received(String study, String sop, String bodyPart) throws Exception {
        return received(study, sop, bodyPart, new byte[] {1, 2, 3});
    }

    private ReceivedInstance received(String study, String sop, String bodyPart, byte[] content) throws Exception {
        Path tmp = Files.createDirectories(home.resolve("spool/tmp")).resolve(sop + ".part");
        Files.write(tmp, content);
        return new ReceivedInstance(tmp, "1.2.840.10008.1.2.1", "PACS", "127.0.0.1",
                new DicomAttributes(study, study + ".1", sop, "1.2.840.10008.5.1.4.1.1.1", "CR", bodyPart, "PA",
                        "XR CHEST", null, "050Y", null, null, null, "MONOCHROME2", 8, 8));
    }

    @Test
    void studyBecomesStableAfterQuietPeriodOnly() throws Exception {
        index.record(received("1.2.3", "1.2.3.1.1", "CHEST"));
        clock.now = clock.now.plusSeconds(20);
        index.record(received("1.2.3", "1.2.3.1.2", "CHEST"));
        clock.now = clock.now.plusSeconds(29);
        assertEquals(List.of(), assembler.settleQuietStudies(), "quiet period restarts with each instance");
        clock.now = clock.now.plusSeconds(1);
        var settled = assembler.settleQuietStudies();
        assertEquals(1, settled.size());
        assertEquals(StudyState.STABLE, settled.get(0).state());
        var row = StudyListing.studies(db).get(0);
        assertEquals("STABLE", row.state());
        assertEquals(2, row.instances());
    }

    @Test
    void fileIsRenamedIntoDatedStudyFolderAndTempIsGone() throws Exception {
        ReceivedInstance in = received("1.2.3", "1.2.3.1.1", "CHEST");
        index.record(in);
        assertFalse(Files.exists(in.tempFile()));
        assertTrue(Files.exists(home.resolve("spool/2026/11/22/1.2.3/1.2.3.1.1.dcm")));
    }

    @Test
    void duplicateSopInstanceKeepsOneCopyAndOneRow() throws Exception {
        index.record(received("1.2.3", "1.2.3.1.1", "CHEST"));
        ReceivedInstance again = received("1.2.3", "1.2.3.1.1", "CHEST");
        index.record(again);
        assertFalse(Files.exists(again.tempFile()), "the duplicate's temp file is removed");
        assertEquals(1, StudyListing.studies(db).get(0).instances());
    }

    /**
     * Issue 21 #15 (suspected, proven): any integrity violation was taken for a duplicate SOP Instance
     * UID, so a different data set under a stored UID was answered success and deleted.
     */
    @Test
    void sameSopInstanceUidWithOtherContentIsRefusedAndTheFirstCopyKept() throws Exception {
        index.record(received("1.2.3", "1.2.3.1.1", "CHEST", new byte[] {1, 2, 3}));
        ReceivedInstance other = received("1.2.3", "1.2.3.1.1", "CHEST", new byte[] {9, 9, 9});
        DicomStatusException e = assertThrows(DicomStatusException.class, () -> index.record(other));
        assertEquals("0111", e.statusHex());
        assertEquals("SOP Instance UID already stored with other content", e.getMessage());
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(home.resolve("spool/2026/11/22/1.2.3/1.2.3.1.1.dcm")));
        assertEquals(1, StudyListing.studies(db).get(0).instances());
    }

    /**
     * The same, for a constraint other than the SOP Instance UID's. No such violation can be caused
     * through the schema as it stands, so the test adds a CHECK constraint of its own as a stand-in for
     * one (a later migration's, a race): it must fail the store, not be answered as a duplicate.
     */
    @Test
    void anotherConstraintViolationIsAFailureNotADuplicate() throws Exception {
        try (var c = db.connection(); var st = c.createStatement()) {
            st.execute("ALTER TABLE instance ADD CONSTRAINT test_stand_in CHECK (body_part_examined <> 'KNEE')");
        }
        ReceivedInstance knee = received("1.2.5", "1.2.5.1.1", "KNEE");
        DicomStatusException e = assertThrows(DicomStatusException.class, () -> index.record(knee));
        assertEquals("0110", e.statusHex());
        assertEquals("cannot index the instance (database constraint)", e.getMessage());
        try (var c = db.connection(); var rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM instance")) {
            rs.next();
            assertEquals(0, rs.getInt(1));
        }
    }

    @Test
    void outOfScopeStudyKeepsItsReason() throws Exception {
        index.record(received("1.2.4", "1.2.4.1.1", "HAND"));
        clock.now = clock.now.plusSeconds(31);
        assembler.settleQuietStudies();
        var row = StudyListing.studies(db).get(0);
        assertEquals("OUT_OF_SCOPE", row.state());
        assertEquals("body part HAND is not chest", row.reason());
    }

    @Test
    void lateInstanceReopensASettledStudy() throws Exception {
        index.record(received("1.2.3", "1.2.3.1.1", "CHEST"));
        clock.now = clock.now.plusSeconds(31);
        assembler.settleQuietStudies();
        index.record(received("1.2.3", "1.2.3.1.2", "CHEST"));
        var row = StudyListing.studies(db).get(0);
        assertEquals("COLLECTING", row.state());
        assertEquals(1, row.reopened());
        assertEquals("re-opened: new instance after STABLE", row.reason());
        clock.now = clock.now.plusSeconds(31);
        assertEquals(StudyState.STABLE, assembler.settleQuietStudies().get(0).state());
    }

    @Test
    void stateSurvivesReopeningTheDatabase() throws Exception {
        index.record(received("1.2.3", "1.2.3.1.1", "CHEST"));
        clock.now = clock.now.plusSeconds(31);
        assembler.settleQuietStudies();
        db.close();
        db = Database.open("jdbc:h2:file:" + home.resolve("db/t"), "sa", "");
        assertEquals("STABLE", StudyListing.studies(db).get(0).state());
    }

    @Test
    void invalidUidIsRefusedWithCannotUnderstand() throws Exception {
        ReceivedInstance bad = received("1.2.x", "1.2.3.1.1", "CHEST");
        var e = org.junit.jupiter.api.Assertions.assertThrows(org.raddraft.dicom.DicomStatusException.class,
                () -> index.record(bad));
        assertEquals(0xC000, e.status());
        assertTrue(e.getMessage().startsWith("Study Instance UID (0020,000D) is missing or not a valid UID"));
    }
}
