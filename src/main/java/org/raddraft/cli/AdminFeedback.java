package org.raddraft.cli;

import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.Set;
import org.raddraft.App;
import org.raddraft.Options;
import org.raddraft.Settings;
import org.raddraft.flags.FlagCalibration;
import org.raddraft.review.FeedbackExport;
import org.raddraft.review.LearningExport;
import org.raddraft.store.Database;

/**
 * {@code raddraft admin feedback --out FILE.jsonl --config FILE}: the radiologists' decisions and
 * edits as JSON lines for the learning loop, without patient or study identifiers.
 *
 * <p>{@code --learning DIR --model MODEL_DIR} also writes the training sets of the learning loop
 * (docs/learning-export.md): SFT set, relevance-weighted preference pairs, rejected drafts, generated
 * negatives and the images as PNG; the weights come from MODEL_DIR/flags-calibration.json.
 */
final class AdminFeedback implements App.Command {

    @Override
    public int run(String[] args) throws Exception {
        Options o = Options.parse(args, Set.of("--config", "--out", "--learning", "--model"), Set.of());
        Path out = Path.of(o.require("--out"));
        String learning = o.get("--learning");
        if (learning != null && o.get("--model") == null) {
            System.err.println("admin feedback: --learning needs --model MODEL_DIR (its flags-calibration.json weighs the pairs)");
            return 2;
        }
        try (Database db = AdminCommand.open(o); Writer w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            int n = FeedbackExport.write(db, w);
            System.out.println(n + " feedback record(s) written to " + out);
            if (learning != null) {
                FlagCalibration weights = FlagCalibration.read(Path.of(o.get("--model")).resolve("flags-calibration.json"));
                Path spool = Settings.load(o.configFile()).spoolDir();
                try (Connection c = db.connection()) {
                    LearningExport.Counts k = new LearningExport(weights, spool).write(c, Path.of(learning));
                    System.out.println("learning set in " + learning + ": " + k.sft() + " sft, " + k.pairs() + " pairs, "
                            + k.rejected() + " rejected, " + k.negatives() + " negatives, " + k.images() + " images"
                            + (k.skipped() > 0 ? "; " + k.skipped() + " reviewed draft(s) left out: no readable frontal view in the spool" : ""));
                }
            }
        }
        return 0;
    }
}
