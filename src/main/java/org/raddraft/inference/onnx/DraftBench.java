package org.raddraft.inference.onnx;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.raddraft.inference.Draft;
import org.raddraft.inference.DraftOutcome;
import org.raddraft.inference.StudyImages;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Whole drafts through the daemon's entry point ({@link OnnxDrafter#draft}: DICOM decoding,
 * preprocessing, generation, confidence signals), batch by batch, as {@code DraftQueue} calls it; for
 * bench/realistic-model.sh. Per study: the wall time of its batch (a study is drafted when its batch
 * ends). Also the JVM's resident memory with the model loaded ({@code /proc/self/status} VmRSS and
 * VmHWM), the generation and confidence-signal shares, and the generated ids (INT8 agreement).
 *
 * <pre>
 * java ... org.raddraft.inference.onnx.DraftBench --model DIR --dicom DIR [--studies N] [--batch B]
 *     [--threads T] [--warmup W] [--device cpu|cuda] [--json-out FILE] [--inputs-out FILE]
 * </pre>
 */
public final class DraftBench {

    private DraftBench() {
    }

    public static void main(String[] args) throws Exception {
        Path model = null;
        Path dicom = null;
        Path jsonOut = null;
        Path inputsOut = null;
        int studies = 20;
        int batch = 1;
        int threads = 0;
        int warmup = 1;
        String device = "cpu";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = Path.of(args[++i]);
                case "--dicom" -> dicom = Path.of(args[++i]);
                case "--json-out" -> jsonOut = Path.of(args[++i]);
                case "--inputs-out" -> inputsOut = Path.of(args[++i]);
                case "--studies" -> studies = Integer.parseInt(args[++i]);
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--device" -> device = args[++i];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (model == null || dicom == null) {
            throw new IllegalArgumentException("--model DIR and --dicom DIR (a `raddraft phantoms` output) are required");
        }
        List<StudyImages> list = studies(dicom, studies);
        long rssBefore = status("VmRSS");
        try (OnnxDrafter drafter = OnnxDrafter.open(model,
                OnnxDrafter.Options.defaults().withThreads(threads).withBatchSize(batch).withDevice(device))) {
            if (!device.equals(drafter.device())) {
                throw new IllegalStateException("asked for device " + device + " but the sessions run on "
                        + drafter.device() + " (see the WARN line above)");
            }
            long rssLoaded = status("VmRSS");
            if (inputsOut != null) {
                List<float[]> px = new ArrayList<>();
                for (StudyImages s : list) {
                    px.add(drafter.pixelValues(s));
                }
                InferenceBench.writeInputs(inputsOut, px, drafter.runtime().channels(), drafter.runtime().imageSize());
            }
            for (int w = 0; w < warmup; w++) {
                drafter.draft(list.subList(0, Math.min(batch, list.size())));
            }
            ObjectMapper json = new ObjectMapper();
            ObjectNode out = json.createObjectNode();
            ArrayNode latency = out.putArray("latency_ms");
            ArrayNode tokens = out.putArray("tokens");
            long gen = 0;
            long flags = 0;
            long t0 = System.nanoTime();
            for (int from = 0; from < list.size(); from += batch) {
                List<StudyImages> b = list.subList(from, Math.min(list.size(), from + batch));
                long s0 = System.nanoTime();
                List<DraftOutcome> drafted = drafter.draft(b);
                double ms = (System.nanoTime() - s0) / 1e6;
                Draft first = null;
                for (DraftOutcome o : drafted) {
                    if (!o.ok()) {
                        throw new IllegalStateException("study " + o.studyId() + " failed: " + o.failure());
                    }
                    first = first == null ? o.draft() : first;
                    latency.add(ms);
                    ArrayNode ids = tokens.addArray();
                    o.draft().tokenIds().forEach(ids::add);
                }
                gen += first.generateMillis();
                flags += first.flagsMillis();
            }
            double total = (System.nanoTime() - t0) / 1e6;
            out.put("model", drafter.model().manifest().name());
            out.put("studies", list.size());
            out.put("batch", batch);
            out.put("threads", threads);
            out.put("device", drafter.device());
            out.put("total_ms", total);
            out.put("generate_ms", gen);
            out.put("flags_ms", flags);
            out.put("rss_mb_before_load", rssBefore / 1024.0);
            out.put("rss_mb_loaded", rssLoaded / 1024.0);
            out.put("rss_mb_end", status("VmRSS") / 1024.0);
            out.put("rss_mb_peak", status("VmHWM") / 1024.0);
            String text = json.writerWithDefaultPrettyPrinter().writeValueAsString(out);
            if (jsonOut != null) {
                Files.writeString(jsonOut, text);
            } else {
                System.out.println(text);
            }
        }
    }

    /** The first {@code n} studies of a phantoms output: frontal 1-*.dcm, lateral 2-*.dcm. */
    static List<StudyImages> studies(Path dir, int n) throws Exception {
        List<Path> ids;
        try (Stream<Path> s = Files.list(dir.resolve("dicom"))) {
            ids = s.sorted().limit(n).toList();
        }
        List<StudyImages> out = new ArrayList<>();
        for (Path study : ids) {
            Path frontal = null;
            Path lateral = null;
            try (Stream<Path> files = Files.list(study)) {
                for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                    String name = f.getFileName().toString();
                    frontal = name.startsWith("1-") ? f : frontal;
                    lateral = name.startsWith("2-") ? f : lateral;
                }
            }
            out.add(new StudyImages(out.size() + 1, frontal, lateral));
        }
        return out;
    }

    /** A {@code /proc/self/status} field in KiB (0 where there is none). */
    static long status(String field) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith(field + ":")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", ""));
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }
}
