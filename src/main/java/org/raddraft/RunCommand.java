package org.raddraft;

import java.util.List;
import java.util.Set;

/** {@code raddraft run --config FILE}: the daemon, until SIGTERM. Refuses to start on a bad config. */
final class RunCommand implements App.Command {

    @Override
    public int run(String[] args) throws Exception {
        Settings settings = CheckConfigCommand.load(Options.parse(args, Set.of("--config"), Set.of()).configFile());
        if (settings == null || !startable(settings)) {
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
