package org.raddraft.cli;

import java.time.Clock;
import java.util.List;
import java.util.Set;
import org.raddraft.App;
import org.raddraft.Options;
import org.raddraft.delivery.OutboxListing;
import org.raddraft.store.Database;

/**
 * {@code raddraft admin outbox [--json] [--requeue ID | --requeue-dead] --config FILE}: the delivery
 * outbox (each report per channel, its state, attempts and last error); with --requeue, a DEAD row
 * (or all of them) is sent again by the running daemon once its cause was fixed.
 */
final class AdminOutbox implements App.Command {

    @Override
    public int run(String[] args) throws Exception {
        Options o = Options.parse(args, Set.of("--config", "--requeue"), Set.of("--requeue-dead", "--json"));
        if (o.has("--requeue") && o.has("--requeue-dead")) {
            throw new Options.UsageException("admin outbox takes --requeue ID or --requeue-dead, not both");
        }
        Long id = null;
        if (o.has("--requeue")) {
            try {
                id = Long.parseLong(o.get("--requeue"));
            } catch (NumberFormatException e) {
                throw new Options.UsageException("--requeue needs an outbox id (a number from raddraft admin outbox), not '"
                        + o.get("--requeue") + "'");
            }
        }
        try (Database db = AdminCommand.open(o)) {
            if (!o.has("--requeue") && !o.has("--requeue-dead")) {
                return list(OutboxListing.rows(db), o.has("--json"));
            }
            List<OutboxListing.OutboxRow> done = OutboxListing.requeueDead(db, Clock.systemUTC(), id);
            if (done.isEmpty() && id != null) {
                long wanted = id;
                String state = OutboxListing.rows(db).stream().filter(r -> r.id() == wanted)
                        .map(OutboxListing.OutboxRow::state).findFirst().orElse(null);
                System.err.println("raddraft admin outbox: " + (state == null
                        ? "no outbox row " + id + " (see raddraft admin outbox)"
                        : "outbox row " + id + " is " + state + ", not DEAD: only DEAD rows are requeued"));
                return AdminCommand.EXIT_NOTHING_DONE;
            }
            if (o.has("--json")) {
                System.out.println(Json.PRETTY.writeValueAsString(done));
            } else if (done.isEmpty()) {
                System.out.println("no DEAD deliveries");
            } else {
                for (OutboxListing.OutboxRow r : done) {
                    System.out.printf("outbox %d (draft %d, %s) requeued; it had failed: %s%n", r.id(), r.draft_id(),
                            r.channel(), r.last_error());
                }
            }
        }
        return 0;
    }

    private static int list(List<OutboxListing.OutboxRow> rows, boolean json) throws Exception {
        if (json) {
            System.out.println(Json.PRETTY.writeValueAsString(rows));
            return 0;
        }
        System.out.printf("%-6s %-6s %-5s %-3s %-8s %-8s %-20s %s%n", "ID", "DRAFT", "CHAN", "REV", "STATE", "ATTEMPTS",
                "NEXT/SENT", "LAST ERROR / PEER ID");
        for (OutboxListing.OutboxRow r : rows) {
            boolean sent = r.state().equals("SENT");
            System.out.printf("%-6d %-6d %-5s %-3s %-8s %-8d %-20s %s%n", r.id(), r.draft_id(), r.channel(),
                    r.revision() + (r.correction() ? "C" : ""), r.state(), r.attempts(),
                    sent ? r.sent_at() : r.state().equals("DEAD") ? "-" : r.next_attempt_at(),
                    sent ? r.peer_message_id() : r.last_error() == null ? "" : r.last_error());
        }
        return 0;
    }
}
