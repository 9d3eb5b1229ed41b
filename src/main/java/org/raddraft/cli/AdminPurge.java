package org.raddraft.cli;

import java.time.Instant;
import java.util.Set;
import org.raddraft.App;
import org.raddraft.Options;
import org.raddraft.Settings;
import org.raddraft.ops.SpoolRetention;
import org.raddraft.store.Database;

/**
 * {@code raddraft admin purge [--dry-run] [--json] --config FILE}: removes the spool files of studies
 * done longer than {@code retention.spool-days} ago ({@link SpoolRetention}); --dry-run only lists
 * them. Prints internal study ids, file counts and bytes, never patient data.
 */
final class AdminPurge implements App.Command {

    @Override
    public int run(String[] args) throws Exception {
        Options o = Options.parse(args, Set.of("--config"), Set.of("--dry-run", "--json"));
        Settings s = Settings.load(o.configFile());
        int days = s.getInt("retention.spool-days");
        if (days < 0) {
            throw new Options.UsageException("retention.spool-days is " + days + "; write 0 (never) or a number of days");
        }
        boolean dry = o.has("--dry-run");
        SpoolRetention.Result r;
        try (Database db = AdminCommand.open(o)) {
            r = SpoolRetention.purge(db, s.spoolDir(), days, Instant.now(), dry);
        }
        if (o.has("--json")) {
            System.out.println(Json.PRETTY.writeValueAsString(r));
        } else if (days == 0) {
            System.out.println("retention.spool-days is 0: nothing is ever purged");
        } else {
            for (SpoolRetention.Purgeable p : r.studies()) {
                System.out.printf("study %d (%s): %d files, %d bytes%s%n", p.studyId(), p.reason(), p.files(), p.bytes(),
                        dry ? " would be removed" : " removed");
            }
            System.out.printf("%s%d studies, %d files, %d bytes done before %s (retention.spool-days=%d)%n",
                    dry ? "dry run, nothing removed: " : "purged: ", r.studies().size(), r.files(), r.bytes(), r.cutoff(),
                    days);
        }
        r.problems().forEach(p -> System.err.println("raddraft admin purge: " + p));
        return r.problems().isEmpty() ? 0 : AdminCommand.EXIT_NOTHING_DONE;
    }
}
