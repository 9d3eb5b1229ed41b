package org.raddraft.cli;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.raddraft.App;
import org.raddraft.Options;
import org.raddraft.Settings;
import org.raddraft.store.Database;

/**
 * {@code raddraft admin <subcommand> ...}: the admin's commands against the daemon's database. Each
 * subcommand is one small class registered here; they depend on the stages, never the other way round.
 */
public final class AdminCommand implements App.Command {

    /** The command ran but found nothing to act on (e.g. an unknown UID): exit 1 with the reason on stderr. */
    static final int EXIT_NOTHING_DONE = 1;

    private static Map<String, App.Command> subcommands() {
        Map<String, App.Command> c = new LinkedHashMap<>();
        c.put("studies", new AdminStudies());
        c.put("retry", new AdminRetry());
        c.put("users", new AdminUsers());
        c.put("audit", new AdminAudit());
        c.put("feedback", new AdminFeedback());
        c.put("draft", new AdminDraft());
        c.put("outbox", new AdminOutbox());
        c.put("backup", new AdminBackup());
        c.put("purge", new AdminPurge());
        c.put("models", new AdminModels());
        return c;
    }

    @Override
    public int run(String[] args) throws Exception {
        Map<String, App.Command> subs = subcommands();
        String sub = args.length == 0 ? "" : args[0];
        if (!subs.containsKey(sub)) {
            throw new Options.UsageException("admin needs a subcommand: " + String.join(", ", subs.keySet()));
        }
        return subs.get(sub).run(Arrays.copyOfRange(args, 1, args.length));
    }

    /** The database of the configuration {@code --config} names (the running daemon's). */
    static Database open(Options o) throws Exception {
        Settings s = Settings.load(o.configFile());
        return org.raddraft.Databases.forAdmin(s);
    }
}
