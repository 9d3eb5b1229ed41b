package org.raddraft;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** {@code raddraft check-config --config FILE}: prints every problem with its fix; exit 1 if any. */
final class CheckConfigCommand implements App.Command {

    @Override
    public int run(String[] args) throws Exception {
        Path file = Options.parse(args, Set.of("--config"), Set.of()).configFile();
        Settings settings = load(file);
        if (settings == null) {
            return 1;
        }
        List<String> problems = new java.util.ArrayList<>(ConfigCheck.problems(settings));
        if (problems.isEmpty()) {
            problems.addAll(RemoteConfig.probe(settings)); // the engines answer, with the key, serving the model
        }
        if (problems.isEmpty() && !settings.get("store.jdbc-url").isEmpty()) {
            // a database server (PostgreSQL): it answers, and with which schema version (nothing is migrated)
            try {
                System.out.println(file + ": " + org.raddraft.store.Database.schemaStatus(settings.get("store.jdbc-url"),
                        settings.get("store.user"), settings.get("store.password")));
            } catch (RuntimeException e) {
                problems.add("store.jdbc-url: " + e.getMessage());
            }
        }
        ConfigCheck.warnings(settings).forEach(w -> System.out.println(file + ": warning: " + w));
        if (problems.isEmpty()) {
            System.out.println(file + ": configuration OK");
            return 0;
        }
        problems.forEach(p -> System.out.println(file + ": " + p));
        System.out.println(problems.size() + " problem(s)");
        return 1;
    }

    /** The settings from {@code file}, or null after saying on stderr why the file cannot be read. */
    static Settings load(Path file) throws java.io.IOException {
        if (!Files.isReadable(file)) {
            System.err.println(file + ": cannot read the configuration file; check the path and permissions");
            return null;
        }
        return Settings.load(file);
    }
}
