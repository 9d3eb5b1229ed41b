package org.raddraft.testing;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The engine behind {@link OpenAiPeer}: the bundled reference model ({@code models/reference-cxr})
 * run with ONNX Runtime the way an inference server runs a vision-language model — images in,
 * tokens out with the log-softmax of every step, prompt tokens scored by teacher forcing.
 *
 * <p>Deliberately written against the model files and the {@code ai.onnxruntime} / DJL tokenizer
 * APIs only, not RadDraft's {@code inference} package: the peer stands in for a remote engine, and
 * a test of the remote backend must not pass because both sides share the code under test.
 *
 * <p>What the reference model cannot do, the peer does not pretend: it reads no prompt text (the
 * drafting instructions, indication and prior report are recorded but do not change the draft), it
 * takes two views (first image = frontal, second = lateral, a missing lateral is zeros as in the
 * model contract), and its context is {@code max_length} (192) decoder positions.
 */
final class PeerEngine implements AutoCloseable {

    static {
        // the tokenizer jar bundles its native library: never download anything
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> HEADINGS = Set.of("findings", "impression");
    private static final Set<String> NO_SPACE_BEFORE = Set.of(".", ",", ":", ";", "!", "?", ")", "-", "/", "%");
    private static final Set<String> NO_SPACE_AFTER = Set.of("(", "-", "/");

    /** One candidate at one position: token id, its text as it would appear there, its log-probability. */
    record Candidate(int id, String text, boolean special, double logprob, int rank) {
        byte[] bytes() {
            return text.getBytes(StandardCharsets.UTF_8);
        }
    }

    /** One scored position: the token that is there and the {@code top} most likely ones. */
    record Position(Candidate token, List<Candidate> top) {
    }

    /** Sampling settings of one request. */
    record Sampling(int maxTokens, double temperature, Long seed, List<String> stop, int topLogprobs) {
    }

    /**
     * What one request produced: the prompt positions (index 0 has no score, as in vLLM), the
     * generated positions (without the end token), the text, and why generation stopped.
     */
    record Result(List<Position> prompt, List<Position> generated, String content, String finishReason,
                  String stopReason, int completionTokens) {
    }

    private final OrtEnvironment env;
    private final OrtSession encoder;
    private final OrtSession decoder;
    private final OrtSession decoderWithPast;
    private final HuggingFaceTokenizer tokenizer;
    private final String[] pieces;
    private final int layers;
    private final int vocab;
    private final int bos;
    private final int eos;
    private final int maxLength;
    private final int size;
    private final boolean padSquare;
    private final int padValue;
    private final float[] mean;
    private final float[] std;

    private PeerEngine(Path dir) throws IOException, OrtException {
        JsonNode gen = JSON.readTree(dir.resolve("generation_config.json").toFile());
        JsonNode pre = JSON.readTree(dir.resolve("preprocessor_config.json").toFile());
        JsonNode tok = JSON.readTree(dir.resolve("tokenizer.json").toFile());
        bos = gen.path("decoder_start_token_id").asInt(gen.path("bos_token_id").asInt());
        eos = gen.path("eos_token_id").asInt();
        maxLength = gen.path("max_length").asInt(192);
        size = pre.path("size").path("height").asInt();
        padSquare = pre.path("do_pad_square").asBoolean(true);
        padValue = pre.path("pad_value").asInt(0);
        mean = floats(pre.path("image_mean"));
        std = floats(pre.path("image_std"));
        JsonNode v = tok.path("model").path("vocab");
        pieces = new String[v.size()];
        v.fields().forEachRemaining(e -> pieces[e.getValue().asInt()] = e.getKey());
        env = OrtEnvironment.getEnvironment();
        encoder = session(dir.resolve("encoder_model.onnx"));
        decoder = session(dir.resolve("decoder_model.onnx"));
        decoderWithPast = session(dir.resolve("decoder_with_past_model.onnx"));
        int n = 0;
        while (decoder.getOutputInfo().containsKey("present." + n + ".decoder.key")) {
            n++;
        }
        layers = n;
        vocab = pieces.length;
        tokenizer = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"), Map.of("maxLength", "4096",
                "truncation", "false"));
    }

    static PeerEngine load(Path modelDir) throws IOException {
        try {
            return new PeerEngine(modelDir);
        } catch (OrtException e) {
            throw new IOException("cannot load " + modelDir + " into ONNX Runtime: " + e.getMessage(), e);
        }
    }

    private OrtSession session(Path file) throws OrtException {
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setInterOpNumThreads(1);
            o.setIntraOpNumThreads(1);
            return env.createSession(file.toString(), o);
        }
    }

    private static float[] floats(JsonNode a) {
        float[] f = new float[a.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) a.get(i).asDouble();
        }
        return f;
    }

    int maxLength() {
        return maxLength;
    }

    int views() {
        return mean.length;
    }

    // ---------------------------------------------------------------- images

    /**
     * The model's {@code pixel_values} {@code [1, views, S, S]} from decoded images: 8-bit grey
     * (luma for colour), pad to square, area-average resize, {@code /255}, {@code (x - mean) / std};
     * views without an image stay 0.
     */
    float[] pixels(List<BufferedImage> images) {
        int views = views();
        float[] out = new float[views * size * size];
        for (int c = 0; c < Math.min(views, images.size()); c++) {
            BufferedImage img = images.get(c);
            float[] resized = resize(grey8(img), img.getWidth(), img.getHeight());
            for (int i = 0; i < resized.length; i++) {
                float x = resized[i] / 255.0f;
                out[c * size * size + i] = (x - mean[c]) / std[c];
            }
        }
        return out;
    }

    private static int[] grey8(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        int[] g = new int[w * h];
        Raster r = img.getRaster();
        int bits = r.getSampleModel().getSampleSize(0);
        boolean grey = !(img.getColorModel() instanceof IndexColorModel) && r.getNumBands() <= 2;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (grey) {
                    int s = r.getSample(x, y, 0);
                    g[y * w + x] = bits == 8 ? s : (int) Math.round(s * 255.0 / ((1 << bits) - 1));
                } else {
                    int rgb = img.getRGB(x, y);
                    int red = (rgb >> 16) & 0xff;
                    int green = (rgb >> 8) & 0xff;
                    int blue = rgb & 0xff;
                    // ITU-R 601-2 luma, as Pillow's convert("L")
                    g[y * w + x] = (red * 299 + green * 587 + blue * 114) / 1000;
                }
            }
        }
        return g;
    }

    /** Pad to square (centred) and area-average to S x S; an integer factor is the exact k x k mean. */
    private float[] resize(int[] grey, int w, int h) {
        int n = Math.max(w, h);
        int[] sq = grey;
        int sw = w;
        int sh = h;
        if (padSquare && w != h) {
            sq = new int[n * n];
            Arrays.fill(sq, padValue);
            int oy = (n - h) / 2;
            int ox = (n - w) / 2;
            for (int y = 0; y < h; y++) {
                System.arraycopy(grey, y * w, sq, (oy + y) * n + ox, w);
            }
            sw = n;
            sh = n;
        }
        float[] out = new float[size * size];
        if (sw == sh && sw % size == 0) {
            int k = sw / size;
            float kk = (float) (k * k);
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    long sum = 0;
                    for (int dy = 0; dy < k; dy++) {
                        for (int dx = 0; dx < k; dx++) {
                            sum += sq[(y * k + dy) * sw + x * k + dx];
                        }
                    }
                    out[y * size + x] = (float) sum / kk;
                }
            }
            return out;
        }
        double fy = (double) sh / size;
        double fx = (double) sw / size;
        for (int y = 0; y < size; y++) {
            double y0 = y * fy;
            double y1 = y0 + fy;
            for (int x = 0; x < size; x++) {
                double x0 = x * fx;
                double x1 = x0 + fx;
                double sum = 0;
                double area = 0;
                for (int sy = (int) y0; sy < Math.min(sh, Math.ceil(y1)); sy++) {
                    double wy = Math.min(y1, sy + 1) - Math.max(y0, sy);
                    for (int sx = (int) x0; sx < Math.min(sw, Math.ceil(x1)); sx++) {
                        double wx = Math.min(x1, sx + 1) - Math.max(x0, sx);
                        sum += wy * wx * sq[sy * sw + sx];
                        area += wy * wx;
                    }
                }
                out[y * size + x] = (float) (sum / area);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- text

    /** Token ids of {@code text} (no special tokens), as the model's tokenizer splits it. */
    int[] tokenize(String text) {
        long[] ids = tokenizer.encode(text, false, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = (int) ids[i];
        }
        return out;
    }

    private boolean special(int id) {
        String p = pieces[id];
        return p.startsWith("[") && p.endsWith("]") && p.length() > 2;
    }

    /**
     * Report text from word pieces, one piece at a time, so that the texts of the tokens
     * concatenate to the message (as OpenAI's {@code logprobs.content[].token} do): WordPiece
     * continuations glue, punctuation spacing as in report prose, the section headings upper case
     * with IMPRESSION on a new line, and sentences capitalised.
     */
    private final class Surface {
        private String prev;
        private String prevPrev;
        private boolean capNext = true;

        Surface copy() {
            Surface s = new Surface();
            s.prev = prev;
            s.prevPrev = prevPrev;
            s.capNext = capNext;
            return s;
        }

        String next(int id) {
            String piece = pieces[id];
            if (special(id)) {
                return piece;
            }
            String text;
            if (piece.startsWith("##")) {
                text = piece.substring(2);
            } else {
                boolean decimal = isDigits(piece) && ".".equals(prev) && prevPrev != null && isDigits(prevPrev);
                boolean glue = prev == null || NO_SPACE_BEFORE.contains(piece) || NO_SPACE_AFTER.contains(prev) || decimal;
                String sep = glue ? "" : " ";
                String word = piece;
                if (HEADINGS.contains(piece)) {
                    word = piece.toUpperCase(java.util.Locale.ROOT);
                    sep = prev == null ? "" : "impression".equals(piece) ? "\n" : " ";
                    capNext = true;
                } else if (decimal) {
                    capNext = false;
                } else if (capNext && Character.isLetter(piece.charAt(0))) {
                    word = Character.toUpperCase(piece.charAt(0)) + piece.substring(1);
                    capNext = false;
                } else if (Character.isLetterOrDigit(piece.charAt(0))) {
                    capNext = false;
                }
                if (".".equals(piece) || "!".equals(piece) || "?".equals(piece)) {
                    capNext = true;
                }
                text = sep + word;
            }
            prevPrev = prev;
            prev = piece;
            return text;
        }
    }

    private static boolean isDigits(String s) {
        return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
    }

    // ---------------------------------------------------------------- decoding

    /**
     * Scores {@code prefix} against the images and, when {@code continueFrom} is true, generates on
     * from its end; otherwise generates a new answer from the start token (a new assistant turn).
     *
     * @param prefix       prompt tokens after the start token (the final assistant message), may be empty
     * @param endTurn      append the end token to the prompt (the message was closed, not continued)
     * @param promptTop    how many alternatives per prompt position (vLLM {@code prompt_logprobs}), -1 none
     */
    Result run(float[] pixels, int[] prefix, boolean endTurn, boolean continueFrom, int promptTop, Sampling s)
            throws OrtException {
        int[] prompt = new int[1 + prefix.length + (endTurn ? 1 : 0)];
        prompt[0] = bos;
        System.arraycopy(prefix, 0, prompt, 1, prefix.length);
        if (endTurn) {
            prompt[prompt.length - 1] = eos;
        }
        List<AutoCloseable> owned = new ArrayList<>();
        try {
            OnnxTensor px = own(owned, OnnxTensor.createTensor(env, FloatBuffer.wrap(pixels),
                    new long[] {1, views(), size, size}));
            OrtSession.Result enc = own(owned, encoder.run(Map.of("pixel_values", px)));
            OnnxTensor hidden = (OnnxTensor) enc.get(0);
            // the scored prompt (and, to continue it, its cache): one decoder_model call over all positions
            int[] first = continueFrom ? prompt : new int[] {bos};
            int[] scored = prompt.length >= first.length ? prompt : first;
            OrtSession.Result full = own(owned, decode(scored, hidden));
            float[] logits = floats(tensor(full, "logits"));
            List<Position> promptPositions = new ArrayList<>();
            Surface ps = new Surface();
            promptPositions.add(null);
            ps.next(prompt[0]);
            for (int i = 1; i < prompt.length; i++) {
                Surface at = ps.copy();
                String text = ps.next(prompt[i]);
                promptPositions.add(position(logits, (i - 1) * vocab, prompt[i], text, at, Math.max(promptTop, 0)));
            }
            if (promptTop < 0) {
                promptPositions = null;
            }
            OrtSession.Result start = full;
            int startLen = scored.length;
            if (!continueFrom && scored.length != 1) {
                start = own(owned, decode(first, hidden));
                startLen = 1;
                logits = floats(tensor(start, "logits"));
            }
            Surface gs = new Surface();
            if (continueFrom) {
                for (int id : prompt) {
                    gs.next(id);
                }
            }
            return generate(hidden, start, logits, startLen, continueFrom ? prompt.length : 1, gs, s, promptPositions);
        } finally {
            java.util.Collections.reverse(owned);
            release(owned);
        }
    }

    private Result generate(OnnxTensor hidden, OrtSession.Result start, float[] startLogits, int startLen,
                            int contextLen, Surface surface, Sampling s, List<Position> promptPositions)
            throws OrtException {
        int room = maxLength - contextLen;
        int max = s.maxTokens() > 0 ? Math.min(s.maxTokens(), room) : room;
        Random random = s.temperature() > 0 ? (s.seed() != null ? new Random(s.seed()) : new Random()) : null;
        List<Position> out = new ArrayList<>();
        StringBuilder content = new StringBuilder();
        List<Integer> ends = new ArrayList<>();
        int row = (startLen - 1) * vocab;
        float[] logits = startLogits;
        // the KV cache: self-attention K/V grow each step, cross-attention K/V are the first call's
        OnnxTensor[] selfK = presents(start, "decoder.key");
        OnnxTensor[] selfV = presents(start, "decoder.value");
        OnnxTensor[] crossK = presents(start, "encoder.key");
        OnnxTensor[] crossV = presents(start, "encoder.value");
        OrtSession.Result step = null;
        String finish = "length";
        String stopReason = null;
        int completion = 0;
        try {
            while (completion < max) {
                int token = random == null ? argmax(logits, row) : sample(logits, row, s.temperature(), random);
                completion++;
                if (token == eos) {
                    finish = "stop";
                    break;
                }
                Surface at = surface.copy();
                String text = surface.next(token);
                out.add(position(logits, row, token, text, at, s.topLogprobs()));
                content.append(text);
                ends.add(content.length());
                String hit = firstStop(content, s.stop());
                if (hit != null) {
                    int cut = content.indexOf(hit);
                    content.setLength(cut);
                    while (!ends.isEmpty() && ends.get(ends.size() - 1) > cut) {
                        ends.remove(ends.size() - 1);
                        out.remove(out.size() - 1);
                    }
                    finish = "stop";
                    stopReason = hit;
                    break;
                }
                if (completion == max) {
                    break;
                }
                Map<String, OnnxTensor> in = new HashMap<>();
                OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {token}), new long[] {1, 1});
                try {
                    in.put("input_ids", ids);
                    in.put("encoder_hidden_states", hidden);
                    for (int i = 0; i < layers; i++) {
                        in.put("past_key_values." + i + ".decoder.key", selfK[i]);
                        in.put("past_key_values." + i + ".decoder.value", selfV[i]);
                        in.put("past_key_values." + i + ".encoder.key", crossK[i]);
                        in.put("past_key_values." + i + ".encoder.value", crossV[i]);
                    }
                    OrtSession.Result next = decoderWithPast.run(in);
                    selfK = presents(next, "decoder.key");
                    selfV = presents(next, "decoder.value");
                    logits = floats(tensor(next, "logits"));
                    row = 0;
                    release(Arrays.asList(step));
                    step = next;
                } finally {
                    ids.close();
                }
            }
        } finally {
            release(Arrays.asList(step));
        }
        return new Result(promptPositions, out, content.toString(), finish, stopReason, completion);
    }

    private OrtSession.Result decode(int[] ids, OnnxTensor hidden) throws OrtException {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        try (OnnxTensor in = OnnxTensor.createTensor(env, LongBuffer.wrap(l), new long[] {1, l.length})) {
            return decoder.run(Map.of("input_ids", in, "encoder_hidden_states", hidden));
        }
    }

    private static String firstStop(CharSequence content, List<String> stop) {
        String best = null;
        int at = Integer.MAX_VALUE;
        for (String st : stop) {
            int i = content.toString().indexOf(st);
            if (!st.isEmpty() && i >= 0 && i < at) {
                at = i;
                best = st;
            }
        }
        return best;
    }

    /** The token at one position and the {@code top} most likely there, from one row of logits. */
    private Position position(float[] logits, int off, int token, String text, Surface at, int top) {
        double lse = logSumExp(logits, off);
        Candidate chosen = new Candidate(token, text, special(token), logits[off + token] - lse, rank(logits, off, token));
        List<Candidate> alts = new ArrayList<>();
        if (top > 0) {
            Integer[] idx = new Integer[vocab];
            for (int i = 0; i < vocab; i++) {
                idx[i] = i;
            }
            Arrays.sort(idx, (a, b) -> Float.compare(logits[off + b], logits[off + a]));
            for (int k = 0; k < Math.min(top, vocab); k++) {
                int id = idx[k];
                String t = id == token ? text : at.copy().next(id);
                alts.add(new Candidate(id, t, special(id), logits[off + id] - lse, k + 1));
            }
        }
        return new Position(chosen, alts);
    }

    private int rank(float[] logits, int off, int token) {
        int r = 1;
        for (int i = 0; i < vocab; i++) {
            if (logits[off + i] > logits[off + token]) {
                r++;
            }
        }
        return r;
    }

    private int argmax(float[] a, int off) {
        int best = 0;
        for (int i = 1; i < vocab; i++) {
            if (a[off + i] > a[off + best]) {
                best = i;
            }
        }
        return best;
    }

    private int sample(float[] a, int off, double temperature, Random random) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, a[off + i] / temperature);
        }
        double[] p = new double[vocab];
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            p[i] = Math.exp(a[off + i] / temperature - max);
            sum += p[i];
        }
        double u = random.nextDouble() * sum;
        for (int i = 0; i < vocab; i++) {
            u -= p[i];
            if (u <= 0) {
                return i;
            }
        }
        return vocab - 1;
    }

    /** log(sum(exp(logits))) of one row, shifted by its largest logit. */
    private double logSumExp(float[] a, int off) {
        double max = a[off + argmax(a, off)];
        double s = 0;
        for (int i = 0; i < vocab; i++) {
            s += Math.exp(a[off + i] - max);
        }
        return max + Math.log(s);
    }

    /** {@code present.<layer>.<kind>} of every layer. */
    private OnnxTensor[] presents(OrtSession.Result r, String kind) {
        OnnxTensor[] t = new OnnxTensor[layers];
        Arrays.setAll(t, i -> tensor(r, "present." + i + "." + kind));
        return t;
    }

    private static OnnxTensor tensor(OrtSession.Result r, String name) {
        OnnxValue v = r.get(name).orElseThrow(() -> new IllegalStateException("model output '" + name + "' missing"));
        return (OnnxTensor) v;
    }

    private static float[] floats(OnnxTensor t) {
        FloatBuffer fb = t.getFloatBuffer();
        float[] a = new float[fb.remaining()];
        fb.get(a);
        return a;
    }

    private static <T extends AutoCloseable> T own(List<AutoCloseable> owned, T t) {
        owned.add(t);
        return t;
    }

    /** Closes native ONNX Runtime objects of a finished request (nulls skipped); a failure there changes no answer. */
    private static void release(List<? extends AutoCloseable> all) {
        for (AutoCloseable c : all) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                org.slf4j.LoggerFactory.getLogger(PeerEngine.class).debug("release: {}", e.toString());
            }
        }
    }

    @Override
    public void close() {
        release(Arrays.asList(encoder, decoder, decoderWithPast));
        tokenizer.close();
    }
}
