package org.raddraft.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.Dcmtk;
import org.raddraft.testing.DaemonProcess;

/**
 * kill -9 of the daemon while storescu pushes 320 instances, five times at different moments:
 * after a restart, every instance storescu saw acknowledged is present (file and row) and no
 * partial file remains.
 */
class CrashSafetyIT {

    static final int INSTANCES = 320;
    @TempDir
    static Path tmp;
    static List<Path> files;
    static Map<String, String> sopByFile = new HashMap<>();

    @BeforeAll
    static void makeInstances() throws Exception {
        Path template = Dcmtk.image(tmp.resolve("template"), "t", 256, 1, "StudyInstanceUID=1.2.826.0.1.3680043.10.2",
                "BodyPartExamined=CHEST", "ViewPosition=PA");
        files = Dcmtk.copiesWithNewSopUids(template, tmp.resolve("push"), INSTANCES);
        List<String> cmd = new ArrayList<>(List.of("dcmdump", "-q", "+F", "+P", "0008,0018"));
        files.forEach(f -> cmd.add(f.toString()));
        String out = Dcmtk.run(cmd.toArray()).output();
        String current = null;
        for (String line : out.split("\n")) {
            if (line.startsWith("# dcmdump (1/1): ") || line.matches("# dcmdump \\(\\d+/\\d+\\): .*")) {
                current = line.substring(line.indexOf("): ") + 3).trim();
            } else if (line.startsWith("(0008,0018)") && current != null) {
                sopByFile.put(current, line.substring(line.indexOf('[') + 1, line.indexOf(']')));
            }
        }
        assertEquals(INSTANCES, Set.copyOf(sopByFile.values()).size(), "every copy has its own SOP Instance UID");
    }

    @RepeatedTest(5)
    void acknowledgedInstancesSurviveKill9(RepetitionInfo rep, @TempDir Path home) throws Exception {
        int killAfter = 30 + 50 * rep.getCurrentRepetition(); // 80 .. 280 acknowledged instances
        List<String> acked;
        try (DaemonProcess d = new DaemonProcess(home, Map.of()).start()) {
            Path log = home.resolve("storescu.log");
            List<String> cmd = new ArrayList<>(List.of("storescu", "-v", "-aet", "PACS", "-aec", "RADDRAFT",
                    "localhost", String.valueOf(d.dicomPort)));
            files.forEach(f -> cmd.add(f.toString()));
            Process scu = Dcmtk.start(log, cmd.toArray(String[]::new));
            long deadline = System.currentTimeMillis() + 120_000;
            while (countSuccess(log) < killAfter && scu.isAlive() && System.currentTimeMillis() < deadline) {
                Thread.sleep(5);
            }
            d.kill9();
            scu.waitFor();
            acked = new Dcmtk.Result(scu.exitValue(), Files.readString(log)).storedFiles();
        }
        assertTrue(acked.size() >= killAfter && acked.size() < INSTANCES,
                "the kill landed mid-transfer: " + acked.size() + " acknowledged");

        try (DaemonProcess d = new DaemonProcess(home, Map.of()).start();
                Connection c = d.db()) {
            Map<String, String> pathBySop = new HashMap<>();
            try (ResultSet rs = c.createStatement().executeQuery("SELECT sop_instance_uid, path FROM instance")) {
                while (rs.next()) {
                    pathBySop.put(rs.getString(1), rs.getString(2));
                }
            }
            Path spool = home.resolve("spool");
            List<Path> present = new ArrayList<>();
            for (String f : acked) {
                String sop = sopByFile.get(f);
                String rel = pathBySop.get(sop);
                assertTrue(rel != null, "acknowledged instance " + sop + " has no row after restart");
                assertTrue(Files.size(spool.resolve(rel)) > 0, "acknowledged instance " + sop + " has no file");
                present.add(spool.resolve(rel));
            }
            try (Stream<Path> tmpFiles = Files.list(spool.resolve("tmp"))) {
                assertEquals(List.of(), tmpFiles.toList(), "no partial file remains");
            }
            List<Path> all;
            try (Stream<Path> walk = Files.walk(spool)) {
                all = walk.filter(p -> p.toString().endsWith(".dcm")).collect(Collectors.toList());
            }
            List<String> check = new ArrayList<>(List.of("dcmftest"));
            all.forEach(p -> check.add(p.toString()));
            String verdict = Dcmtk.run(check.toArray()).output();
            assertTrue(!verdict.contains("no: "), "every file in the spool is a complete Part 10 file:\n" + verdict);
            assertEquals(all.size(), pathBySop.size(), "one row per file in the spool");
            System.out.printf("kill -9 run %d: %d acknowledged, %d rows, %d files%n", rep.getCurrentRepetition(),
                    acked.size(), pathBySop.size(), all.size());
        }
    }

    private static int countSuccess(Path log) throws Exception {
        if (!Files.exists(log)) {
            return 0;
        }
        String s = Files.readString(log);
        int n = 0;
        for (int i = s.indexOf("Received Store Response (Success)"); i >= 0;
                i = s.indexOf("Received Store Response (Success)", i + 1)) {
            n++;
        }
        return n;
    }
}
