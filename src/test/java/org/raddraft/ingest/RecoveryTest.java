package org.raddraft.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.ops.StudyListing;
import org.raddraft.store.Database;
import org.raddraft.testing.Dcmtk;
import org.raddraft.testing.HostileDicom;

/** Start-up recovery of the spool after a crash or power loss, on real Part 10 files from testdata. */
class RecoveryTest {

    static final Path PA = Path.of("testdata/demo/dicom/ph-23-000034/1-PA.dcm");
    static final Path LATERAL = Path.of("testdata/demo/dicom/ph-23-000034/2-LL.dcm");

    @Test
    void completeTempFileIsIndexedAndTruncatedOneRemoved(@TempDir Path home) throws Exception {
        Path tmp = Files.createDirectories(home.resolve("spool/tmp"));
        Files.copy(PA, tmp.resolve("a.part")); // content fsync'd, rename lost to a power cut
        byte[] lateral = Files.readAllBytes(LATERAL);
        Files.write(tmp.resolve("b.part"), Arrays.copyOf(lateral, lateral.length / 2)); // transfer cut short
        try (Database db = Database.open("jdbc:h2:file:" + home.resolve("db/t"), "sa", "");
                DirectorySyncer syncer = new DirectorySyncer(Duration.ofMillis(50))) {
            InstanceIndex index = new InstanceIndex(db, home.resolve("spool"), Clock.systemUTC(), syncer);
            assertEquals(1, index.recover());
            try (Stream<Path> left = Files.list(tmp)) {
                assertEquals(0, left.count(), "no temp file remains");
            }
            assertEquals(1, StudyListing.studies(db).get(0).instances());
            try (Stream<Path> placed = Files.walk(home.resolve("spool"))) {
                assertTrue(placed.anyMatch(p -> p.toString().endsWith(".dcm") && !p.startsWith(tmp)));
            }
        }
    }

    /**
     * Several nodes on one PostgreSQL share the spool. A node's start-up recovery took every file in
     * spool/tmp: it indexed and renamed, or deleted, the file another node was receiving at that moment
     * (that node's C-STORE then failed, or the two nodes' rows collided). Now a node takes the files of its
     * own receive directory, and in the rest of spool/tmp only files abandoned for an hour (a node that
     * crashed and never came back).
     */
    @Test
    void aNodeRecoversItsOwnReceiveFilesAndOnlyAbandonedOnesOfOtherNodes(@TempDir Path home) throws Exception {
        Path tmp = home.resolve("spool/tmp");
        Path own = Files.createDirectories(tmp.resolve("node-a"));
        Path other = Files.createDirectories(tmp.resolve("node-b"));
        Files.copy(PA, own.resolve("mine.part"));
        byte[] lateral = Files.readAllBytes(LATERAL);
        Path receiving = other.resolve("receiving.part");
        Files.write(receiving, Arrays.copyOf(lateral, lateral.length / 2)); // node-b is receiving it now
        Path committing = other.resolve("committing.part");
        Files.copy(LATERAL, committing); // node-b has it all and is committing it now
        Path legacy = tmp.resolve("older-version.part");
        Files.write(legacy, Arrays.copyOf(lateral, 100)); // a node of the previous version, receiving now
        HostileDicom.Uids gone = HostileDicom.Uids.fresh(3);
        Path abandonedComplete = other.resolve("abandoned.part");
        Files.write(abandonedComplete, HostileDicom.part10(HostileDicom.plain(gone), gone.sop()));
        Path abandonedCut = other.resolve("abandoned-cut.part");
        Files.write(abandonedCut, Arrays.copyOf(lateral, lateral.length / 3));
        java.nio.file.attribute.FileTime twoHoursAgo = java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minus(Duration.ofHours(2)));
        Files.setLastModifiedTime(abandonedComplete, twoHoursAgo);
        Files.setLastModifiedTime(abandonedCut, twoHoursAgo);
        try (Database db = Database.open("jdbc:h2:file:" + home.resolve("db/t"), "sa", "");
                DirectorySyncer syncer = new DirectorySyncer(Duration.ofMillis(50))) {
            InstanceIndex index = new InstanceIndex(db, home.resolve("spool"), Clock.systemUTC(), syncer);
            assertEquals(2, index.recover(own), "this node's file and the abandoned complete one");
            try (Stream<Path> left = Files.list(own)) {
                assertEquals(0, left.count(), "nothing left in this node's receive directory");
            }
            assertArrayEquals(Arrays.copyOf(lateral, lateral.length / 2), Files.readAllBytes(receiving),
                    "another node's file being received is left as it is");
            assertArrayEquals(lateral, Files.readAllBytes(committing), "another node's complete file is left to it");
            assertTrue(Files.exists(legacy), "a fresh file directly in spool/tmp is left to the node writing it");
            assertFalse(Files.exists(abandonedComplete), "an abandoned complete file is indexed");
            assertFalse(Files.exists(abandonedCut), "an abandoned transfer cut short is deleted");
            assertEquals(2, StudyListing.studies(db).size());
        }
    }

    @Test
    void fileRenamedButNotIndexedIsIndexed(@TempDir Path home) throws Exception {
        Path dir = Files.createDirectories(home.resolve("spool/2026/11/22/x"));
        Files.copy(PA, dir.resolve("pa.dcm"));
        try (Database db = Database.open("jdbc:h2:file:" + home.resolve("db/t"), "sa", "");
                DirectorySyncer syncer = new DirectorySyncer(Duration.ofMillis(50))) {
            InstanceIndex index = new InstanceIndex(db, home.resolve("spool"), Clock.systemUTC(), syncer);
            assertEquals(1, index.recover());
            assertEquals(0, index.recover(), "indexed once");
            assertFalse(StudyListing.studies(db).isEmpty());
            // the row records what the receiver would have: transfer syntax and calling AE from the meta header
            try (Connection c = db.connection(); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT transfer_syntax_uid, calling_ae FROM instance")) {
                assertTrue(rs.next());
                assertEquals(Dcmtk.transferSyntax(PA), rs.getString(1));
                assertEquals(Dcmtk.tag(PA, "0002,0016"), rs.getString(2));
            }
        }
    }

    /**
     * Issue 21 #2: a file nested 20,000 deep (as an earlier version acknowledged, or a crash left in
     * tmp) made recovery overflow the stack on the main thread, so the daemon could not start. Now it
     * is quarantined, recorded and start-up goes on.
     */
    @Test
    void unreadableSpoolFilesAreQuarantinedAndRecoveryGoesOn(@TempDir Path home) throws Exception {
        Path tmp = Files.createDirectories(home.resolve("spool/tmp"));
        HostileDicom.Uids deepPart = HostileDicom.Uids.fresh(1);
        Files.write(tmp.resolve("deep.part"),
                HostileDicom.part10(HostileDicom.deepNesting(deepPart, 20_000, "ISO 2022 IR 87"), deepPart.sop()));
        HostileDicom.Uids deepDcm = HostileDicom.Uids.fresh(2);
        Path dayDir = Files.createDirectories(home.resolve("spool/2026/11/22/" + deepDcm.study()));
        Files.write(dayDir.resolve(deepDcm.sop() + ".dcm"),
                HostileDicom.part10(HostileDicom.deepNesting(deepDcm, 20_000, null), deepDcm.sop()));
        Files.write(dayDir.resolve("garbage.dcm"), "not DICOM at all".getBytes());
        Files.copy(PA, tmp.resolve("good.part"));
        try (Database db = Database.open("jdbc:h2:file:" + home.resolve("db/t"), "sa", "");
                DirectorySyncer syncer = new DirectorySyncer(Duration.ofMillis(50))) {
            InstanceIndex index = new InstanceIndex(db, home.resolve("spool"), Clock.systemUTC(), syncer);
            assertEquals(1, index.recover(), "the readable file is indexed, the others do not stop recovery");
            try (Stream<Path> left = Files.list(tmp)) {
                assertEquals(0, left.count(), "no .part file remains");
            }
            var quarantined = StudyListing.quarantined(db);
            assertEquals(3, quarantined.size(), quarantined.toString());
            assertEquals("data set refused: sequences nested deeper than 64 levels", quarantined.get(0).reason());
            assertEquals("tmp/deep.part", quarantined.get(0).original_path());
            assertTrue(quarantined.stream().anyMatch(q -> q.reason().equals("not a readable DICOM Part 10 file")));
            for (var q : quarantined) {
                assertTrue(Files.isRegularFile(home.resolve("spool").resolve(q.quarantine_path())), q.toString());
                assertTrue(q.quarantine_path().startsWith("quarantine/" + q.id() + "-"), q.toString());
            }
            assertEquals(0, index.recover(), "quarantined files are not looked at again");
            assertEquals(3, StudyListing.quarantined(db).size());
        }
    }
}
