package org.raddraft.cli;

import org.raddraft.inference.InferenceException;
import org.raddraft.inference.StudyImages;
import org.raddraft.inference.DraftOutcome;
import org.raddraft.inference.onnx.OnnxDrafter;
import org.raddraft.inference.Drafter;
import org.raddraft.inference.ModelDirectory;
import org.raddraft.inference.remote.EndpointPool;
import org.raddraft.inference.remote.RemoteDrafter;
import org.raddraft.inference.remote.RemoteModel;
import org.raddraft.RemoteConfig;
import org.raddraft.Settings;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.raddraft.App;
import org.raddraft.Options;
import org.raddraft.flags.FlagCalibration;
import org.raddraft.flags.FlagCalibrator;

/**
 * {@code raddraft calibrate --model DIR [--seed S] [--studies N]}: drafts a calibration phantom set
 * through {@link OnnxDrafter} with every confidence signal on, and writes the model's
 * {@code flags-calibration.json} (thresholds, OOD distributions, risk combination) from it, with
 * the clinical weights and critical findings of the manifest's {@code flags} section. The default seed
 * is the manifest's {@code evaluation.calibration_seed}; the held-out seed is refused, so that eval
 * never scores flags on the set they were fitted on.
 */
public final class CalibrateCommand implements App.Command {

    static final String USAGE = """
            usage: raddraft calibrate --model DIR [--seed S] [--studies N] [--data DIR] [--threads T] [--out FILE]
              --model DIR    model directory; flags-calibration.json is written into it (or to --out)
              --seed S       calibration phantom seed (default: the manifest's evaluation.calibration_seed);
                             never the held-out evaluation.generator_seed
              --studies N    studies of the calibration set (default 500)
              --data DIR     use this `raddraft phantoms` output instead of generating
              --threads T    ONNX Runtime intra-op threads (default: available processors, at most 4)
              --out FILE     write here instead of DIR/flags-calibration.json
              --signals FILE also write each draft's signals and wrong findings as JSON lines
              --refit FILE   fit from such a file instead of drafting (same model, e.g. after changing the manifest's flags)
              --config FILE  a remote (openai-chat) model: the configuration whose remote.endpoints serve it
            """;

    static final int DEFAULT_STUDIES = 500;

    private final PrintStream out;
    private final PrintStream err;

    public CalibrateCommand() {
        this(System.out, System.err);
    }

    CalibrateCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public int run(String[] args) throws Exception {
        Options o = Options.parse(args, Set.of("--model", "--studies", "--seed", "--data", "--threads", "--out",
                "--signals", "--refit", "--config"),
                Set.of());
        Path modelDir = Path.of(o.require("--model"));
        boolean remote = ModelDirectory.OPENAI_CHAT.equals(ModelDirectory.backend(modelDir));
        Model m = remote ? Model.of(RemoteModel.open(modelDir)) : Model.of(ModelDirectory.open(modelDir));
        if (remote && !o.has("--config")) {
            throw new Options.UsageException(modelDir + " is a remote (openai-chat) model: give --config FILE, whose "
                    + "remote.endpoints serve it");
        }
        JsonNode ev = m.json().path("evaluation");
        Long heldOut = ev.has("generator_seed") ? ev.get("generator_seed").asLong() : null;
        long seed;
        if (o.has("--seed")) {
            seed = EvalCommand.longOf(o, "--seed");
        } else if (ev.has("calibration_seed")) {
            seed = ev.get("calibration_seed").asLong();
        } else {
            throw new Options.UsageException("the manifest has no evaluation.calibration_seed: give --seed");
        }
        if (heldOut != null && seed == heldOut && !o.has("--data")) {
            throw new Options.UsageException("seed " + seed + " is the held-out evaluation set (evaluation.generator_seed):"
                    + " calibrate on another seed (the manifest's calibration seed is "
                    + ev.path("calibration_seed").asText("not set") + ")");
        }
        int studies = o.has("--studies") ? EvalCommand.positive(o, "--studies") : DEFAULT_STUDIES;
        int threads = o.has("--threads") ? EvalCommand.positive(o, "--threads")
                : Math.min(4, Runtime.getRuntime().availableProcessors());
        FlagCalibrator.Clinical clinical = clinical(m.dir(), m.json());
        Path target = o.has("--out") ? Path.of(o.get("--out")) : m.dir().resolve(FlagCalibration.FILE);

        if (o.has("--refit")) {
            List<FlagCalibrator.Case> cases = new ArrayList<>();
            for (String line : Files.readAllLines(Path.of(o.get("--refit")))) {
                if (!line.isBlank()) {
                    cases.add(CASES.readValue(line, FlagCalibrator.Case.class));
                }
            }
            return fitAndWrite(m, seed, cases.size(), clinical, cases, target, System.nanoTime());
        }
        Path data;
        Path temp = null;
        if (o.has("--data")) {
            data = Path.of(o.get("--data"));
        } else {
            temp = Files.createTempDirectory("raddraft-calibrate-");
            data = temp;
            new EvalCommand(err, err).generatePhantoms(data, studies, seed, m.evalSizePx());
        }
        try {
            List<EvalCommand.StudyTruth> set = EvalCommand.readSet(data, studies);
            List<FlagCalibrator.Case> cases;
            long t0 = System.nanoTime();
            // no calibration is read while calibrating: the signals alone are measured
            try (Drafter drafter = remote ? remoteDrafter(o, modelDir)
                    : OnnxDrafter.open(modelDir, OnnxDrafter.Options.defaults().withThreads(threads).withBatchSize(8), false)) {
                List<DraftOutcome> outcomes = new ArrayList<>();
                for (int i = 0; i < set.size(); i += 8) {
                    List<StudyImages> chunk = new ArrayList<>();
                    for (int j = i; j < Math.min(set.size(), i + 8); j++) {
                        chunk.add(new StudyImages(j, set.get(j).frontal(), set.get(j).lateral()));
                    }
                    outcomes.addAll(drafter.draft(chunk));
                }
                cases = FlagCases.cases(set, outcomes);
            }
            if (o.has("--signals")) {
                List<String> lines = new ArrayList<>();
                for (FlagCalibrator.Case c : cases) {
                    lines.add(CASES.writeValueAsString(c));
                }
                Files.write(Path.of(o.get("--signals")), lines);
            }
            return fitAndWrite(m, seed, set.size(), clinical, cases, target, t0);
        } finally {
            if (temp != null) {
                EvalCommand.deleteTree(temp);
            }
        }
    }

    private static final ObjectMapper CASES = new ObjectMapper();

    private int fitAndWrite(Model m, long seed, int studies, FlagCalibrator.Clinical clinical,
                            List<FlagCalibrator.Case> cases, Path target, long t0) throws java.io.IOException {
        {
            ObjectNode on = new ObjectMapper().createObjectNode();
            on.put("generator", "raddraft phantoms");
            on.put("generator_seed", seed);
            on.put("studies", studies);
            on.put("size_px", m.evalSizePx());
            if (m.json().path("training_data").has("generator_commit")) {
                on.put("generator_commit", m.json().path("training_data").path("generator_commit").asText());
            }
            on.put("drafted", cases.size());
            FlagCalibration c = FlagCalibrator.fit(m.name(), m.version(), on, clinical, cases);
            c.write(target);
            JsonNode f = c.figures();
            out.printf(Locale.ROOT, "calibrated %s %s on %d phantom studies (seed %d) in %.0f s: wrote %s%n", m.name(),
                    m.version(), cases.size(), seed, (System.nanoTime() - t0) / 1e9, target);
            out.printf(Locale.ROOT, "calibration set: flag rate %.3f, drafts with a wrong finding flagged %.3f, "
                            + "with a wrong critical finding flagged %.3f (%d), risk AUROC %.3f%n",
                    f.path("flag_rate").asDouble(), f.path("errors_flagged").asDouble(),
                    f.path("critical_errors_flagged").asDouble(), f.path("with_wrong_critical_finding").asInt(),
                    f.path("risk_auroc").asDouble());
            return 0;
        }
    }

    /** What calibrating needs of a model directory, whichever its backend. */
    record Model(Path dir, String name, String version, JsonNode json) {
        static Model of(ModelDirectory d) {
            ModelDirectory.Manifest m = d.manifest();
            return new Model(d.dir(), m.name(), m.version(), m.json());
        }

        static Model of(RemoteModel r) {
            return new Model(r.dir(), r.name(), r.version(), r.json());
        }

        int evalSizePx() {
            return json.path("evaluation").path("size_px").asInt(512);
        }
    }

    /**
     * A drafter on the engines of {@code --config}'s remote.endpoints, with every confidence signal it
     * can measure and no calibration read (the signals alone are what calibrating needs).
     */
    private static Drafter remoteDrafter(Options o, Path modelDir) throws Exception {
        org.raddraft.inference.remote.RemoteSettings rs = RemoteConfig.of(Settings.load(o.configFile()));
        return new RemoteDrafter(RemoteModel.open(modelDir), rs, new EndpointPool(rs), null, null, true);
    }

    /** The manifest's {@code flags} section: relevance weights, critical findings, target flag rate, cut-offs. */
    static FlagCalibrator.Clinical clinical(Path dir, JsonNode manifest) throws InferenceException {
        JsonNode f = manifest.path("flags");
        if (!f.has("relevance") || !f.path("relevance").has(FlagCalibration.WHOLE_DRAFT)) {
            throw ModelDirectory.problem(dir, ModelDirectory.MANIFEST + ": flags.relevance is missing (clinical "
                    + "relevance weight 0..1 per observation and \"*\" for the whole draft; see docs/model-contract.md)");
        }
        ObjectMapper json = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
        Map<String, Double> relevance = json.convertValue(f.get("relevance"), new TypeReference<>() { });
        List<FlagCalibration.Critical> critical = f.has("critical")
                ? json.convertValue(f.get("critical"), new TypeReference<>() { }) : List.of();
        Map<String, Double> cutoffs = manifest.path("thresholds").has("classifier")
                ? json.convertValue(manifest.path("thresholds").get("classifier"), new TypeReference<>() { })
                : null;
        return new FlagCalibrator.Clinical(relevance, critical, f.path("target_flag_rate").asDouble(0.2), cutoffs);
    }
}
