package org.raddraft.cli;

import org.raddraft.phantom.FindingRegion;
import org.raddraft.phantom.Finding;
import org.raddraft.phantom.DicomStudyWriter;
import org.raddraft.phantom.GroundTruth;
import org.raddraft.phantom.PhantomStudy;
import org.raddraft.phantom.StudySpec;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.raddraft.App;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code raddraft phantoms --out DIR --studies N --seed S [--size PX] [--no-dicom] [--no-training-set]
 * [--threads T] [--first I]}: writes synthetic phantom studies.
 *
 * <pre>
 * DIR/dicom/&lt;study-id&gt;/1-PA.dcm, 2-LL.dcm       (unless --no-dicom)
 * DIR/images/&lt;study-id&gt;_frontal.png, _lateral.png (unless --no-training-set)
 * DIR/phantoms.jsonl                              (unless --no-training-set)
 * </pre>
 */
public final class PhantomsCommand implements App.Command {

    static final String USAGE = """
            usage: raddraft phantoms --out DIR --studies N --seed S [--size PX] [--no-dicom] [--no-training-set]
                                     [--threads T] [--first I]
              --out DIR          output directory (created if missing)
              --studies N        number of studies, 1..1000000
              --seed S           integer seed; study i of seed S is the same whatever N is
              --size PX          image side in pixels, 64..2048 (default 512)
              --no-dicom         skip DIR/dicom/<study-id>/<n>-<view>.dcm
              --no-training-set  skip DIR/images/*.png and DIR/phantoms.jsonl
              --threads T        worker threads (default: available processors, at most 8)
              --first I          index of the first study (default 0)
            """;

    private final PrintStream out;
    private final PrintStream err;

    public PhantomsCommand() {
        this(System.out, System.err);
    }

    public PhantomsCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** Parsed options. */
    record Options(Path out, int studies, long seed, int size, boolean dicom, boolean trainingSet, int threads,
                   int first) {
    }

    @Override
    public int run(String[] args) throws Exception {
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            err.println("raddraft phantoms: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        quietPixelMedDebugLogging();
        long t0 = System.nanoTime();
        generate(o);
        double s = (System.nanoTime() - t0) / 1e9;
        out.printf("phantoms: %d studies (seed %d, %d px) in %.1f s -> %s%n", o.studies(), o.seed(), o.size(), s, o.out());
        return 0;
    }

    /**
     * Without a logging configuration logback logs at DEBUG, and PixelMed logs every attribute it
     * reads and writes; keep the command's output readable unless someone configured that logger.
     */
    private static void quietPixelMedDebugLogging() {
        org.slf4j.Logger l = org.slf4j.LoggerFactory.getLogger("com.pixelmed");
        if (l instanceof ch.qos.logback.classic.Logger lb && lb.getLevel() == null) {
            lb.setLevel(ch.qos.logback.classic.Level.INFO);
        }
    }

    static Options parse(String[] args) {
        Path outDir = null;
        Integer studies = null;
        Long seed = null;
        int size = 512, threads = Math.min(8, Runtime.getRuntime().availableProcessors()), first = 0;
        boolean dicom = true, training = true;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--out" -> outDir = Path.of(value(args, ++i, a));
                case "--studies" -> studies = intIn(value(args, ++i, a), a, 1, 1_000_000);
                case "--seed" -> seed = longOf(value(args, ++i, a), a);
                case "--size" -> size = intIn(value(args, ++i, a), a, 64, 2048);
                case "--threads" -> threads = intIn(value(args, ++i, a), a, 1, 64);
                case "--first" -> first = intIn(value(args, ++i, a), a, 0, 100_000_000);
                case "--no-dicom" -> dicom = false;
                case "--no-training-set" -> training = false;
                default -> throw new IllegalArgumentException("unknown option '" + a + "'");
            }
        }
        if (outDir == null) throw new IllegalArgumentException("--out is required");
        if (studies == null) throw new IllegalArgumentException("--studies is required");
        if (seed == null) throw new IllegalArgumentException("--seed is required");
        if (!dicom && !training) throw new IllegalArgumentException("--no-dicom and --no-training-set leave nothing to write");
        return new Options(outDir, studies, seed, size, dicom, training, threads, first);
    }

    static void generate(Options o) throws IOException, InterruptedException {
        Files.createDirectories(o.out());
        Path images = o.out().resolve("images"), dicomDir = o.out().resolve("dicom");
        if (o.trainingSet()) Files.createDirectories(images);
        if (o.dicom()) Files.createDirectories(dicomDir);
        ObjectMapper json = new ObjectMapper();
        ExecutorService pool = Executors.newFixedThreadPool(o.threads(), r -> {
            Thread t = new Thread(r, "phantom-worker");
            t.setDaemon(true);
            return t;
        });
        try (BufferedWriter jsonl = o.trainingSet()
                ? Files.newBufferedWriter(o.out().resolve("phantoms.jsonl"), StandardCharsets.UTF_8) : null) {
            int batch = Math.max(16, o.threads() * 8);
            for (int start = 0; start < o.studies(); start += batch) {
                List<Future<String>> futures = new ArrayList<>();
                for (int k = start; k < Math.min(o.studies(), start + batch); k++) {
                    int index = o.first() + k;
                    futures.add(pool.submit(() -> one(o, index, images, dicomDir, json)));
                }
                for (Future<String> f : futures) {
                    String line;
                    try {
                        line = f.get();
                    } catch (java.util.concurrent.ExecutionException e) {
                        throw new IOException("phantom generation failed: " + e.getCause(), e.getCause());
                    }
                    if (jsonl != null) {
                        jsonl.write(line);
                        jsonl.write('\n');
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static String one(Options o, int index, Path images, Path dicomDir, ObjectMapper json) throws IOException {
        PhantomStudy st = PhantomStudy.generate(o.seed(), index, o.size());
        String id = st.spec().studyId();
        if (o.dicom()) DicomStudyWriter.write(st, dicomDir);
        if (!o.trainingSet()) return null;
        Files.write(images.resolve(id + "_frontal.png"), st.frontalPng());
        Files.write(images.resolve(id + "_lateral.png"), st.lateralPng());
        return json.writeValueAsString(record(st));
    }

    /** The phantoms.jsonl object of one study, keys in the documented order. */
    static Map<String, Object> record(PhantomStudy st) {
        StudySpec s = st.spec();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("study_id", s.studyId());
        m.put("seed", s.seed());
        m.put("index", s.index());
        m.put("frontal", "images/" + s.studyId() + "_frontal.png");
        m.put("lateral", "images/" + s.studyId() + "_lateral.png");
        m.put("frontal_view", s.frontalView());
        m.put("findings", st.report().findings());
        m.put("impression", st.report().impression());
        m.put("labels", st.truth().labels());
        List<Map<String, Object>> details = new ArrayList<>();
        List<Finding> drawn = s.findings();
        int fi = -1;
        for (GroundTruth.Detail d : st.truth().details()) {
            if (!d.observation().equals("Pneumonia")) fi++; // a pneumonia detail shares its opacity's box
            Map<String, Object> dm = new LinkedHashMap<>();
            dm.put("observation", d.observation());
            dm.put("laterality", d.laterality());
            dm.put("severity", d.severity());
            dm.put("location", d.location());
            dm.put("finding", d.finding());
            dm.put("status", d.status());
            double[] box = FindingRegion.frontal(s, drawn.get(fi));
            dm.put("frontal_box", List.of(box[0], box[1], box[2], box[3]));
            details.add(dm);
        }
        m.put("details", details);
        m.put("difficulty", s.difficulty());
        return m;
    }

    private static String value(String[] args, int i, String opt) {
        if (i >= args.length || args[i].startsWith("--")) throw new IllegalArgumentException(opt + " needs a value");
        return args[i];
    }

    private static int intIn(String v, String opt, int lo, int hi) {
        try {
            int n = Integer.parseInt(v);
            if (n < lo || n > hi) throw new IllegalArgumentException(opt + " must be in " + lo + ".." + hi + ", got " + v);
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(opt + " must be an integer, got '" + v + "'");
        }
    }

    private static long longOf(String v, String opt) {
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(opt + " must be an integer, got '" + v + "'");
        }
    }
}
