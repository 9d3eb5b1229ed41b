package org.raddraft.cli;

import org.raddraft.report.Report;
import org.raddraft.report.ReportLabels;
import org.raddraft.report.Observation;
import org.raddraft.report.ReportLabeller;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.raddraft.App;
import org.raddraft.Options;

/**
 * {@code raddraft labeller-eval FILE.jsonl [--json] [--disagreements]}: labels each line's
 * findings + impression and prints agreement with the line's {@code mesh_major} tags (mapped by
 * {@link MeshTagMapping}). Lines whose tags are missing, empty or "No Indexing" are skipped.
 * {@code --disagreements} also prints, per disagreeing report, its id and the differing
 * observations (ids and labels only, never report text). Exit 0, 1 for an unreadable file or line.
 */
public final class LabellerEvalCommand implements App.Command {

    private final PrintStream out;
    private final PrintStream err;

    public LabellerEvalCommand() {
        this(System.out, System.err);
    }

    LabellerEvalCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public int run(String[] args) throws Exception {
        List<String> files = new ArrayList<>();
        List<String> opts = new ArrayList<>();
        for (String a : args) {
            (a.startsWith("--") ? opts : files).add(a);
        }
        Options o = Options.parse(opts.toArray(String[]::new), Set.of(), Set.of("--json", "--disagreements"));
        if (files.size() != 1) {
            throw new Options.UsageException("expected exactly one FILE.jsonl, got " + files.size());
        }
        Path file = Path.of(files.get(0));
        ObjectMapper json = new ObjectMapper();
        ReportLabeller labeller = ReportLabeller.withDefaultLexicon();
        LabellerEvaluation eval = new LabellerEvaluation();
        List<String> disagreements = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int no = 0;
            while ((line = r.readLine()) != null) {
                no++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n;
                try {
                    n = json.readTree(line);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    err.println(file + ":" + no + ": not a JSON object (" + e.getOriginalMessage() + ")");
                    return 1;
                }
                if (n == null || !n.isObject()) {
                    err.println(file + ":" + no + ": not a JSON object");
                    return 1;
                }
                List<String> tags = new ArrayList<>();
                n.path("mesh_major").forEach(t -> tags.add(t.asText()));
                if (!MeshTagMapping.indexed(tags)) {
                    eval.skipped++;
                    continue;
                }
                ReportLabels labels = labeller.label(Report.of(text(n, "findings"), text(n, "impression")));
                Set<Observation> reference = MeshTagMapping.observations(tags);
                eval.add(labels, reference);
                if (o.has("--disagreements")) {
                    Set<Observation> predicted = labels.with(LabellerEvaluation.COUNTED);
                    if (!predicted.equals(reference)) {
                        disagreements.add(text(n, "report_id") + " line " + no + ": labeller " + predicted
                                + " tags " + reference + " " + tags);
                    }
                }
            }
        } catch (NoSuchFileException e) {
            err.println(file + ": no such file");
            return 1;
        } catch (IOException e) {
            err.println(file + ": cannot read (" + e.getMessage() + ")");
            return 1;
        }
        if (o.has("--json")) {
            out.println(json.enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(eval.toMap()));
        } else {
            printTable(file, eval);
        }
        disagreements.forEach(out::println);
        return 0;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? "" : v.asText();
    }

    private void printTable(Path file, LabellerEvaluation eval) {
        out.printf("labeller-eval %s: %d reports (%d skipped: no indexing); positive = %s%n",
                file.getFileName(), eval.reports, eval.skipped, LabellerEvaluation.COUNTED);
        out.printf("%-27s %9s %6s %6s %5s %5s %5s %7s %8s %9s%n", "observation", "precision", "recall", "f1",
                "tp", "fp", "fn", "support", "neg->tag", "pos+neg");
        eval.counts.forEach((ob, c) -> out.printf("%-27s %9.3f %6.3f %6.3f %5d %5d %5d %7d %8d %5d/%-3d%n",
                ob.label(), c.precision(), c.recall(), c.f1(), c.tp, c.fp, c.fn, c.support(), c.absentButTagged,
                c.positiveWithNegatedMentionFp, c.positiveWithNegatedMention));
        out.printf("micro: precision %.3f recall %.3f f1 %.3f; macro-F1 %.3f (over observations with support)%n",
                eval.microPrecision(), eval.microRecall(), eval.microF1(), eval.macroF1());
        out.println("neg->tag: tagged present but labelled ABSENT; pos+neg: labelled positive despite a negated"
                + " mention, untagged/all");
    }
}
