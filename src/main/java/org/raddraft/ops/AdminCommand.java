package org.raddraft.ops;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.raddraft.App;
import org.raddraft.Options;
import org.raddraft.Settings;
import org.raddraft.inference.DraftQueue;
import org.raddraft.store.Database;

/**
 * {@code raddraft admin studies [--json] --config FILE}: studies with state, instance count and reason.
 * {@code raddraft admin retry --config FILE (--study UID | --all-failed) [--json]}: FAILED studies
 * drafted again by the running daemon, once the cause (model, input) was fixed.
 */
public final class AdminCommand implements App.Command {

    static final int EXIT_NOTHING_DONE = 1;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Override
    public int run(String[] args) throws Exception {
        String sub = args.length == 0 ? "" : args[0];
        String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
        return switch (sub) {
            case "studies" -> studies(Options.parse(rest, Set.of("--config"), Set.of("--json")));
            case "retry" -> retry(Options.parse(rest, Set.of("--config", "--study"), Set.of("--all-failed", "--json")));
            default -> throw new Options.UsageException("admin needs a subcommand: studies or retry");
        };
    }

    private static Database open(Options o) throws Exception {
        Settings s = Settings.load(o.configFile());
        return Database.open(s.jdbcUrl(), s.get("store.user"), s.get("store.password"));
    }

    private static int studies(Options o) throws Exception {
        try (Database db = open(o)) {
            List<StudyListing.StudyRow> rows = StudyListing.studies(db);
            if (o.has("--json")) {
                System.out.println(JSON.writeValueAsString(rows));
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

    /** JSON of one re-queued study; field names are what scripts rely on. */
    record RetriedRow(long id, String study_instance_uid, String failed_reason) {
    }

    private static int retry(Options o) throws Exception {
        String uid = o.get("--study");
        if ((uid == null) == !o.has("--all-failed")) {
            throw new Options.UsageException("admin retry needs exactly one of --study UID or --all-failed");
        }
        try (Database db = open(o)) {
            List<DraftQueue.Requeued> done = DraftQueue.requeueFailed(db, Clock.systemUTC(), uid);
            if (done.isEmpty() && uid != null) {
                StudyListing.StudyRow row = StudyListing.studies(db).stream()
                        .filter(r -> r.study_instance_uid().equals(uid)).findFirst().orElse(null);
                System.err.println("raddraft admin retry: " + (row == null
                        ? "no study with Study Instance UID " + uid + " (see raddraft admin studies)"
                        : "study " + row.id() + " is " + row.state() + ", not FAILED: only failed studies are retried"));
                return EXIT_NOTHING_DONE;
            }
            if (o.has("--json")) {
                System.out.println(JSON.writeValueAsString(
                        done.stream().map(r -> new RetriedRow(r.id(), r.studyInstanceUid(), r.reason())).toList()));
            } else if (done.isEmpty()) {
                System.out.println("no FAILED studies");
            } else {
                for (DraftQueue.Requeued r : done) {
                    System.out.printf("study %d re-queued for drafting (it had failed: %s)%n", r.id(), r.reason());
                }
            }
        }
        return 0;
    }
}
