package org.raddraft.cli;

import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.raddraft.App;
import org.raddraft.Options;
import org.raddraft.Settings;
import org.raddraft.ops.RowRetention;
import org.raddraft.ops.SpoolRetention;
import org.raddraft.store.Database;

/**
 * {@code raddraft admin purge [--dry-run] [--json] --config FILE}: removes the spool files of studies
 * done longer than {@code retention.spool-days} ago ({@link SpoolRetention}), then the database rows
 * past their group's {@code retention.rows.*-days} ({@link RowRetention}); --dry-run only lists the
 * studies and counts the rows per table. Prints internal study ids and figures, never patient data.
 */
final class AdminPurge implements App.Command {

    /** The JSON answer: the spool part as before, and the rows. */
    record Purge(boolean dryRun, int days, Instant cutoff, java.util.List<SpoolRetention.Purgeable> studies, int files,
                 long bytes, java.util.List<String> problems, RowRetention.Result rows) {
    }

    @Override
    public int run(String[] args) throws Exception {
        Options o = Options.parse(args, Set.of("--config"), Set.of("--dry-run", "--json"));
        Settings s = Settings.load(o.configFile());
        int days = s.getInt("retention.spool-days");
        if (days < 0) {
            throw new Options.UsageException("retention.spool-days is " + days + "; write 0 (never) or a number of days");
        }
        RowRetention.Days rowDays = RowRetention.days(s);
        boolean dry = o.has("--dry-run");
        SpoolRetention.Result r;
        RowRetention.Result rows;
        try (Database db = AdminCommand.open(o)) {
            Instant now = Instant.now();
            r = SpoolRetention.purge(db, s.spoolDir(), days, now, dry);
            rows = RowRetention.purge(db, rowDays, now, dry);
        }
        if (o.has("--json")) {
            System.out.println(Json.PRETTY.writeValueAsString(new Purge(r.dryRun(), r.days(), r.cutoff(), r.studies(),
                    r.files(), r.bytes(), r.problems(), rows)));
        } else {
            if (days == 0) {
                System.out.println("retention.spool-days is 0: nothing is ever purged");
            } else {
                for (SpoolRetention.Purgeable p : r.studies()) {
                    System.out.printf("study %d (%s): %d files, %d bytes%s%s%n", p.studyId(), p.reason(), p.files(),
                            p.bytes(), dry ? " would be removed" : " removed",
                            p.headerKept() ? "" : "; its first file is not readable DICOM: a correction cannot be delivered");
                }
                System.out.printf("%s%d studies, %d files, %d bytes done before %s (retention.spool-days=%d)%n",
                        dry ? "dry run, nothing removed: " : "purged: ", r.studies().size(), r.files(), r.bytes(),
                        r.cutoff(), days);
            }
            printRows(rows);
        }
        r.problems().forEach(p -> System.err.println("raddraft admin purge: " + p));
        return r.problems().isEmpty() ? 0 : AdminCommand.EXIT_NOTHING_DONE;
    }

    private static void printRows(RowRetention.Result rows) {
        for (Map.Entry<String, Instant> g : rows.cutoffs().entrySet()) {
            System.out.printf("rows of %s: %s%n", g.getKey(), g.getValue() == null ? "kept forever (0 days)"
                    : "older than " + g.getValue());
        }
        StringBuilder line = new StringBuilder(rows.dryRun() ? "rows that would go:" : "rows removed:");
        rows.rows().forEach((table, n) -> line.append(' ').append(table).append('=').append(n));
        if (rows.rows().isEmpty()) {
            line.append(" none (every group kept forever)");
        }
        System.out.println(line + (rows.studies().isEmpty() ? "" : " (studies " + rows.studies() + ")"));
    }
}
