package org.raddraft.cli;

import java.sql.Connection;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import org.raddraft.App;
import org.raddraft.Options;
import org.raddraft.inference.DraftQueue;
import org.raddraft.ops.StudyListing;
import org.raddraft.review.Actor;
import org.raddraft.review.AuditEntry;
import org.raddraft.review.AuditLog;
import org.raddraft.store.Database;

/**
 * {@code raddraft admin retry --config FILE (--study UID | --all-failed) [--json]}: FAILED studies
 * drafted again by the running daemon, once the cause (model, input) was fixed.
 */
final class AdminRetry implements App.Command {

    /** JSON of one re-queued study; field names are what scripts rely on. */
    record RetriedRow(long id, String study_instance_uid, String failed_reason) {
    }

    @Override
    public int run(String[] args) throws Exception {
        Options o = Options.parse(args, Set.of("--config", "--study"), Set.of("--all-failed", "--json"));
        String uid = o.get("--study");
        if ((uid == null) == !o.has("--all-failed")) {
            throw new Options.UsageException("admin retry needs exactly one of --study UID or --all-failed");
        }
        try (Database db = AdminCommand.open(o)) {
            List<DraftQueue.Requeued> done = requeueAudited(db, uid);
            if (done.isEmpty() && uid != null) {
                StudyListing.StudyRow row = StudyListing.studies(db).stream()
                        .filter(r -> r.study_instance_uid().equals(uid)).findFirst().orElse(null);
                System.err.println("raddraft admin retry: " + (row == null
                        ? "no study with Study Instance UID " + uid + " (see raddraft admin studies)"
                        : "study " + row.id() + " is " + row.state() + ", not FAILED: only failed studies are retried"));
                return AdminCommand.EXIT_NOTHING_DONE;
            }
            if (o.has("--json")) {
                System.out.println(Json.PRETTY.writeValueAsString(
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

    /** The retry and one audit row per study it re-queued, in one transaction. */
    private static List<DraftQueue.Requeued> requeueAudited(Database db, String uid) throws Exception {
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            List<DraftQueue.Requeued> done = DraftQueue.requeueFailed(c, Clock.systemUTC(), uid);
            AuditLog audit = new AuditLog(Clock.systemUTC());
            for (DraftQueue.Requeued r : done) {
                audit.record(c, AuditEntry.of(Actor.commandLine(), "retry", "Study", String.valueOf(r.id()))
                        .study(r.id()).outcome(AuditEntry.SUCCESS, "was FAILED: " + r.reason()));
            }
            c.commit();
            return done;
        }
    }
}
