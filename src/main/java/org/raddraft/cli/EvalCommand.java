package org.raddraft.cli;

import org.raddraft.inference.DraftLabels;
import org.raddraft.inference.StudyImages;
import org.raddraft.inference.DraftOutcome;
import org.raddraft.inference.onnx.OnnxDrafter;
import org.raddraft.inference.ModelDirectory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.raddraft.App;
import org.raddraft.flags.FlagCalibration;
import org.raddraft.flags.FlagMetrics;
import org.raddraft.Options;
import org.raddraft.report.Observation;
import org.raddraft.report.ReportLabeller;
import org.raddraft.report.ReportLabels;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code raddraft eval --model DIR [--studies N] [--seed S] [--json] ...}: drafts the model's fixed
 * held-out phantom set from DICOM through {@link OnnxDrafter} (the daemon's code path) and scores it:
 * label-F1 (the project's report labeller on the draft vs the generator's ground truth), BLEU-4,
 * ROUGE-L, latency and throughput. Seed, count and image size come from the manifest's
 * {@code evaluation} unless overridden; the set is generated with the project's phantom generator
 * into a temporary directory, or read from {@code --data DIR} (a {@code raddraft phantoms} output).
 */
public final class EvalCommand implements App.Command {

    static final String USAGE = """
            usage: raddraft eval --model DIR [--studies N] [--seed S] [--json] [--data DIR] [--threads T]
                                 [--beams K] [--batch B] [--device cpu|cuda] [--drafts FILE] [--no-flags]
              --model DIR      model directory (raddraft-model.json, ONNX files, tokenizer, configs)
              --studies N      studies of the held-out set (default: the manifest's evaluation.studies)
              --seed S         generator seed (default: the manifest's evaluation.generator_seed)
              --data DIR       use this `raddraft phantoms` output (phantoms.jsonl + dicom/) instead of generating
              --threads T      ONNX Runtime intra-op threads (default: available processors, at most 4)
              --beams K        beam width (default: generation_config.json num_beams)
              --batch B        studies per encoder/decoder call (default 1: latency is per study)
              --device D       cpu (default) or cuda
              --drafts FILE    also write each study's draft (study_id, text, token_ids, flags) as JSON lines
              --no-flags       draft without the confidence signals and flags (latency of drafting alone)
              --json           print one JSON object instead of the table
            """;

    private final PrintStream out;
    private final PrintStream err;

    public EvalCommand() {
        this(System.out, System.err);
    }

    EvalCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public int run(String[] args) throws Exception {
        Options o = Options.parse(args, Set.of("--model", "--studies", "--seed", "--data", "--threads", "--beams",
                "--batch", "--device", "--drafts"), Set.of("--json", "--no-flags"));
        Path modelDir = Path.of(o.require("--model"));
        ModelDirectory model = ModelDirectory.open(modelDir);
        ModelDirectory.Manifest m = model.manifest();
        Integer studies = o.has("--studies") ? positive(o, "--studies") : m.evalStudies();
        Long seed = o.has("--seed") ? longOf(o, "--seed") : m.evalSeed();
        if (!o.has("--data") && (studies == null || seed == null)) {
            throw new Options.UsageException("the manifest has no evaluation.generator_seed/studies: give --seed and --studies");
        }
        int threads = o.has("--threads") ? positive(o, "--threads")
                : Math.min(4, Runtime.getRuntime().availableProcessors());
        int batch = o.has("--batch") ? positive(o, "--batch") : 1;
        OnnxDrafter.Options opts = OnnxDrafter.Options.defaults().withThreads(threads).withBatchSize(batch)
                .withDevice(o.has("--device") ? o.get("--device") : "cpu")
                .withBeams(o.has("--beams") ? positive(o, "--beams") : null).withFlags(!o.has("--no-flags"));

        Path data;
        Path temp = null;
        if (o.has("--data")) {
            data = Path.of(o.get("--data"));
        } else {
            temp = Files.createTempDirectory("raddraft-eval-");
            data = temp;
            generatePhantoms(data, studies, seed, m.evalSizePx());
        }
        try {
            List<StudyTruth> set = readSet(data, studies);
            Result r = evaluate(modelDir, opts, set, o.has("--drafts") ? Path.of(o.get("--drafts")) : null);
            if (o.has("--json")) {
                out.println(json(r, m, seed, threads, batch, opts));
            } else {
                printTable(r, m, seed, threads, batch);
            }
            return r.failed > 0 ? 1 : 0;
        } finally {
            if (temp != null) {
                deleteTree(temp);
            }
        }
    }

    /** One study of the set: its DICOM files and the generator's reference report and labels. */
    record StudyTruth(String id, Path frontal, Path lateral, String findings, String impression,
                      Map<Observation, Boolean> positive) {
    }

    /** Runs {@code raddraft phantoms} (org.raddraft.phantom) in-process into {@code dir}. */
    void generatePhantoms(Path dir, int studies, long seed, int sizePx) throws Exception {
        err.printf("eval: generating %d phantom studies (seed %d, %d px) in %s%n", studies, seed, sizePx, dir);
        // its progress goes to stderr too: stdout is for the result (--json)
        int rc = new PhantomsCommand(err, err).run(new String[] {"--out", dir.toString(), "--studies",
                Integer.toString(studies), "--seed", Long.toString(seed), "--size", Integer.toString(sizePx)});
        if (rc != 0) {
            throw new IllegalStateException("raddraft phantoms exited with " + rc);
        }
    }

    static List<StudyTruth> readSet(Path data, Integer limit) throws IOException {
        Path jsonl = data.resolve("phantoms.jsonl");
        if (!Files.isRegularFile(jsonl)) {
            throw new IOException(jsonl + " missing (expected a `raddraft phantoms` output directory)");
        }
        ObjectMapper json = new ObjectMapper();
        List<StudyTruth> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(jsonl, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null && (limit == null || out.size() < limit)) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n = json.readTree(line);
                String id = n.get("study_id").asText();
                Path dir = data.resolve("dicom").resolve(id);
                Path frontal = null;
                Path lateral = null;
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                        String name = f.getFileName().toString();
                        if (name.startsWith("1-") && name.endsWith(".dcm")) {
                            frontal = f;
                        } else if (name.startsWith("2-") && name.endsWith(".dcm")) {
                            lateral = f;
                        }
                    }
                }
                Map<Observation, Boolean> pos = new EnumMap<>(Observation.class);
                for (Observation obs : Observation.values()) {
                    pos.put(obs, n.path("labels").path(obs.label()).asInt(0) != 0);
                }
                out.add(new StudyTruth(id, frontal, lateral, n.path("findings").asText(), n.path("impression").asText(), pos));
            }
        }
        if (limit != null && out.size() < limit) {
            throw new IOException(jsonl + " holds " + out.size() + " studies, " + limit + " asked for");
        }
        return out;
    }

    /** Per observation counts and the aggregate figures. */
    record Result(int studies, int failed, double macro, double micro, double macro13, Map<Observation, int[]> counts,
                  double bleu4, double rougeL, double p50, double p95, double studiesPerSecond, double labellerCeiling,
                  String device, List<String> samples, FlagMetrics.Summary flags, FlagCalibration calibration) {
    }

    static Result evaluate(Path modelDir, OnnxDrafter.Options opts, List<StudyTruth> set, Path draftsOut)
            throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<String> draftLines = new ArrayList<>();
        ReportLabeller labeller = ReportLabeller.withDefaultLexicon();
        List<Map<Observation, Boolean>> truth = new ArrayList<>();
        List<Map<Observation, Boolean>> pred = new ArrayList<>();
        List<Map<Observation, Boolean>> refLabels = new ArrayList<>();
        List<List<String>> refs = new ArrayList<>();
        List<List<String>> hyps = new ArrayList<>();
        List<String> samples = new ArrayList<>();
        double rouge = 0;
        int failed = 0;
        List<Double> latencies = new ArrayList<>();
        String device;
        long wall;
        List<FlagMetrics.Scored> scored = new ArrayList<>();
        FlagCalibration calibration;
        try (OnnxDrafter drafter = OnnxDrafter.open(modelDir, opts)) {
            device = drafter.device();
            calibration = drafter.flagCalibration();
            drafter.draft(List.of(study(0, set.get(0)))); // warm-up, not timed
            long t0 = System.nanoTime();
            int b = opts.batchSize();
            List<DraftOutcome> outcomes = new ArrayList<>();
            for (int i = 0; i < set.size(); i += b) {
                List<StudyImages> chunk = new ArrayList<>();
                for (int j = i; j < Math.min(set.size(), i + b); j++) {
                    chunk.add(study(j, set.get(j)));
                }
                long c0 = System.nanoTime();
                outcomes.addAll(drafter.draft(chunk));
                double ms = (System.nanoTime() - c0) / 1e6;
                for (int j = 0; j < chunk.size(); j++) {
                    latencies.add(ms);
                }
            }
            wall = System.nanoTime() - t0;
            for (int i = 0; i < set.size(); i++) {
                StudyTruth st = set.get(i);
                DraftOutcome oc = outcomes.get(i);
                String f = oc.ok() ? oc.draft().findings() : "";
                String imp = oc.ok() ? oc.draft().impression() : "";
                // the generated text itself (as training/evaluate.py scores it), not the sections re-joined
                String text = oc.ok() ? drafter.decode(oc.draft().tokenIds()) : "";
                if (!oc.ok()) {
                    failed++;
                }
                truth.add(st.positive());
                pred.add(positives(labeller.label(f, imp)));
                if (oc.ok() && oc.draft().assessment() != null) {
                    java.util.Set<String> wrong = FlagCases.wrong(st.positive(), pred.get(pred.size() - 1));
                    java.util.Set<String> crit = new java.util.TreeSet<>(wrong);
                    crit.removeIf(x -> !calibration.isCritical(x));
                    scored.add(new FlagMetrics.Scored(oc.draft().assessment(), wrong, crit));
                }
                refLabels.add(positives(labeller.label(st.findings(), st.impression())));
                List<String> r = TextMetrics.words("FINDINGS: " + st.findings() + " IMPRESSION: " + st.impression());
                List<String> h = TextMetrics.words(text);
                refs.add(r);
                hyps.add(h);
                ObjectNode line = json.createObjectNode();
                line.put("study_id", st.id());
                line.put("text", text);
                line.put("findings", f);
                line.put("impression", imp);
                line.set("token_ids", json.valueToTree(oc.ok() ? oc.draft().tokenIds() : List.of()));
                if (oc.ok() && oc.draft().assessment() != null) {
                    line.set("flags", json.valueToTree(oc.draft().assessment()));
                }
                draftLines.add(line.toString());
                rouge += TextMetrics.rougeL(r, h);
                if (samples.size() < 3) {
                    samples.add(st.id() + "\n  ref: FINDINGS: " + st.findings() + " IMPRESSION: " + st.impression()
                            + "\n  gen: FINDINGS: " + f + " IMPRESSION: " + imp);
                }
            }
        }
        if (draftsOut != null) {
            Files.write(draftsOut, draftLines, StandardCharsets.UTF_8);
        }
        Map<Observation, int[]> counts = counts(truth, pred);
        List<Observation> no13 = Arrays.stream(Observation.values()).filter(x -> x != Observation.PNEUMONIA).toList();
        double[] s = scores(counts, List.of(Observation.values()));
        double[] s13 = scores(counts, no13);
        double ceiling = scores(counts(truth, refLabels), List.of(Observation.values()))[0];
        double[] sorted = latencies.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return new Result(set.size(), failed, s[0], s[1], s13[0], counts, TextMetrics.bleu4(refs, hyps),
                rouge / set.size(), percentile(sorted, 50), percentile(sorted, 95), set.size() / (wall / 1e9), ceiling,
                device, samples, scored.isEmpty() ? null : FlagMetrics.summarise(scored), calibration);
    }

    private static StudyImages study(long id, StudyTruth t) {
        return new StudyImages(id, t.frontal(), t.lateral());
    }

    static Map<Observation, Boolean> positives(ReportLabels l) {
        return DraftLabels.positives(l);
    }

    /** {tp, fp, fn} per observation. */
    static Map<Observation, int[]> counts(List<Map<Observation, Boolean>> truth, List<Map<Observation, Boolean>> pred) {
        Map<Observation, int[]> c = new EnumMap<>(Observation.class);
        for (Observation o : Observation.values()) {
            int[] x = new int[3];
            for (int i = 0; i < truth.size(); i++) {
                boolean t = truth.get(i).get(o);
                boolean p = pred.get(i).get(o);
                if (t && p) {
                    x[0]++;
                } else if (!t && p) {
                    x[1]++;
                } else if (t) {
                    x[2]++;
                }
            }
            c.put(o, x);
        }
        return c;
    }

    static double f1(int tp, int fp, int fn) {
        double p = tp + fp == 0 ? 0 : (double) tp / (tp + fp);
        double r = tp + fn == 0 ? 0 : (double) tp / (tp + fn);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    /**
     * {macro, micro}: macro over the observations the ground truth contains (support > 0), as
     * training/evaluate.py; micro over all listed observations.
     */
    static double[] scores(Map<Observation, int[]> counts, List<Observation> obs) {
        double sum = 0;
        int n = 0;
        int tp = 0;
        int fp = 0;
        int fn = 0;
        for (Observation o : obs) {
            int[] c = counts.get(o);
            tp += c[0];
            fp += c[1];
            fn += c[2];
            if (c[0] + c[2] > 0) {
                sum += f1(c[0], c[1], c[2]);
                n++;
            }
        }
        return new double[] {n == 0 ? Double.NaN : sum / n, f1(tp, fp, fn)};
    }

    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        double pos = p / 100 * (sorted.length - 1);
        int i = (int) Math.floor(pos);
        int j = Math.min(i + 1, sorted.length - 1);
        return sorted[i] + (pos - i) * (sorted[j] - sorted[i]);
    }

    private void printTable(Result r, ModelDirectory.Manifest m, Long seed, int threads, int batch) {
        boolean heldOut = seed != null && seed.equals(m.evalSeed());
        out.printf(Locale.ROOT, "=== raddraft eval: %s %s on %d %s phantom studies (seed %s), device %s, %d threads, batch %d ===%n",
                m.name(), m.version(), r.studies, heldOut ? "held-out" : "", seed == null ? "?" : seed, r.device, threads,
                batch);
        out.printf(Locale.ROOT, "%-28s %7s %6s %6s %6s%n", "observation", "support", "P", "R", "F1");
        for (Observation o : Observation.values()) {
            int[] c = r.counts.get(o);
            double p = c[0] + c[1] == 0 ? 0 : (double) c[0] / (c[0] + c[1]);
            double rc = c[0] + c[2] == 0 ? 0 : (double) c[0] / (c[0] + c[2]);
            out.printf(Locale.ROOT, "%-28s %7d %6.3f %6.3f %6.3f%n", o.label(), c[0] + c[2], p, rc, f1(c[0], c[1], c[2]));
        }
        out.printf(Locale.ROOT, "%-28s %10s %10s %8s%n", "metric", "java", "training", "delta");
        row("label-F1 macro (14)", r.macro, m.metrics().get("label_f1_macro_14"));
        row("label-F1 micro (14)", r.micro, m.metrics().get("label_f1_micro_14"));
        row("label-F1 macro (13, no Pn.)", r.macro13, m.metrics().get("label_f1_macro_13_image_determined"));
        row("BLEU-4", r.bleu4, m.metrics().get("bleu4"));
        row("ROUGE-L", r.rougeL, m.metrics().get("rouge_l"));
        out.printf(Locale.ROOT, "labeller ceiling (reference reports vs ground truth): macro F1 %.4f%n", r.labellerCeiling);
        out.printf(Locale.ROOT, "latency p50 %.1f ms  p95 %.1f ms  throughput %.2f studies/s  failed %d%n",
                r.p50, r.p95, r.studiesPerSecond, r.failed);
        if (r.flags != null) {
            printFlags(r.flags, r.calibration);
        }
        for (String s : r.samples) {
            out.println(s);
        }
    }

    private void printFlags(FlagMetrics.Summary f, FlagCalibration c) {
        out.printf(Locale.ROOT, "confidence flags (calibrated on seed %s): %d drafts, %d with a wrong finding, %d with a "
                        + "wrong critical finding (%s)%n", c.calibratedOn() == null ? "?" : c.calibratedOn().path("generator_seed").asText("?"),
                f.drafts(), f.withError(), f.withCriticalError(),
                String.join(", ", c.critical().stream().map(FlagCalibration.Critical::observation).distinct().toList()));
        out.printf(Locale.ROOT, "%-22s %7s %9s %9s %9s %9s%n", "flag", "drafts", "P(wrong)", "R(wrong)", "P(crit)", "R(crit)");
        for (var e : f.perCode().entrySet()) {
            flagRow(e.getKey().name(), e.getValue());
        }
        flagRow("any doubt flag", f.doubt());
        flagRow("any flag (+critical)", f.anyFlag());
        out.printf(Locale.ROOT, "risk score AUROC: %.3f vs a wrong finding, %.3f vs a wrong critical finding%n",
                f.riskAuroc(), f.riskAurocCritical());
        out.printf(Locale.ROOT, "flag rate (doubt flags) %.3f; drafts with a wrong critical finding flagged %.3f "
                        + "(with CRITICAL_FINDING counted: rate %.3f, caught %.3f)%n", f.flagRate(), f.criticalErrorsFlagged(),
                (double) f.anyFlag().flagged() / Math.max(1, f.drafts()), f.anyFlag().criticalRecall());
        StringBuilder curve = new StringBuilder("risk curve (share flagged at risk >= t: error recall):");
        for (double[] p : f.riskCurve()) {
            curve.append(String.format(Locale.ROOT, " %.2f:%.3f", p[0], p[1]));
        }
        out.println(curve);
    }

    private void flagRow(String name, FlagMetrics.Rates r) {
        out.printf(Locale.ROOT, "%-22s %7d %9.3f %9.3f %9.3f %9.3f%n", name, r.flagged(), r.precision(), r.recall(),
                r.criticalPrecision(), r.criticalRecall());
    }

    private void row(String name, double java, Double training) {
        if (training == null) {
            out.printf(Locale.ROOT, "%-28s %10.4f %10s %8s%n", name, java, "-", "-");
        } else {
            out.printf(Locale.ROOT, "%-28s %10.4f %10.4f %+8.4f%n", name, java, training, java - training);
        }
    }

    private static String json(Result r, ModelDirectory.Manifest m, Long seed, int threads, int batch,
                               OnnxDrafter.Options opts) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode n = json.createObjectNode();
        n.put("model", m.name());
        n.put("version", m.version());
        n.put("studies", r.studies);
        if (seed != null) {
            n.put("seed", seed);
        }
        n.put("device", r.device);
        n.put("threads", threads);
        n.put("batch", batch);
        n.put("failed", r.failed);
        n.put("label_f1_macro", round(r.macro));
        n.put("label_f1_micro", round(r.micro));
        n.put("label_f1_macro_13", round(r.macro13));
        n.put("bleu4", round(r.bleu4));
        n.put("rouge_l", round(r.rougeL));
        n.put("latency_p50_ms", round(r.p50));
        n.put("latency_p95_ms", round(r.p95));
        n.put("studies_per_second", round(r.studiesPerSecond));
        n.put("labeller_ceiling_macro", round(r.labellerCeiling));
        ObjectNode per = n.putObject("per_observation");
        for (Observation o : Observation.values()) {
            int[] c = r.counts.get(o);
            ObjectNode x = per.putObject(o.label());
            x.put("support", c[0] + c[2]);
            x.put("f1", round(f1(c[0], c[1], c[2])));
        }
        if (r.flags != null) {
            n.set("flags", flagsJson(json, r.flags, r.calibration));
        }
        ObjectNode ref = n.putObject("training_metrics");
        m.metrics().forEach(ref::put);
        return n.toString();
    }

    static ObjectNode flagsJson(ObjectMapper json, FlagMetrics.Summary f, FlagCalibration c) {
        ObjectNode n = json.createObjectNode();
        if (c.calibratedOn() != null) {
            n.set("calibrated_on", c.calibratedOn());
        }
        n.put("drafts", f.drafts());
        n.put("with_wrong_finding", f.withError());
        n.put("with_wrong_critical_finding", f.withCriticalError());
        n.put("risk_auroc", round(f.riskAuroc()));
        n.put("risk_auroc_critical", round(f.riskAurocCritical()));
        n.put("flag_rate", round(f.flagRate()));
        n.put("critical_errors_flagged", round(f.criticalErrorsFlagged()));
        n.put("errors_flagged", round(f.doubt().recall()));
        n.put("any_flag_rate", round((double) f.anyFlag().flagged() / Math.max(1, f.drafts())));
        n.put("any_flag_critical_errors_flagged", round(f.anyFlag().criticalRecall()));
        ObjectNode per = n.putObject("per_flag");
        f.perCode().forEach((code, r) -> {
            ObjectNode x = per.putObject(code.name());
            x.put("drafts", r.flagged());
            x.put("precision_wrong", round(r.precision()));
            x.put("recall_wrong", round(r.recall()));
            x.put("precision_critical", round(r.criticalPrecision()));
            x.put("recall_critical", round(r.criticalRecall()));
        });
        var curve = n.putArray("risk_curve");
        for (double[] p : f.riskCurve()) {
            curve.addObject().put("flag_rate", round(p[0])).put("error_recall", round(p[1])).put("risk_at_least", round(p[2]));
        }
        return n;
    }

    private static double round(double v) {
        return Double.isFinite(v) ? Math.round(v * 10000) / 10000.0 : v;
    }

    static int positive(Options o, String name) throws Options.UsageException {
        try {
            int v = Integer.parseInt(o.get(name));
            if (v < 1) {
                throw new Options.UsageException(name + " must be >= 1, got " + v);
            }
            return v;
        } catch (NumberFormatException e) {
            throw new Options.UsageException(name + " must be an integer, got '" + o.get(name) + "'");
        }
    }

    static long longOf(Options o, String name) throws Options.UsageException {
        try {
            return Long.parseLong(o.get(name));
        } catch (NumberFormatException e) {
            throw new Options.UsageException(name + " must be an integer, got '" + o.get(name) + "'");
        }
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir left behind is harmless
        }
    }
}
