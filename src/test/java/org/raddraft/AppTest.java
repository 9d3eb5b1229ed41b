package org.raddraft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppTest {

    private String stderr;
    private String stdout;

    private int run(String... args) throws Exception {
        PrintStream oldErr = System.err;
        PrintStream oldOut = System.out;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true));
        System.setOut(new PrintStream(out, true));
        try {
            return App.run(args);
        } finally {
            System.setErr(oldErr);
            System.setOut(oldOut);
            stderr = err.toString();
            stdout = out.toString();
        }
    }

    @Test
    void unknownCommandPrintsUsageAndExits2() throws Exception {
        assertEquals(2, run("frobnicate"));
        assertTrue(stderr.contains("unknown command 'frobnicate'"), stderr);
        assertTrue(stderr.contains("usage: raddraft <command>"), stderr);
    }

    @Test
    void noCommandPrintsUsageAndExits2() throws Exception {
        assertEquals(2, run());
        assertTrue(stderr.contains("usage:"), stderr);
    }

    @Test
    void badOptionPrintsUsageAndExits2() throws Exception {
        assertEquals(2, run("run", "--confg", "x"));
        assertTrue(stderr.contains("unknown option '--confg'"), stderr);
        assertEquals(2, run("check-config"));
        assertTrue(stderr.contains("option --config is required"), stderr);
        assertEquals(2, run("admin", "nothing"));
        assertEquals(2, run("check-config", "--config"));
        assertTrue(stderr.contains("option --config needs a value"), stderr);
    }

    @Test
    void checkConfigExitCodes(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("good.properties");
        Files.writeString(good, "dicom.allowed-peers=PACS@10.0.0.5\n");
        assertEquals(0, run("check-config", "--config", good.toString()));
        Path bad = dir.resolve("bad.properties");
        Files.writeString(bad, "http.port=-1\n");
        assertEquals(1, run("check-config", "--config", bad.toString()));
        assertEquals(1, run("check-config", "--config", dir.resolve("missing.properties").toString()));
    }

    @Test
    void checkConfigWarnsOfAnHttpBindBeyondLoopbackButPasses(@TempDir Path dir) throws Exception {
        Path open = dir.resolve("open.properties");
        Files.writeString(open, "http.bind=0.0.0.0\n");
        assertEquals(1, run("check-config", "--config", open.toString()), "plain HTTP beyond loopback is refused");
        Files.writeString(open, "http.bind=0.0.0.0\nhttp.allow-insecure-plaintext=true\n");
        assertEquals(0, run("check-config", "--config", open.toString()));
        assertTrue(stdout.contains("warning: http.bind: '0.0.0.0' serves plain HTTP to the network"), stdout);
        Path loopback = dir.resolve("loopback.properties");
        Files.writeString(loopback, "http.bind=127.0.0.1\n");
        assertEquals(0, run("check-config", "--config", loopback.toString()));
        assertFalse(stdout.contains("loopback.properties: warning"), stdout);
    }
}
