package org.raddraft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code raddraft admin users ...} in-process against a configuration's database. */
class AdminUsersTest {

    @TempDir
    Path dir;

    private AdminCli.Run admin(String stdin, String... args) throws Exception {
        return AdminCli.admin(dir, stdin, args);
    }

    @Test
    void addListDisableAndRotate() throws Exception {
        assertEquals(0, admin("a long enough pass\n", "users", "add", "--name", "dr-a", "--role", "radiologist").exit());
        AdminCli.Run ris = admin("", "users", "add", "--name", "ris", "--role", "integration", "--acts-for", "dr-a");
        assertEquals(0, ris.exit(), ris.out());
        assertTrue(ris.out().contains("token (shown only now"), ris.out());
        AdminCli.Run list = admin("", "users", "list");
        assertTrue(list.out().matches("(?s).*dr-a\\s+radiologist\\s+local\\s+active.*"), list.out());
        assertTrue(list.out().matches("(?s).*ris\\s+integration\\s+local\\s+active\\s+-\\s+dr-a.*"), list.out());
        assertEquals(0, admin("", "users", "disable", "--name", "ris").exit());
        assertTrue(admin("", "users", "list").out().matches("(?s).*ris\\s+integration\\s+local\\s+disabled.*"));
        AdminCli.Run rotated = admin("", "users", "password", "--name", "ris");
        assertTrue(rotated.out().contains("new token for 'ris'"), rotated.out());
        assertEquals(0, admin("another long pass\n", "users", "password", "--name", "dr-a").exit());
    }

    @Test
    void theNameReportsPrintIsSetAtAddOrLaterAndChecked() throws Exception {
        AdminCli.Run added = admin("a long enough pass\n", "users", "add", "--name", "dr-a", "--role", "radiologist",
                "--display-name", "Smith^Jane^^Dr");
        assertEquals(0, added.exit(), added.out());
        assertTrue(admin("", "users", "list").out().matches("(?s).*dr-a\\s+radiologist\\s+local\\s+active\\s+Smith\\^Jane\\^\\^Dr.*"));
        AdminCli.Run changed = admin("", "users", "display-name", "--name", "dr-a", "--display-name", "Smith-Jones^Jane");
        assertEquals(0, changed.exit(), changed.out());
        assertTrue(changed.out().contains("reports approved by 'dr-a' now name Smith-Jones^Jane"), changed.out());
        AdminCli.Run bad = admin("", "users", "display-name", "--name", "dr-a", "--display-name", "Smith\\Jones^Jane");
        assertEquals(1, bad.exit());
        assertTrue(bad.out().contains("write Family^Given^Middle^Prefix^Suffix"), bad.out());
        AdminCli.Run badAtAdd = admin("a long enough pass\n", "users", "add", "--name", "dr-b", "--role", "radiologist",
                "--display-name", "^Jane");
        assertEquals(1, badAtAdd.exit(), "refused before the account is made");
        assertTrue(!admin("", "users", "list").out().contains("dr-b"));
        assertEquals(0, admin("", "users", "display-name", "--name", "dr-a", "--display-name", "").exit(), "cleared");
        assertTrue(admin("", "users", "list").out().matches("(?s).*dr-a\\s+radiologist\\s+local\\s+active\\s+-.*"));
    }

    @Test
    void mistakesAreExplained() throws Exception {
        AdminCli.Run badRole = admin("", "users", "add", "--name", "x", "--role", "nurse");
        assertEquals(2, badRole.exit());
        assertTrue(badRole.out().contains("unknown role 'nurse'; write one of radiologist, integration, admin"), badRole.out());
        AdminCli.Run shortPw = admin("short\n", "users", "add", "--name", "dr-b", "--role", "radiologist");
        assertEquals(1, shortPw.exit());
        assertTrue(shortPw.out().contains("the password is too short"), shortPw.out());
        AdminCli.Run nobody = admin("", "users", "disable", "--name", "nobody");
        assertEquals(1, nobody.exit());
        assertTrue(nobody.out().contains("no account named 'nobody'"), nobody.out());
        AdminCli.Run audit = admin("", "audit", "--study", "1.2.3");
        assertEquals(1, audit.exit());
        assertTrue(audit.out().contains("no study with Study Instance UID 1.2.3"), audit.out());
    }
}
