package org.raddraft.inference.onnx;

import org.raddraft.inference.GenerationConfig;
import org.raddraft.inference.InferenceException;
import org.raddraft.inference.StudyImages;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Generation speed of the raw {@code ai.onnxruntime} path and of DJL's OnnxRuntime engine on the same
 * inputs, one study at a time, greedy with the KV cache, a fixed number of generated tokens (the end
 * token is ignored so every runtime does the same work). Run by {@code bench/inference.sh}, which adds
 * PyTorch eager on the same inputs ({@code --inputs-out}) and prints the table.
 *
 * <pre>
 * java ... org.raddraft.inference.InferenceBench --model DIR [--dicom DIR] [--studies N] [--tokens L]
 *          [--threads T] [--warmup W] [--inputs-out FILE] [--json-out FILE]
 * </pre>
 * {@code --dicom DIR} is a {@code raddraft phantoms} output (dicom/&lt;study&gt;/1-*.dcm, 2-*.dcm): its
 * studies are preprocessed by the production code; without it the inputs are seeded random tensors.
 */
public final class InferenceBench {

    private InferenceBench() {
    }

    public static void main(String[] args) throws Exception {
        Path model = null;
        Path dicom = null;
        Path inputsOut = null;
        Path jsonOut = null;
        int studies = 20;
        int tokens = 40;
        int threads = 1;
        int warmup = 3;
        int repeat = 3;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = Path.of(args[++i]);
                case "--dicom" -> dicom = Path.of(args[++i]);
                case "--inputs-out" -> inputsOut = Path.of(args[++i]);
                case "--json-out" -> jsonOut = Path.of(args[++i]);
                case "--studies" -> studies = Integer.parseInt(args[++i]);
                case "--tokens" -> tokens = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--repeat" -> repeat = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (model == null) {
            throw new IllegalArgumentException("--model DIR is required");
        }
        // DJL's engine creates the process-wide OrtEnvironment itself (with thread options) and fails
        // when one exists already: let it go first; OrtSeq2Seq then reuses that environment
        ai.djl.engine.Engine.getEngine("OnnxRuntime");
        try (OnnxDrafter drafter = OnnxDrafter.open(model, OnnxDrafter.Options.defaults().withThreads(threads))) {
            OrtSeq2Seq ort = drafter.runtime();
            int per = ort.channels() * ort.imageSize() * ort.imageSize();
            List<float[]> inputs = dicom != null ? fromDicom(drafter, dicom, studies) : random(per, studies);
            studies = inputs.size();
            int maxNew = Math.min(tokens, drafter.model().generation().maxLength() - 1);
            if (inputsOut != null) {
                writeInputs(inputsOut, inputs, ort.channels(), ort.imageSize());
            }
            GenerationConfig g = drafter.model().generation();
            double[] raw = new double[inputs.size() * repeat];
            double[] djl = new double[inputs.size() * repeat];
            double[] rawBest = new double[inputs.size()];
            double[] djlBest = new double[inputs.size()];
            try (DjlSeq2Seq d = DjlSeq2Seq.load(drafter.model(), ort, threads)) {
                // same tokens from both runtimes: they run the same files
                int[] a = Decoding.greedy(ort, inputs.get(0), 1, g, maxNew, true).get(0).ids();
                int[] b = Decoding.greedy(d, inputs.get(0), 1, g, maxNew, true).get(0).ids();
                if (!Arrays.equals(a, b)) {
                    throw new IllegalStateException("DJL and ONNX Runtime decode differently: " + Arrays.toString(a)
                            + " vs " + Arrays.toString(b));
                }
                for (int w = 0; w < warmup; w++) {
                    time(ort, inputs.get(w % inputs.size()), g, maxNew);
                    time(d, inputs.get(w % inputs.size()), g, maxNew);
                }
                // interleaved, alternating which runs first, so load from other processes hits both alike
                Arrays.fill(rawBest, Double.MAX_VALUE);
                Arrays.fill(djlBest, Double.MAX_VALUE);
                for (int r = 0; r < repeat; r++) {
                    for (int i = 0; i < inputs.size(); i++) {
                        int k = r * inputs.size() + i;
                        if ((i + r) % 2 == 0) {
                            raw[k] = time(ort, inputs.get(i), g, maxNew);
                            djl[k] = time(d, inputs.get(i), g, maxNew);
                        } else {
                            djl[k] = time(d, inputs.get(i), g, maxNew);
                            raw[k] = time(ort, inputs.get(i), g, maxNew);
                        }
                        rawBest[i] = Math.min(rawBest[i], raw[k]);
                        djlBest[i] = Math.min(djlBest[i], djl[k]);
                    }
                }
            }
            System.out.printf(Locale.ROOT, "java-ort  studies=%d tokens=%d threads=%d mean=%.2f ms p50=%.2f ms p95=%.2f ms best-p50=%.2f ms%n",
                    studies, maxNew, threads, mean(raw), pct(raw, 50), pct(raw, 95), pct(rawBest, 50));
            System.out.printf(Locale.ROOT, "java-djl  studies=%d tokens=%d threads=%d mean=%.2f ms p50=%.2f ms p95=%.2f ms best-p50=%.2f ms%n",
                    studies, maxNew, threads, mean(djl), pct(djl, 50), pct(djl, 95), pct(djlBest, 50));
            if (jsonOut != null) {
                ObjectMapper json = new ObjectMapper();
                ObjectNode n = json.createObjectNode();
                n.put("studies", studies);
                n.put("tokens", maxNew);
                n.put("threads", threads);
                n.put("inputs", dicom != null ? "phantom DICOM " + dicom : "seeded random");
                n.put("repeat", repeat);
                n.set("java_ort", stats(json, raw, rawBest));
                n.set("java_djl", stats(json, djl, djlBest));
                Files.writeString(jsonOut, n.toString());
            }
        }
    }

    private static ObjectNode stats(ObjectMapper json, double[] ms, double[] best) {
        ObjectNode n = json.createObjectNode();
        n.put("best_p50_ms", pct(best, 50));
        n.put("mean_ms", mean(ms));
        n.put("p50_ms", pct(ms, 50));
        n.put("p95_ms", pct(ms, 95));
        n.put("studies_per_second", 1000.0 / mean(ms));
        return n;
    }

    /** Wall time (ms) of encoder + greedy decode of {@code maxNew} tokens for one study (batch 1). */
    static <C extends AutoCloseable> double time(Seq2SeqSteps<C> m, float[] input, GenerationConfig g, int maxNew)
            throws InferenceException {
        long t0 = System.nanoTime();
        List<Decoding.Sequence> s = Decoding.greedy(m, input, 1, g, maxNew, true);
        double ms = (System.nanoTime() - t0) / 1e6;
        if (s.get(0).ids().length != maxNew) {
            throw new IllegalStateException("generated " + s.get(0).ids().length + " tokens, expected " + maxNew);
        }
        return ms;
    }

    private static List<float[]> fromDicom(OnnxDrafter drafter, Path dir, int studies) throws Exception {
        List<float[]> out = new ArrayList<>();
        for (StudyImages s : DraftBench.studies(dir, studies)) {
            out.add(drafter.pixelValues(s));
        }
        return out;
    }

    private static List<float[]> random(int per, int studies) {
        Random r = new Random(20261122L);
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < studies; i++) {
            float[] x = new float[per];
            for (int j = 0; j < per; j++) {
                x[j] = (float) r.nextGaussian();
            }
            out.add(x);
        }
        return out;
    }

    /** Raw little-endian float32 [N, views, S, S] after a 4-int header (N, views, S, S). */
    static void writeInputs(Path f, List<float[]> inputs, int views, int size) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(f)))) {
            ByteBuffer h = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            h.putInt(inputs.size()).putInt(views).putInt(size).putInt(size);
            out.write(h.array());
            for (float[] x : inputs) {
                ByteBuffer b = ByteBuffer.allocate(x.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float v : x) {
                    b.putFloat(v);
                }
                out.write(b.array());
            }
        }
    }

    static double mean(double[] a) {
        return Arrays.stream(a).average().orElse(Double.NaN);
    }

    static double pct(double[] a, double p) {
        double[] s = a.clone();
        Arrays.sort(s);
        double pos = p / 100 * (s.length - 1);
        int i = (int) Math.floor(pos);
        int j = Math.min(i + 1, s.length - 1);
        return s.length == 0 ? Double.NaN : s[i] + (pos - i) * (s[j] - s[i]);
    }
}
