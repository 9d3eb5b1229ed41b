package org.raddraft.cli;

import java.io.BufferedReader;
import java.io.Console;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.raddraft.App;
import org.raddraft.Options;
import org.raddraft.review.Actor;
import org.raddraft.review.Role;
import org.raddraft.review.Users;
import org.raddraft.store.Database;

/**
 * {@code raddraft admin users add|list|disable|password|display-name ... --config FILE}: accounts. People get a
 * password (asked twice on a terminal, else read as the first line of stdin); integration accounts
 * get a bearer token, printed once; a radiologist's display name (Family^Given) is what the reports
 * sent to the PACS and the RIS print. Every change is audited as the operating-system user who ran it.
 */
final class AdminUsers implements App.Command {

    @Override
    public int run(String[] args) throws Exception {
        String action = args.length == 0 ? "" : args[0];
        String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
        return switch (action) {
            case "add" -> add(Options.parse(rest, Set.of("--config", "--name", "--role", "--acts-for", "--display-name"),
                    Set.of()));
            case "list" -> list(Options.parse(rest, Set.of("--config"), Set.of("--json")));
            case "disable" -> disable(Options.parse(rest, Set.of("--config", "--name"), Set.of()));
            case "password" -> password(Options.parse(rest, Set.of("--config", "--name"), Set.of()));
            case "display-name" -> displayName(Options.parse(rest, Set.of("--config", "--name", "--display-name"), Set.of()));
            default -> throw new Options.UsageException(
                    "admin users needs one of: add, list, disable, password, display-name");
        };
    }

    private int add(Options o) throws Exception {
        String name = o.require("--name");
        Role role = role(o.require("--role"));
        List<String> actsFor = o.has("--acts-for")
                ? Arrays.stream(o.get("--acts-for").split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList()
                : List.of();
        String displayName = o.has("--display-name") ? refusedIfInvalid(
                () -> Users.checkedDisplayName(o.get("--display-name"))) : null;
        if (o.has("--display-name") && displayName == null) {
            return AdminCommand.EXIT_NOTHING_DONE;
        }
        try (Database db = AdminCommand.open(o)) {
            char[] password = role == Role.INTEGRATION ? null : readPassword(name);
            Users users = new Users(db, Clock.systemUTC());
            Users.Created made = refusedIfInvalid(() -> users.add(Actor.commandLine(), name, role, actsFor, password));
            if (made == null) {
                return AdminCommand.EXIT_NOTHING_DONE;
            }
            if (displayName != null) {
                users.setDisplayName(Actor.commandLine(), name, displayName);
            }
            System.out.println("added " + role.code() + " '" + name + "'"
                    + (actsFor.isEmpty() ? "" : ", acting for " + String.join(", ", actsFor)));
            printToken(made.token());
        }
        return 0;
    }

    private int list(Options o) throws Exception {
        try (Database db = AdminCommand.open(o)) {
            List<Users.User> users = new Users(db, Clock.systemUTC()).list();
            if (o.has("--json")) {
                System.out.println(Json.PRETTY.writeValueAsString(users));
                return 0;
            }
            System.out.printf("%-24s %-12s %-6s %-9s %-24s %s%n", "NAME", "ROLE", "SOURCE", "STATE", "DISPLAY NAME",
                    "ACTS FOR");
            for (Users.User u : users) {
                System.out.printf("%-24s %-12s %-6s %-9s %-24s %s%n", u.name(), u.role().code(), u.source(),
                        u.disabled() ? "disabled" : "active", u.displayName() == null ? "-" : u.displayName(),
                        String.join(",", u.actsFor()));
            }
        }
        return 0;
    }

    private int disable(Options o) throws Exception {
        String name = o.require("--name");
        try (Database db = AdminCommand.open(o)) {
            if (refusedIfInvalid(() -> new Users(db, Clock.systemUTC()).disable(Actor.commandLine(), name)) == null) {
                return AdminCommand.EXIT_NOTHING_DONE;
            }
            System.out.println("disabled '" + name + "'; its sessions ended and its token no longer works");
        }
        return 0;
    }

    private int displayName(Options o) throws Exception {
        String name = o.require("--name");
        String displayName = o.require("--display-name");
        try (Database db = AdminCommand.open(o)) {
            Users.User u = refusedIfInvalid(() -> new Users(db, Clock.systemUTC())
                    .setDisplayName(Actor.commandLine(), name, displayName));
            if (u == null) {
                return AdminCommand.EXIT_NOTHING_DONE;
            }
            System.out.println(u.displayName() == null ? "display name of '" + name + "' cleared; reports print the account name"
                    : "reports approved by '" + name + "' now name " + u.displayName());
        }
        return 0;
    }

    private int password(Options o) throws Exception {
        String name = o.require("--name");
        try (Database db = AdminCommand.open(o)) {
            Users users = new Users(db, Clock.systemUTC());
            Users.User u = users.list().stream().filter(x -> x.name().equals(name)).findFirst().orElse(null);
            char[] password = u == null || u.role() == Role.INTEGRATION ? null : readPassword(name);
            Users.Created done = refusedIfInvalid(() -> users.renewCredential(Actor.commandLine(), name, password));
            if (done == null) {
                return AdminCommand.EXIT_NOTHING_DONE;
            }
            System.out.println(done.token() == null ? "new password set for '" + name + "'; its sessions ended"
                    : "new token for '" + name + "'; the old one no longer works");
            printToken(done.token());
        }
        return 0;
    }

    private static void printToken(String token) {
        if (token != null) {
            System.out.println("token (shown only now; store it in the RIS's secret store): " + token);
        }
    }

    private static Role role(String s) throws Options.UsageException {
        try {
            return Role.parse(s);
        } catch (IllegalArgumentException e) {
            throw new Options.UsageException(e.getMessage());
        }
    }

    private interface Change<T> {
        T run() throws Exception;
    }

    /** Runs the change; a rule it breaks (IllegalArgumentException) is printed and gives null. */
    private static <T> T refusedIfInvalid(Change<T> change) throws Exception {
        try {
            return change.run();
        } catch (IllegalArgumentException e) {
            System.err.println("raddraft admin users: " + e.getMessage());
            return null;
        }
    }

    /** Asked twice on a terminal; otherwise the first line of stdin (for scripts: printf '%s\n' "$PW" | ...). */
    private static char[] readPassword(String name) throws Exception {
        Console console = System.console();
        if (console != null) {
            char[] a = console.readPassword("password for %s: ", name);
            char[] b = console.readPassword("again: ");
            if (a == null || !Arrays.equals(a, b)) {
                throw new Options.UsageException("the two passwords differ");
            }
            return a;
        }
        String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (line == null || line.isEmpty()) {
            throw new Options.UsageException("no password: type it on a terminal, or give it as the first line of stdin");
        }
        return line.toCharArray();
    }
}
