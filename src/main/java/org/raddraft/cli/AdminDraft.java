package org.raddraft.cli;

import java.util.Locale;
import java.util.Set;
import org.raddraft.App;
import org.raddraft.Options;
import org.raddraft.flags.Flag;
import org.raddraft.ops.DraftListing;
import org.raddraft.store.Database;

/**
 * {@code raddraft admin draft --study UID [--json] --config FILE}: a study's latest draft text, its
 * confidence flags with their plain-language explanations, risk score and worklist priority.
 */
final class AdminDraft implements App.Command {

    @Override
    public int run(String[] args) throws Exception {
        Options o = Options.parse(args, Set.of("--config", "--study"), Set.of("--json"));
        String uid = o.require("--study");
        try (Database db = AdminCommand.open(o)) {
            DraftListing.DraftRow d = DraftListing.latest(db, uid);
            if (d == null) {
                System.err.println("raddraft admin draft: no draft for Study Instance UID " + uid
                        + " (see raddraft admin studies for its state)");
                return AdminCommand.EXIT_NOTHING_DONE;
            }
            if (o.has("--json")) {
                System.out.println(Json.PRETTY.writeValueAsString(d));
                return 0;
            }
            System.out.printf("study %d, draft %d (%s) by %s %s at %s%n", d.study_id(), d.id(), d.state(), d.model_name(),
                    d.model_version(), d.drafted_at());
            System.out.println("FINDINGS: " + d.findings());
            System.out.println("IMPRESSION: " + d.impression());
            if (d.missing_view() != null) {
                System.out.println("(drafted without a " + d.missing_view() + " view)");
            }
            System.out.printf(Locale.ROOT, "priority: %s   risk score: %s%n", priority(d.priority()),
                    d.risk_score() == null ? "n/a (the model has no flag calibration)" : String.format(Locale.ROOT,
                            "%.2f (calibrated chance that a finding is wrong)", d.risk_score()));
            if (d.flags().isEmpty()) {
                System.out.println("flags: none");
            } else {
                System.out.println("flags:");
                for (Flag f : d.flags()) {
                    System.out.printf(Locale.ROOT, "  %-22s %-27s severity %.2f  %s%n", f.code(),
                            f.finding() == null ? "(whole draft)" : f.finding(), f.severity(), f.detail());
                }
            }
            if (!d.unavailable().isEmpty()) {
                System.out.println("not computed for this draft:");
                for (String code : d.unavailable()) {
                    String why = d.unavailable_reasons().get(code);
                    System.out.printf(Locale.ROOT, "  %-22s %s%n", code, why == null ? "not computed for this model" : why);
                }
            }
        }
        return 0;
    }

    private static String priority(int p) {
        return switch (p) {
            case 2 -> "2 CRITICAL (read first)";
            case 1 -> "1 FLAGGED (check the flags)";
            default -> "0 routine";
        };
    }
}
