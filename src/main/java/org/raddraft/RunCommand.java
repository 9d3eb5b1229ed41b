package org.raddraft;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** {@code raddraft run --config FILE}: the daemon, until SIGTERM. Refuses to start on a bad config. */
final class RunCommand implements App.Command {

    @Override
    public int run(String[] args) throws Exception {
        Path file = Options.parse(args, Set.of("--config"), Set.of()).configFile();
        if (!Files.isReadable(file)) {
            System.err.println(file + ": cannot read the configuration file; check the path and permissions");
            return 1;
        }
        Settings settings = Settings.load(file);
        if (!startable(settings)) {
            return 1;
        }
        new Daemon(settings).runUntilStopped();
        return 0;
    }

    static boolean startable(Settings settings) {
        List<String> problems = ConfigCheck.problems(settings);
        problems.forEach(p -> System.err.println("config: " + p));
        if (!problems.isEmpty()) {
            System.err.println("not starting: fix the configuration (raddraft check-config --config FILE)");
        }
        Logs.configure(settings.get("log.format"));
        return problems.isEmpty();
    }
}
