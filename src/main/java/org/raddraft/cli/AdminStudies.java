package org.raddraft.cli;

import java.util.List;
import java.util.Set;
import org.raddraft.App;
import org.raddraft.Options;
import org.raddraft.ops.StudyListing;
import org.raddraft.store.Database;

/** {@code raddraft admin studies [--json] --config FILE}: studies with state, instance count and reason. */
final class AdminStudies implements App.Command {

    @Override
    public int run(String[] args) throws Exception {
        Options o = Options.parse(args, Set.of("--config"), Set.of("--json"));
        try (Database db = AdminCommand.open(o)) {
            List<StudyListing.StudyRow> rows = StudyListing.studies(db);
            if (o.has("--json")) {
                System.out.println(Json.PRETTY.writeValueAsString(rows));
            } else {
                System.out.printf("%-6s %-14s %-9s %s%n", "ID", "STATE", "INSTANCES", "REASON");
                for (StudyListing.StudyRow r : rows) {
                    System.out.printf("%-6d %-14s %-9d %s%n", r.id(), r.state(), r.instances(),
                            r.reason() == null ? "" : r.reason());
                }
            }
        }
        return 0;
    }
}
