package org.raddraft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.App;

/** {@code raddraft admin users ...} in-process against a configuration's database. */
class AdminUsersTest {

    @TempDir
    Path dir;

    record Run(int exit, String out) {
    }

    private Run admin(String stdin, String... args) throws Exception {
        Path cfg = dir.resolve("r.properties");
        Files.writeString(cfg, "raddraft.home=" + dir + "\n");
        String[] full = new String[args.length + 3];
        full[0] = "admin";
        System.arraycopy(args, 0, full, 1, args.length);
        full[args.length + 1] = "--config";
        full[args.length + 2] = cfg.toString();
        InputStream in = System.in;
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            PrintStream p = new PrintStream(buf, true, StandardCharsets.UTF_8);
            System.setOut(p);
            System.setErr(p);
            return new Run(App.run(full), buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setIn(in);
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void addListDisableAndRotate() throws Exception {
        assertEquals(0, admin("a long enough pass\n", "users", "add", "--name", "dr-a", "--role", "radiologist").exit());
        Run ris = admin("", "users", "add", "--name", "ris", "--role", "integration", "--acts-for", "dr-a");
        assertEquals(0, ris.exit(), ris.out());
        assertTrue(ris.out().contains("token (shown only now"), ris.out());
        Run list = admin("", "users", "list");
        assertTrue(list.out().matches("(?s).*dr-a\\s+radiologist\\s+local\\s+active.*"), list.out());
        assertTrue(list.out().matches("(?s).*ris\\s+integration\\s+local\\s+active\\s+-\\s+dr-a.*"), list.out());
        assertEquals(0, admin("", "users", "disable", "--name", "ris").exit());
        assertTrue(admin("", "users", "list").out().matches("(?s).*ris\\s+integration\\s+local\\s+disabled.*"));
        Run rotated = admin("", "users", "password", "--name", "ris");
        assertTrue(rotated.out().contains("new token for 'ris'"), rotated.out());
        assertEquals(0, admin("another long pass\n", "users", "password", "--name", "dr-a").exit());
    }

    @Test
    void theNameReportsPrintIsSetAtAddOrLaterAndChecked() throws Exception {
        Run added = admin("a long enough pass\n", "users", "add", "--name", "dr-a", "--role", "radiologist",
                "--display-name", "Smith^Jane^^Dr");
        assertEquals(0, added.exit(), added.out());
        assertTrue(admin("", "users", "list").out().matches("(?s).*dr-a\\s+radiologist\\s+local\\s+active\\s+Smith\\^Jane\\^\\^Dr.*"));
        Run changed = admin("", "users", "display-name", "--name", "dr-a", "--display-name", "Smith-Jones^Jane");
        assertEquals(0, changed.exit(), changed.out());
        assertTrue(changed.out().contains("reports approved by 'dr-a' now name Smith-Jones^Jane"), changed.out());
        Run bad = admin("", "users", "display-name", "--name", "dr-a", "--display-name", "Smith\\Jones^Jane");
        assertEquals(1, bad.exit());
        assertTrue(bad.out().contains("write Family^Given^Middle^Prefix^Suffix"), bad.out());
        Run badAtAdd = admin("a long enough pass\n", "users", "add", "--name", "dr-b", "--role", "radiologist",
                "--display-name", "^Jane");
        assertEquals(1, badAtAdd.exit(), "refused before the account is made");
        assertTrue(!admin("", "users", "list").out().contains("dr-b"));
        assertEquals(0, admin("", "users", "display-name", "--name", "dr-a", "--display-name", "").exit(), "cleared");
        assertTrue(admin("", "users", "list").out().matches("(?s).*dr-a\\s+radiologist\\s+local\\s+active\\s+-.*"));
    }

    @Test
    void mistakesAreExplained() throws Exception {
        Run badRole = admin("", "users", "add", "--name", "x", "--role", "nurse");
        assertEquals(2, badRole.exit());
        assertTrue(badRole.out().contains("unknown role 'nurse'; write one of radiologist, integration, admin"), badRole.out());
        Run shortPw = admin("short\n", "users", "add", "--name", "dr-b", "--role", "radiologist");
        assertEquals(1, shortPw.exit());
        assertTrue(shortPw.out().contains("the password is too short"), shortPw.out());
        Run nobody = admin("", "users", "disable", "--name", "nobody");
        assertEquals(1, nobody.exit());
        assertTrue(nobody.out().contains("no account named 'nobody'"), nobody.out());
        Run audit = admin("", "audit", "--study", "1.2.3");
        assertEquals(1, audit.exit());
        assertTrue(audit.out().contains("no study with Study Instance UID 1.2.3"), audit.out());
    }
}
