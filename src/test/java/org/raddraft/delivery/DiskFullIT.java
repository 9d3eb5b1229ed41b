package org.raddraft.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.dicom.RawScu;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.HostileDicom;
import org.raddraft.testing.MllpPeer;

/**
 * Disk full (issue 24) on a real, small file system: the daemon's home on a 128 MiB tmpfs that the
 * test mounts (root only; skipped with a message otherwise), filled by a ballast file. While the spool
 * has less than storage.min-free-mb left: C-STORE answers A700 (also when the space runs out in the
 * middle of an instance), nothing half-written stays in the spool, a radiologist's approval is
 * committed and the report delivered to a real MLLP peer; when the ballast goes, ingest resumes.
 */
class DiskFullIT {

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    static Path tmp;

    static final long MIB = 1024 * 1024;

    @Test
    void aFullSpoolAnswersA700WhileReviewsAndDeliveriesGoOnAndIngestResumesWhenSpaceReturns() throws Exception {
        Path small = Files.createDirectories(tmp.resolve("small"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=128m", "tmpfs", small.toString())
                .redirectErrorStream(true).start();
        String said = new String(mount.getInputStream().readAllBytes()).trim();
        assumeTrue(mount.waitFor() == 0, "DiskFullIT skipped: mounting a tmpfs needs root (mount said: " + said + ")");
        try (MllpPeer ris = new MllpPeer().start()) {
            Map<String, String> config = new HashMap<>(Hl7DeliveryIT.deliveryConfig(ris.port));
            config.put("storage.min-free-mb", "24");
            try (DaemonProcess daemon = new DaemonProcess(small.resolve("home"), config).start()) {
                Approvals approvals = new Approvals(daemon, tmp);
                List<Approvals.Study> studies = approvals.drafted("DF", 2);
                Path ballast = small.resolve("ballast");

                // less than storage.min-free-mb left: refused before anything is written
                fillTo(ballast, small, 16 * MIB);
                assertEquals(0xA700, store(daemon, HostileDicom.Uids.fresh(1), 512 * 1024), "C-STORE with the spool full");
                // enough at the start, not at the end: the 4 MiB re-check refuses it mid-instance
                fillTo(ballast, small, 30 * MIB);
                assertEquals(0xA700, store(daemon, HostileDicom.Uids.fresh(2), 20 * 1024 * 1024), "C-STORE running out mid-way");
                assertEquals(List.of(), partFiles(daemon), "nothing half-written in the spool");

                // reviews and deliveries go on
                approvals.approve(studies.get(0), "Lungs clear.", "Normal.");
                Approvals.Row row = approvals.awaitRow(studies.get(0), "HL7", 1, "SENT");
                assertEquals(1, row.attempts(), row.toString());
                assertEquals(1, ris.received().size(), "the RIS got the approved report");
                assertEquals(200, daemon.request("GET", "/fhir/DiagnosticReport/" + studies.get(1).draftId(),
                        daemon.token("radiologist"), Map.of(), null).statusCode());

                // space returns: ingest resumes
                Files.delete(ballast);
                assertEquals(0x0000, store(daemon, HostileDicom.Uids.fresh(3), 512 * 1024), "C-STORE after space returned");
                assertEquals(1, approvals.drafted("DR", 1).size());
            }
        } finally {
            new ProcessBuilder("umount", small.toString()).inheritIO().start().waitFor();
        }
    }

    /** One plain CR with {@code pixelBytes} of Pixel Data (dimensions to match), its C-STORE status. */
    static int store(DaemonProcess daemon, HostileDicom.Uids uids, int pixelBytes) throws IOException {
        int side = (int) Math.sqrt(pixelBytes / 2.0);
        try (RawScu scu = RawScu.associate(daemon.dicomPort, null, "PACS", "RADDRAFT", 60_000)) {
            return scu.store(uids.sop(), HostileDicom.hugeImage(uids, side, side, side * side * 2), 16_000).status();
        }
    }

    /** Grows or shrinks the ballast so that {@code free} bytes stay free on the file system (allocated, not sparse). */
    static void fillTo(Path ballast, Path fs, long free) throws IOException {
        long now = Files.getFileStore(fs).getUsableSpace();
        long size = Files.exists(ballast) ? Files.size(ballast) : 0;
        long target = Math.max(0, size + now - free);
        try (RandomAccessFile f = new RandomAccessFile(ballast.toFile(), "rw")) {
            f.setLength(Math.min(size, target));
            byte[] chunk = new byte[(int) MIB];
            f.seek(f.length());
            for (long left = target - f.length(); left > 0; left -= chunk.length) {
                f.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
        }
    }

    static List<Path> partFiles(DaemonProcess daemon) throws IOException {
        try (Stream<Path> s = Files.walk(daemon.home().resolve("spool"))) {
            return s.filter(p -> p.toString().endsWith(".part")).toList();
        }
    }
}
