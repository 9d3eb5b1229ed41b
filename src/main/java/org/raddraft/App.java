package org.raddraft;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Command-line entry point: {@code raddraft <command> [options]}.
 * Each subcommand is a small class; this class only dispatches and owns the usage text.
 */
public final class App {

    /** A subcommand: gets its own arguments, returns the process exit code. */
    public interface Command {
        int run(String[] args) throws Exception;
    }

    static final int EXIT_USAGE = 2;

    private static Map<String, Command> commands() {
        Map<String, Command> c = new LinkedHashMap<>();
        c.put("run", new RunCommand());
        c.put("demo", new DemoCommand());
        c.put("check-config", new CheckConfigCommand());
        c.put("admin", new org.raddraft.cli.AdminCommand());
        c.put("phantoms", new org.raddraft.phantom.PhantomsCommand());
        c.put("labeller-eval", new org.raddraft.report.LabellerEvalCommand());
        c.put("eval", new org.raddraft.inference.EvalCommand());
        c.put("calibrate", new org.raddraft.inference.CalibrateCommand());
        return c;
    }

    public static void main(String[] args) {
        // before anything loads H2: its server for admin commands listens on loopback only (EmbeddedH2)
        org.raddraft.store.EmbeddedH2.bindServersToLoopback();
        int exit;
        try {
            exit = run(args);
        } catch (Exception e) {
            org.slf4j.LoggerFactory.getLogger(App.class).error("raddraft {} failed: {}",
                    args.length > 0 ? args[0] : "", e.toString(), e);
            exit = 1;
        }
        System.exit(exit);
    }

    public static int run(String[] args) throws Exception {
        Map<String, Command> commands = commands();
        if (args.length == 0 || !commands.containsKey(args[0])) {
            if (args.length > 0 && !args[0].equals("--help") && !args[0].equals("help")) {
                System.err.println("raddraft: unknown command '" + args[0] + "'");
            }
            System.err.println(usage());
            return EXIT_USAGE;
        }
        try {
            return commands.get(args[0]).run(Arrays.copyOfRange(args, 1, args.length));
        } catch (Options.UsageException e) {
            System.err.println("raddraft " + args[0] + ": " + e.getMessage());
            System.err.println(usage());
            return EXIT_USAGE;
        }
    }

    static String usage() {
        return """
                usage: raddraft <command> [options]
                commands:
                  run --config FILE                   run the daemon
                  demo                                run on embedded defaults under ./var and push a demo study to itself
                  check-config --config FILE          validate the configuration and print every problem with its fix
                  admin studies --json --config FILE  list studies (state, instance count, reason) as JSON
                  admin studies --quarantined [--json] --config FILE   spool files start-up could not read
                  admin retry --config FILE (--study UID | --all-failed) [--json]   draft FAILED studies again
                  admin users add --name N --role radiologist|integration|admin [--acts-for N,...]
                                  [--display-name Family^Given] --config FILE
                  admin users list|disable --name N|password --name N --config FILE   manage accounts
                  admin users display-name --name N --display-name Family^Given --config FILE
                  admin audit --study UID [--json] --config FILE   one study's audit trail
                  admin feedback --out FILE.jsonl --config FILE    export review feedback (no patient identifiers)
                  admin draft --study UID [--json] --config FILE   a study's draft with its flags, risk score and priority
                  admin outbox --config FILE [--json] [--requeue ID | --requeue-dead]   deliveries per channel; send DEAD ones again
                  labeller-eval FILE.jsonl [--json]   report labeller agreement with the file's mesh_major tags
                  eval --model DIR [--studies N] [--seed S] [--json]   draft the held-out phantom set; label-F1, BLEU-4, ROUGE-L, speed
                  calibrate --model DIR [--seed S] [--studies N]   fit the model's confidence-flag calibration on phantoms
                  phantoms --out DIR --studies N --seed S   write synthetic chest phantom studies and a training set
                """;
    }
}
