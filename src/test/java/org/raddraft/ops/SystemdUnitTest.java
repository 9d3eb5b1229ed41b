package org.raddraft.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.Dcmtk;

/** The shipped unit passes systemd-analyze verify and keeps the hardening admins rely on. */
class SystemdUnitTest {

    static final Path UNIT = Path.of("systemd/raddraft.service");

    @Test
    void systemdAnalyzeVerifyIsClean(@TempDir Path dir) throws Exception {
        // verify checks that ExecStart exists: point the unit at this checkout instead of /opt/raddraft
        Path unit = dir.resolve("raddraft.service");
        Files.writeString(unit, Files.readString(UNIT).replace("/opt/raddraft", Path.of("").toAbsolutePath().toString()));
        var r = Dcmtk.run("systemd-analyze", "verify", unit.toString());
        assertEquals(0, r.exitCode(), r.output());
        assertEquals("", r.output().strip(), "systemd-analyze verify prints nothing for a clean unit");
    }

    @Test
    void unitRunsHardenedAsDedicatedUser() throws Exception {
        String u = Files.readString(UNIT);
        for (String line : new String[] {"User=raddraft", "StateDirectory=raddraft", "ProtectSystem=strict",
                "NoNewPrivileges=yes", "SuccessExitStatus=143", "Restart=on-failure", "PrivateTmp=yes",
                "Environment=RADDRAFT_HOME=/var/lib/raddraft"}) {
            assertTrue(u.lines().anyMatch(l -> l.equals(line)), "missing " + line);
        }
    }
}
