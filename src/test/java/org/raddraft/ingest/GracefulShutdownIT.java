package org.raddraft.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.Dcmtk;

/** SIGTERM (systemctl stop) while a PACS is sending: the association in flight is finished first. */
class GracefulShutdownIT {

    @Test
    void sigtermLetsTheAssociationInFlightFinish(@TempDir Path tmp) throws Exception {
        Path template = Dcmtk.image(tmp, "t", 128, 1, "StudyInstanceUID=1.2.826.0.1.3680043.10.4.1",
                "BodyPartExamined=CHEST", "ViewPosition=PA");
        List<Path> files = Dcmtk.copiesWithNewSopUids(template, tmp.resolve("push"), 60);
        try (DaemonProcess d = new DaemonProcess(tmp.resolve("home"), Map.of()).start()) {
            Path log = tmp.resolve("storescu.log");
            List<String> cmd = new ArrayList<>(List.of("storescu", "-v", "-aet", "PACS", "-aec", "RADDRAFT", "localhost",
                    String.valueOf(d.dicomPort)));
            files.forEach(f -> cmd.add(f.toString()));
            Process scu = Dcmtk.start(log, cmd.toArray(String[]::new));
            while (!Files.exists(log) || !Files.readString(log).contains("Received Store Response (Success)")) {
                Thread.sleep(5);
            }
            int exit = d.stop(); // SIGTERM mid-transfer
            assertEquals(0, scu.waitFor(), "storescu completed its association:\n" + Files.readString(log));
            var result = new Dcmtk.Result(0, Files.readString(log));
            assertEquals(60, result.storedFiles().size(), "every instance in flight was stored and acknowledged");
            assertTrue(exit == 0 || exit == 143, "clean exit on SIGTERM, got " + exit);
            try (var spool = Files.walk(tmp.resolve("home/spool"))) {
                assertEquals(60, spool.filter(p -> p.toString().endsWith(".dcm")).count());
            }
        }
    }
}
