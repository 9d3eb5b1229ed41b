package org.raddraft.cli;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import org.raddraft.App;
import org.raddraft.Options;
import org.raddraft.Settings;
import org.raddraft.store.Database;

/**
 * {@code raddraft admin backup --out FILE.zip --config FILE}: an online backup of the embedded H2
 * database with H2's own {@code BACKUP TO} (a consistent copy while the daemon keeps working), run
 * through the running daemon's loopback database channel, or in-process when no daemon runs. The zip
 * holds db/raddraft.mv.db; restore is: stop, unzip into db/, start (docs/admin-guide.md). PostgreSQL
 * ({@code store.jdbc-url} set) is backed up with pg_dump, not here.
 */
final class AdminBackup implements App.Command {

    @Override
    public int run(String[] args) throws Exception {
        Options o = Options.parse(args, Set.of("--config", "--out"), Set.of());
        Path out = Path.of(o.require("--out")).toAbsolutePath().normalize();
        Settings s = Settings.load(o.configFile());
        if (!s.get("store.jdbc-url").isEmpty()) {
            System.err.println("raddraft admin backup: store.jdbc-url is set; back up that database with its own tool"
                    + " (PostgreSQL: pg_dump --format=custom, see docs/admin-guide.md)");
            return AdminCommand.EXIT_NOTHING_DONE;
        }
        if (!out.getFileName().toString().endsWith(".zip")) {
            throw new Options.UsageException("--out must name a .zip file (H2 writes a zip), not '" + out + "'");
        }
        if (out.getParent() == null || !Files.isDirectory(out.getParent())) {
            throw new Options.UsageException("--out: the directory " + out.getParent() + " does not exist");
        }
        // created here first, mode 600: the backup holds patient data and is never readable by other users
        try {
            Files.createFile(out, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (FileAlreadyExistsException e) {
            System.err.println("raddraft admin backup: " + out + " exists; choose another --out (a backup is never overwritten)");
            return AdminCommand.EXIT_NOTHING_DONE;
        }
        boolean done = false;
        try (Database db = AdminCommand.open(o); Connection c = db.connection(); Statement st = c.createStatement()) {
            st.execute("BACKUP TO '" + out.toString().replace("'", "''") + "'");
            done = true;
        } catch (SQLException e) {
            // H2's message names only the file; still, only its code and our wording are printed
            System.err.println("raddraft admin backup: the database did not write " + out + " (H2 error "
                    + e.getErrorCode() + "): check that the daemon's user may write that directory");
            return AdminCommand.EXIT_NOTHING_DONE;
        } finally {
            if (!done) {
                Files.deleteIfExists(out);
            }
        }
        System.out.printf("backup written: %s (%d bytes)%n", out, Files.size(out));
        return 0;
    }
}
