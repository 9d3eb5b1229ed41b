package org.raddraft.inference.onnx;

import org.raddraft.inference.GenerationConfig;
import org.raddraft.inference.InferenceException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Greedy and beam-search decoding over any {@link Seq2SeqSteps}, with the KV cache: the first step
 * runs {@code decoder_model} on the start token, every later step {@code decoder_with_past_model} on
 * one new token per row. The log-probability of every chosen token (log-softmax of its logit) is kept.
 */
final class Decoding {

    private Decoding() {
    }

    /** A decoded sequence: generated ids (no start token; the end token included when reached). */
    record Sequence(int[] ids, float[] logProbs) {
        double sumLogProb() {
            double s = 0;
            for (float f : logProbs) {
                s += f;
            }
            return s;
        }
    }

    /**
     * @param maxNew      generate at most this many tokens (max_length - 1)
     * @param forceLength when true, ignore the end token and always generate {@code maxNew} tokens
     *                    (benchmarks compare runtimes at the same length)
     */
    static <C extends AutoCloseable> List<Sequence> greedy(Seq2SeqSteps<C> model, float[] pixels, int batch,
            GenerationConfig g, int maxNew, boolean forceLength) throws InferenceException {
        int v = model.vocabSize();
        List<List<Integer>> ids = new ArrayList<>();
        List<List<Float>> lps = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            ids.add(new ArrayList<>());
            lps.add(new ArrayList<>());
        }
        boolean[] done = new boolean[batch];
        int remaining = batch;
        Seq2SeqSteps.Step<C> step = model.start(pixels, batch, g.decoderStartTokenId());
        try {
            for (int t = 0; t < maxNew; t++) {
                long[] next = new long[batch];
                for (int b = 0; b < batch; b++) {
                    if (done[b]) {
                        next[b] = g.padTokenId();
                        continue;
                    }
                    int best = argmax(step.logits(), b * v, v);
                    float lp = (float) (step.logits()[b * v + best] - logSumExp(step.logits(), b * v, v));
                    ids.get(b).add(best);
                    lps.get(b).add(lp);
                    next[b] = best;
                    if (best == g.eosTokenId() && !forceLength) {
                        done[b] = true;
                        remaining--;
                    }
                }
                if (remaining == 0 || t == maxNew - 1) {
                    break;
                }
                Seq2SeqSteps.Step<C> n = model.next(step.cache(), next);
                closeQuietly(step.cache());
                step = n;
            }
        } finally {
            closeQuietly(step.cache());
        }
        List<Sequence> out = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            out.add(new Sequence(ids.get(b).stream().mapToInt(Integer::intValue).toArray(), toArray(lps.get(b))));
        }
        return out;
    }

    /**
     * Beam search, Hugging Face style ({@code early_stopping=true}): {@code beams} live hypotheses per
     * study; candidates ending in the end token become finished hypotheses; a study is done when it has
     * {@code beams} finished ones; the best finished hypothesis by
     * {@code sum(log p) / length^lengthPenalty} wins (length counts generated tokens).
     */
    static <C extends AutoCloseable> List<Sequence> beam(Seq2SeqSteps<C> model, float[] pixels, int batch,
            GenerationConfig g, int maxNew, int beams, double lengthPenalty) throws InferenceException {
        int v = model.vocabSize();
        int k = beams;
        List<List<Hyp>> finished = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            finished.add(new ArrayList<>());
        }
        boolean[] studyDone = new boolean[batch];
        Seq2SeqSteps.Step<C> first = model.start(pixels, batch, g.decoderStartTokenId());
        // live hypotheses: row r = b * k + j
        Hyp[] live = new Hyp[batch * k];
        C cache = null;
        try {
            // first token: top-k per study from the single start row (no duplicate beams)
            int[] rows = new int[batch * k];
            long[] tokens = new long[batch * k];
            for (int b = 0; b < batch; b++) {
                double lse = logSumExp(first.logits(), b * v, v);
                List<Cand> cands = topCandidates(first.logits(), b * v, v, lse, 0, null, 2 * k);
                int j = 0;
                for (Cand c : cands) {
                    Hyp h = Hyp.root().extend(c.token, c.lp);
                    if (c.token == g.eosTokenId()) {
                        addFinished(finished.get(b), h, k, lengthPenalty);
                        continue;
                    }
                    if (j < k) {
                        live[b * k + j] = h;
                        rows[b * k + j] = b;
                        tokens[b * k + j] = c.token;
                        j++;
                    }
                }
                if (finished.get(b).size() >= k) {
                    studyDone[b] = true;
                }
            }
            cache = model.select(first.cache(), rows);
            closeQuietly(first.cache());
            first = null;
            for (int t = 1; t < maxNew; t++) {
                if (allDone(studyDone)) {
                    break;
                }
                Seq2SeqSteps.Step<C> step = model.next(cache, tokens);
                closeQuietly(cache);
                cache = step.cache();
                int[] sel = new int[batch * k];
                long[] nextTokens = new long[batch * k];
                Hyp[] nextLive = new Hyp[batch * k];
                for (int b = 0; b < batch; b++) {
                    if (studyDone[b]) {
                        for (int j = 0; j < k; j++) {
                            sel[b * k + j] = b * k + j;
                            nextTokens[b * k + j] = g.padTokenId();
                            nextLive[b * k + j] = live[b * k + j];
                        }
                        continue;
                    }
                    List<Cand> cands = new ArrayList<>();
                    for (int j = 0; j < k; j++) {
                        int r = b * k + j;
                        if (live[r] == null) {
                            continue;
                        }
                        double lse = logSumExp(step.logits(), r * v, v);
                        cands.addAll(topCandidates(step.logits(), r * v, v, lse, live[r].score, r, 2 * k));
                    }
                    cands.sort(Comparator.comparingDouble((Cand c) -> -c.total));
                    int j = 0;
                    for (Cand c : cands) {
                        if (j >= k) {
                            break;
                        }
                        Hyp h = live[c.row].extend(c.token, c.lp);
                        if (c.token == g.eosTokenId()) {
                            addFinished(finished.get(b), h, k, lengthPenalty);
                            continue;
                        }
                        nextLive[b * k + j] = h;
                        sel[b * k + j] = c.row;
                        nextTokens[b * k + j] = c.token;
                        j++;
                    }
                    // HF early stopping: done once k hypotheses finished
                    if (finished.get(b).size() >= k || j == 0) {
                        studyDone[b] = true;
                    }
                }
                C reordered = model.select(cache, sel);
                closeQuietly(cache);
                cache = reordered;
                live = nextLive;
                tokens = nextTokens;
            }
        } finally {
            if (first != null) {
                closeQuietly(first.cache());
            }
            if (cache != null) {
                closeQuietly(cache);
            }
        }
        List<Sequence> out = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            List<Hyp> pool = new ArrayList<>(finished.get(b));
            if (pool.isEmpty()) { // hit max length: live beams compete
                for (int j = 0; j < k; j++) {
                    if (live[b * k + j] != null) {
                        pool.add(live[b * k + j]);
                    }
                }
            }
            Hyp best = pool.stream().max(Comparator.comparingDouble(h -> h.normalised(lengthPenalty))).orElseThrow();
            out.add(new Sequence(best.ids(), best.lps()));
        }
        return out;
    }

    private static boolean allDone(boolean[] d) {
        for (boolean x : d) {
            if (!x) {
                return false;
            }
        }
        return true;
    }

    private static void addFinished(List<Hyp> fin, Hyp h, int k, double lengthPenalty) {
        fin.add(h);
        fin.sort(Comparator.comparingDouble((Hyp x) -> -x.normalised(lengthPenalty)));
        while (fin.size() > k) {
            fin.remove(fin.size() - 1);
        }
    }

    private record Cand(int token, float lp, double total, Integer row) {
    }

    private static List<Cand> topCandidates(float[] logits, int off, int v, double lse, double base, Integer row, int n) {
        // partial selection of the n largest logits
        int[] idx = new int[Math.min(n, v)];
        Arrays.fill(idx, -1);
        for (int i = 0; i < v; i++) {
            float x = logits[off + i];
            int pos = idx.length - 1;
            if (idx[pos] != -1 && logits[off + idx[pos]] >= x) {
                continue;
            }
            while (pos > 0 && (idx[pos - 1] == -1 || logits[off + idx[pos - 1]] < x)) {
                idx[pos] = idx[pos - 1];
                pos--;
            }
            idx[pos] = i;
        }
        List<Cand> out = new ArrayList<>(idx.length);
        for (int i : idx) {
            float lp = (float) (logits[off + i] - lse);
            out.add(new Cand(i, lp, base + lp, row));
        }
        return out;
    }

    /** A hypothesis as a linked list of tokens (cheap to extend from a shared prefix). */
    private record Hyp(Hyp parent, int token, float lp, double score, int length) {
        static Hyp root() {
            return new Hyp(null, -1, 0f, 0.0, 0);
        }

        Hyp extend(int tok, float logProb) {
            return new Hyp(this, tok, logProb, score + logProb, length + 1);
        }

        double normalised(double lengthPenalty) {
            return lengthPenalty == 0 ? score : score / Math.pow(Math.max(1, length), lengthPenalty);
        }

        int[] ids() {
            int[] out = new int[length];
            Hyp h = this;
            for (int i = length - 1; i >= 0; i--, h = h.parent) {
                out[i] = h.token;
            }
            return out;
        }

        float[] lps() {
            float[] out = new float[length];
            Hyp h = this;
            for (int i = length - 1; i >= 0; i--, h = h.parent) {
                out[i] = h.lp;
            }
            return out;
        }
    }

    static int argmax(float[] a, int off, int n) {
        int best = 0;
        float bv = a[off];
        for (int i = 1; i < n; i++) {
            if (a[off + i] > bv) {
                bv = a[off + i];
                best = i;
            }
        }
        return best;
    }

    static double logSumExp(float[] a, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, a[off + i]);
        }
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += Math.exp(a[off + i] - max);
        }
        return max + Math.log(s);
    }

    private static float[] toArray(List<Float> l) {
        float[] out = new float[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = l.get(i);
        }
        return out;
    }

    static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception ignored) {
            // releasing native memory; nothing to report
        }
    }
}
