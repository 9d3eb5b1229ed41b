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
        Daemon daemon = open(settings);
        if (daemon == null) {
            return 1;
        }
        daemon.runUntilStopped();
        return 0;
    }

    /** The daemon, or null after one line saying why the model cannot be used. */
    static Daemon open(Settings settings) throws Exception {
        try {
            return new Daemon(settings);
        } catch (org.raddraft.inference.InferenceException e) {
            System.err.println("not starting: model " + settings.modelDir() + ": " + e.getMessage());
            return null;
        }
    }

    static boolean startable(Settings settings) {
        List<String> problems = ConfigCheck.problems(settings);
        problems.forEach(p -> System.err.println("config: " + p));
        if (!problems.isEmpty()) {
            System.err.println("not starting: fix the configuration (raddraft check-config --config FILE)");
        }
        Logs.configure(settings.get("log.format"));
        ConfigCheck.warnings(settings).forEach(w -> org.slf4j.LoggerFactory.getLogger(RunCommand.class).warn("config: {}", w));
        return problems.isEmpty();
    }
}
