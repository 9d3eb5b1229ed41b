package org.raddraft.cli;

import java.util.List;
import java.util.Set;
import org.raddraft.App;
import org.raddraft.Options;
import org.raddraft.ops.StudyListing;
import org.raddraft.store.Database;

/**
 * {@code raddraft admin studies [--json] [--quarantined] --config FILE}: studies with state, instance
 * count and reason, then the spool files start-up recovery quarantined (only those with
 * {@code --quarantined}; in JSON, the studies array is unchanged without it).
 */
final class AdminStudies implements App.Command {

    @Override
    public int run(String[] args) throws Exception {
        Options o = Options.parse(args, Set.of("--config"), Set.of("--json", "--quarantined"));
        try (Database db = AdminCommand.open(o)) {
            List<StudyListing.QuarantinedFile> quarantined = StudyListing.quarantined(db);
            if (o.has("--quarantined")) {
                printQuarantined(quarantined, o.has("--json"));
                return 0;
            }
            List<StudyListing.StudyRow> rows = StudyListing.studies(db);
            if (o.has("--json")) {
                System.out.println(Json.PRETTY.writeValueAsString(rows));
            } else {
                System.out.printf("%-6s %-14s %-9s %s%n", "ID", "STATE", "INSTANCES", "REASON");
                for (StudyListing.StudyRow r : rows) {
                    System.out.printf("%-6d %-14s %-9d %s%n", r.id(), r.state(), r.instances(),
                            r.reason() == null ? "" : r.reason());
                }
                if (!quarantined.isEmpty()) {
                    System.out.println();
                    printQuarantined(quarantined, false);
                }
            }
        }
        return 0;
    }

    private static void printQuarantined(List<StudyListing.QuarantinedFile> files, boolean json) throws Exception {
        if (json) {
            System.out.println(Json.PRETTY.writeValueAsString(files));
            return;
        }
        System.out.printf("%d spool file(s) quarantined at start-up (unreadable; under <spool>/quarantine, not indexed):%n",
                files.size());
        System.out.printf("%-6s %-24s %-40s %s%n", "ID", "QUARANTINED", "FILE", "REASON");
        for (StudyListing.QuarantinedFile f : files) {
            System.out.printf("%-6d %-24s %-40s %s%n", f.id(), f.quarantined_at(), f.quarantine_path(), f.reason());
        }
    }
}
