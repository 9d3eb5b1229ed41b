package org.raddraft;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** {@code --name value} and {@code --flag} options of a subcommand; anything else is a usage error. */
public final class Options {

    /** A bad command line: the message is printed with the usage text and the exit code is 2. */
    public static final class UsageException extends Exception {
        public UsageException(String message) {
            super(message);
        }
    }

    private final Map<String, String> values = new HashMap<>();

    private Options() {
    }

    public static Options parse(String[] args, Set<String> valued, Set<String> flags) throws UsageException {
        Options o = new Options();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (valued.contains(a)) {
                if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                    throw new UsageException("option " + a + " needs a value");
                }
                o.values.put(a, args[++i]);
            } else if (flags.contains(a)) {
                o.values.put(a, "true");
            } else {
                throw new UsageException("unknown option '" + a + "'");
            }
        }
        return o;
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public String get(String name) {
        return values.get(name);
    }

    public String require(String name) throws UsageException {
        String v = values.get(name);
        if (v == null) {
            throw new UsageException("option " + name + " is required");
        }
        return v;
    }

    public Path configFile() throws UsageException {
        return Path.of(require("--config"));
    }
}
