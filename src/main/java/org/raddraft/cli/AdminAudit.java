package org.raddraft.cli;

import java.util.List;
import java.util.Set;
import org.raddraft.App;
import org.raddraft.Options;
import org.raddraft.review.StudyTrail;
import org.raddraft.store.Database;

/**
 * {@code raddraft admin audit --study UID [--json] --config FILE}: one study's trail from the first
 * instance received to the radiologist's decision and delivery.
 */
final class AdminAudit implements App.Command {

    @Override
    public int run(String[] args) throws Exception {
        Options o = Options.parse(args, Set.of("--config", "--study"), Set.of("--json"));
        String uid = o.require("--study");
        try (Database db = AdminCommand.open(o)) {
            List<StudyTrail.Step> steps = StudyTrail.of(db, uid);
            if (steps == null) {
                System.err.println("raddraft admin audit: no study with Study Instance UID " + uid
                        + " (see raddraft admin studies)");
                return AdminCommand.EXIT_NOTHING_DONE;
            }
            if (o.has("--json")) {
                System.out.println(Json.PRETTY.writeValueAsString(steps));
                return 0;
            }
            for (StudyTrail.Step s : steps) {
                System.out.printf("%-27s %-48s %s%s%n", s.at(), s.what(), s.who() == null ? "" : s.who(),
                        s.detail() == null || s.detail().isBlank() ? "" : "  [" + s.detail() + "]");
            }
        }
        return 0;
    }
}
