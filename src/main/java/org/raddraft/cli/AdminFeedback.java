package org.raddraft.cli;

import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.raddraft.App;
import org.raddraft.Options;
import org.raddraft.review.FeedbackExport;
import org.raddraft.store.Database;

/**
 * {@code raddraft admin feedback --out FILE.jsonl --config FILE}: the radiologists' decisions and
 * edits as JSON lines for the learning loop, without patient or study identifiers.
 */
final class AdminFeedback implements App.Command {

    @Override
    public int run(String[] args) throws Exception {
        Options o = Options.parse(args, Set.of("--config", "--out"), Set.of());
        Path out = Path.of(o.require("--out"));
        try (Database db = AdminCommand.open(o); Writer w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            int n = FeedbackExport.write(db, w);
            System.out.println(n + " feedback record(s) written to " + out);
        }
        return 0;
    }
}
