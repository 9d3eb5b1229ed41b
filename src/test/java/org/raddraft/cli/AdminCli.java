package org.raddraft.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.raddraft.App;

/** Runs {@code raddraft admin ...} in-process against the configuration of a home directory. */
final class AdminCli {

    /** @param out stdout and stderr together, @param stdout stdout alone (what scripts parse) */
    record Run(int exit, String out, String stdout) {
    }

    private AdminCli() {
    }

    /** {@code raddraft admin ARGS --config <home>/r.properties} with {@code stdin}; stdout and stderr together. */
    static Run admin(Path home, String stdin, String... args) throws Exception {
        Path cfg = home.resolve("r.properties");
        if (!Files.exists(cfg)) {
            Files.writeString(cfg, "raddraft.home=" + home + "\n");
        }
        String[] full = new String[args.length + 3];
        full[0] = "admin";
        System.arraycopy(args, 0, full, 1, args.length);
        full[args.length + 1] = "--config";
        full[args.length + 2] = cfg.toString();
        InputStream in = System.in;
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream both = new ByteArrayOutputStream();
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        try {
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            PrintStream p = new PrintStream(both, true, StandardCharsets.UTF_8);
            System.setOut(new PrintStream(new java.io.OutputStream() {
                @Override
                public void write(int b) {
                    both.write(b);
                    stdout.write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    both.write(b, off, len);
                    stdout.write(b, off, len);
                }
            }, true,
                    StandardCharsets.UTF_8));
            System.setErr(p);
            int exit = App.run(full);
            return new Run(exit, both.toString(StandardCharsets.UTF_8), stdout.toString(StandardCharsets.UTF_8));
        } finally {
            System.setIn(in);
            System.setOut(out);
            System.setErr(err);
        }
    }
}
