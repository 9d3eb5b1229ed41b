package org.raddraft.ops;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.raddraft.App;
import org.raddraft.Options;
import org.raddraft.Settings;
import org.raddraft.store.Database;

/** {@code raddraft admin studies [--json] --config FILE}: studies with state, instance count and reason. */
public final class AdminCommand implements App.Command {

    @Override
    public int run(String[] args) throws Exception {
        if (args.length == 0 || !args[0].equals("studies")) {
            throw new Options.UsageException("admin needs a subcommand: studies");
        }
        Options o = Options.parse(Arrays.copyOfRange(args, 1, args.length), Set.of("--config"), Set.of("--json"));
        Settings s = Settings.load(o.configFile());
        try (Database db = Database.open(s.jdbcUrl(), s.get("store.user"), s.get("store.password"))) {
            List<StudyListing.StudyRow> rows = StudyListing.studies(db);
            if (o.has("--json")) {
                System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(rows));
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
