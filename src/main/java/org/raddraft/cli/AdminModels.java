package org.raddraft.cli;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.raddraft.App;
import org.raddraft.Options;
import org.raddraft.inference.InferenceException;
import org.raddraft.inference.ModelAssignments;
import org.raddraft.inference.ModelAssignments.Assignment;
import org.raddraft.inference.ModelAssignments.Slot;
import org.raddraft.inference.ModelDirectory;
import org.raddraft.inference.ModelRecords;
import org.raddraft.inference.remote.RemoteModel;
import org.raddraft.ops.ModelListing;
import org.raddraft.review.Actor;
import org.raddraft.review.AuditEntry;
import org.raddraft.review.AuditLog;
import org.raddraft.store.Database;

/**
 * {@code raddraft admin models list [--json] | shadow DIR | shadow --off | promote VERSION | rollback
 * --config FILE}: which model drafts what radiologists see, which drafts beside it unseen, and how
 * each agreed with the radiologists' final reports. The command writes the assignment and its audit
 * entry in one transaction of the running daemon's database; the daemon applies it before its next
 * drafting batch (within a few seconds) and records a model it cannot load in the list's load error.
 */
final class AdminModels implements App.Command {

    private static final String USAGE = "admin models needs one of: list, shadow DIR, shadow --off, promote VERSION,"
            + " rollback";

    @Override
    public int run(String[] args) throws Exception {
        String action = args.length == 0 ? "" : args[0];
        String arg = args.length > 1 && !args[1].startsWith("--") ? args[1] : null;
        String[] rest = Arrays.copyOfRange(args, Math.min(args.length, arg == null ? 1 : 2), args.length);
        return switch (action) {
            case "list" -> list(Options.parse(rest, Set.of("--config"), Set.of("--json")));
            case "shadow" -> shadow(Options.parse(rest, Set.of("--config"), Set.of("--off")), arg);
            case "promote" -> promote(Options.parse(rest, Set.of("--config"), Set.of()), arg);
            case "rollback" -> rollback(Options.parse(rest, Set.of("--config"), Set.of()));
            default -> throw new Options.UsageException(USAGE);
        };
    }

    private static int list(Options o) throws Exception {
        try (Database db = AdminCommand.open(o)) {
            List<ModelListing.ModelRow> rows = ModelListing.models(db);
            if (o.has("--json")) {
                System.out.println(Json.PRETTY.writeValueAsString(rows));
                return 0;
            }
            System.out.printf("%-24s %-16s %-7s %7s %7s %8s %8s %8s %8s %10s%n", "MODEL", "VERSION", "SLOT", "DRAFTS",
                    "SHADOW", "COMPARED", "LABEL_F1", "EDIT", "CRITICAL", "ACCEPTANCE");
            for (ModelListing.ModelRow r : rows) {
                System.out.printf("%-24s %-16s %-7s %7d %7d %8d %8s %8s %8s %10s%s%n", r.name(), r.version(), r.slot(),
                        r.drafts(), r.shadow_drafts(), r.compared(), fmt(r.label_f1()), fmt(r.edit_distance()),
                        r.critical_errors() == null ? "" : r.critical_errors(), fmt(r.acceptance()),
                        r.load_error() == null ? "" : "  (cannot load: " + r.load_error() + ")");
            }
        }
        return 0;
    }

    private static String fmt(Double d) {
        return d == null ? "-" : String.format(java.util.Locale.ROOT, "%.3f", d);
    }

    /** A model directory's name, version and intended use, checked as the daemon will read it. */
    record Manifest(String name, String version, String intendedUse) {
    }

    static Manifest manifest(Path dir) throws InferenceException {
        if (ModelDirectory.OPENAI_CHAT.equals(ModelDirectory.backend(dir))) {
            RemoteModel m = RemoteModel.open(dir);
            return new Manifest(m.name(), m.version(), m.intendedUse());
        }
        ModelDirectory.Manifest m = ModelDirectory.open(dir).manifest();
        return new Manifest(m.name(), m.version(), m.json().path("intended_use").asText(null));
    }

    private static int shadow(Options o, String dirArg) throws Exception {
        if ((dirArg == null) == !o.has("--off")) {
            throw new Options.UsageException("admin models shadow needs a model directory, or --off");
        }
        try (Database db = AdminCommand.open(o); Connection c = db.connection()) {
            c.setAutoCommit(false);
            Clock clock = Clock.systemUTC();
            if (o.has("--off")) {
                Assignment now = ModelAssignments.current(c, Slot.SHADOW);
                if (now == null || now.empty()) {
                    System.err.println("raddraft admin models: no shadow model is assigned");
                    return AdminCommand.EXIT_NOTHING_DONE;
                }
                ModelAssignments.assign(c, Slot.SHADOW, null, null, null, "shadow-off", actorName(), clock);
                audit(c, "model-shadow-off", now, "shadow drafting stopped");
                c.commit();
                System.out.printf("shadow drafting with %s %s stops before the daemon's next batch%n", now.name(),
                        now.version());
                return 0;
            }
            Path dir = Path.of(dirArg).toAbsolutePath().normalize();
            Manifest m;
            try {
                m = manifest(dir);
            } catch (InferenceException e) {
                System.err.println("raddraft admin models: " + e.getMessage());
                return AdminCommand.EXIT_NOTHING_DONE;
            }
            Assignment active = ModelAssignments.current(c, Slot.ACTIVE);
            if (active != null && active.sameModel(m.name(), m.version())) {
                System.err.printf("raddraft admin models: %s holds %s %s, the active model; give the candidate its own"
                        + " version in %s%n", dir, m.name(), m.version(), ModelDirectory.MANIFEST);
                return AdminCommand.EXIT_NOTHING_DONE;
            }
            Assignment sameVersion = ModelAssignments.byVersion(c, m.version());
            if (sameVersion != null && !sameVersion.dir().equals(dir.toString())) {
                System.err.printf("raddraft admin models: version %s was assigned from %s already; each model directory"
                        + " needs its own version in %s%n", m.version(), sameVersion.dir(), ModelDirectory.MANIFEST);
                return AdminCommand.EXIT_NOTHING_DONE;
            }
            Assignment a = ModelAssignments.assign(c, Slot.SHADOW, m.name(), m.version(), dir.toString(), "shadow",
                    actorName(), clock);
            audit(c, "model-shadow", a, "shadow from " + dir);
            c.commit();
            ModelRecords.record(db, m.name(), m.version(), m.intendedUse(), clock);
            System.out.printf("%s %s drafts in shadow beside %s from the daemon's next batch on (its drafts are not"
                    + " shown); see raddraft admin models list%n", m.name(), m.version(),
                    active == null ? "the active model" : active.name() + " " + active.version());
            return 0;
        }
    }

    private static int promote(Options o, String version) throws Exception {
        if (version == null) {
            throw new Options.UsageException("admin models promote needs the VERSION to promote (see admin models list)");
        }
        try (Database db = AdminCommand.open(o); Connection c = db.connection()) {
            c.setAutoCommit(false);
            Assignment target = ModelAssignments.byVersion(c, version);
            if (target == null) {
                System.err.println("raddraft admin models: no model of version " + version + " was assigned here;"
                        + " run it in shadow first (admin models shadow DIR), see admin models list");
                return AdminCommand.EXIT_NOTHING_DONE;
            }
            return makeActive(c, target, "promote");
        }
    }

    private static int rollback(Options o) throws Exception {
        try (Database db = AdminCommand.open(o); Connection c = db.connection()) {
            c.setAutoCommit(false);
            Assignment target = ModelAssignments.previousActive(c);
            if (target == null) {
                System.err.println("raddraft admin models: no earlier active model to go back to");
                return AdminCommand.EXIT_NOTHING_DONE;
            }
            return makeActive(c, target, "rollback");
        }
    }

    /** {@code target}'s model becomes ACTIVE (and leaves the shadow slot if it was there), audited. */
    private static int makeActive(Connection c, Assignment target, String action) throws Exception {
        Clock clock = Clock.systemUTC();
        Assignment active = ModelAssignments.current(c, Slot.ACTIVE);
        if (active != null && active.sameModel(target.name(), target.version())) {
            System.err.printf("raddraft admin models: %s %s is the active model already%n", target.name(), target.version());
            return AdminCommand.EXIT_NOTHING_DONE;
        }
        Assignment a = ModelAssignments.assign(c, Slot.ACTIVE, target.name(), target.version(), target.dir(), action,
                actorName(), clock);
        Assignment shadow = ModelAssignments.current(c, Slot.SHADOW);
        if (shadow != null && shadow.sameModel(target.name(), target.version())) {
            ModelAssignments.assign(c, Slot.SHADOW, null, null, null, action, actorName(), clock);
        }
        String was = active == null ? "none" : active.name() + " " + active.version();
        audit(c, "model-" + action, a, "was active: " + was + "; from " + target.dir());
        c.commit();
        System.out.printf("%s: %s %s drafts the next study (was %s); the daemon applies it before its next batch%n",
                action, target.name(), target.version(), was);
        return 0;
    }

    private static String actorName() {
        return Actor.commandLine().principal().name();
    }

    private static void audit(Connection c, String action, Assignment a, String detail) throws Exception {
        new AuditLog(Clock.systemUTC()).record(c, AuditEntry.of(Actor.commandLine(), action, "Model",
                cut(a.name() + " " + a.version(), 100)).outcome(AuditEntry.SUCCESS, cut(detail, 1000)));
    }

    private static String cut(String s, int max) {
        return s.length() > max ? s.substring(0, max) : s;
    }
}
