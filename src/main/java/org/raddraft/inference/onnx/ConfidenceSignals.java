package org.raddraft.inference.onnx;

import org.raddraft.inference.DraftLabels;
import org.raddraft.inference.ReportText;
import org.raddraft.inference.Preprocessor;
import org.raddraft.inference.GenerationConfig;
import org.raddraft.inference.InferenceException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import org.raddraft.flags.DraftSignals;
import org.raddraft.report.Observation;
import org.raddraft.report.ReportLabeller;

/**
 * Measures what the confidence flags need for a batch of drafts, on the same {@code pixel_values}
 * the drafts came from:
 * <ul>
 *   <li>the text: sentences (split on the period token) with their token log-probabilities, and what the
 *       draft says about each observation (the report labeller);</li>
 *   <li>the classifier's probabilities (when the model has {@code classifier.onnx});</li>
 *   <li>image reliance by teacher forcing ({@code decoder_model.onnx} scores a whole text in one call):
 *       the draft's likelihood with the real image minus with the image replaced by noise; and, per
 *       stated finding, minus with the region that carries it occluded, found by the classifier's
 *       occlusion sensitivity on a coarse grid of the frontal view;</li>
 *   <li>out-of-distribution features: image statistics of each view, the encoder's mean hidden state and
 *       the classifier's logits on the frontal view alone.</li>
 * </ul>
 * One batch costs one classifier call, one occlusion call of {@code GRID x GRID} images per draft with
 * a finding, one encoder and one decoder call for the occluded images, one decoder call for noise (its
 * encoding is computed once), and one encoder and one classifier call on the frontal views alone.
 */
final class ConfidenceSignals {

    /** Occlusion grid over the frontal view (GRID x GRID cells): coarse, so that it stays cheap. */
    static final int GRID = 4;
    /** Cells whose occlusion lowers the finding's probability by at least this share of the largest fall are occluded. */
    static final double REGION_SHARE = 0.5;
    /** OOD feature groups, as named in the calibration file. */
    static final String IMAGE = "frontal_image";
    static final String LATERAL_IMAGE = "lateral_image";
    /** Encoder and classifier features are taken on the frontal view alone (the lateral filled as when missing), so
     * that a study with and one without a lateral are compared with the same distribution. */
    static final String ENCODER = "encoder_frontal";
    static final String CLASSIFIER = "classifier_frontal";

    private static final Pattern NUMBERING = Pattern.compile("^\\s*(findings:|impression:)?\\s*(\\d+\\.)?\\s*$");
    private static final Pattern HEADING = Pattern.compile("^\\s*(findings:|impression:)\\s*");

    private final OrtSeq2Seq rt;
    private final OrtClassifier classifier;
    private final ReportText text;
    private final GenerationConfig generation;
    private final ReportLabeller labeller = ReportLabeller.withDefaultLexicon();
    private final boolean[] period;
    private final boolean[] digits;
    private final float[] black;
    private final float[] white;
    private final float lateralFill;
    private volatile OrtSeq2Seq.Encoded noise;

    /** @param lateralFill the normalised value a missing lateral view is filled with (model manifest) */
    ConfidenceSignals(OrtSeq2Seq rt, OrtClassifier classifier, ReportText text, GenerationConfig generation,
                      Preprocessor preprocessor, float lateralFill) {
        this.lateralFill = lateralFill;
        this.rt = rt;
        this.classifier = classifier;
        this.text = text;
        this.generation = generation;
        int v = rt.vocabSize();
        period = new boolean[v];
        digits = new boolean[v];
        for (int i = 0; i < v; i++) {
            String t = text.tokenizer().decode(new long[] {i}, true).strip();
            period[i] = t.equals(".");
            digits[i] = !t.isEmpty() && t.replace("##", "").chars().allMatch(Character::isDigit);
        }
        black = new float[rt.channels()];
        white = new float[rt.channels()];
        for (int c = 0; c < rt.channels(); c++) {
            black[c] = preprocessor.normalise(new float[] {0f}, c)[0];
            white[c] = preprocessor.normalise(new float[] {255f}, c)[0];
        }
    }

    boolean hasClassifier() {
        return classifier != null;
    }

    /** One draft to measure: its generated ids and log-probabilities, and its two sections as drafted. */
    record Drafted(int[] ids, float[] logProbs, String findings, String impression, String missingView) {
    }

    List<DraftSignals> measure(float[] pixels, List<Drafted> drafts) throws InferenceException {
        int n = drafts.size();
        int plane = rt.imageSize() * rt.imageSize();
        int per = rt.channels() * plane;
        List<List<Segment>> segments = new ArrayList<>();
        List<Map<String, DraftSignals.Statement>> stated = new ArrayList<>();
        for (Drafted d : drafts) {
            segments.add(segments(d));
            stated.add(stated(d));
        }
        float[] logits = classifier == null ? null : classifier.logits(pixels, n);
        int k = classifier == null ? 0 : classifier.labels().size();
        float[] frontal = pixels;
        if (rt.views() > 1 && drafts.stream().anyMatch(d -> d.missingView() == null)) {
            frontal = pixels.clone();
            for (int b = 0; b < n; b++) {
                Arrays.fill(frontal, b * per + plane, (b + 1) * per, lateralFill);
            }
        }
        OrtSeq2Seq.Encoded frontalEncoded = rt.encode(frontal, n);
        float[] frontalLogits = classifier == null ? null : frontal == pixels ? logits : classifier.logits(frontal, n);

        // image replaced by noise: the same noise for every study, encoded once
        int[][] ids = drafts.stream().map(Drafted::ids).toArray(int[][]::new);
        float[][] noisy = rt.teacherForced(noiseEncoding().repeat(0, n), ids, generation.decoderStartTokenId(),
                generation.padTokenId());

        Map<String, Double>[] findingDrops = findingDrops(pixels, drafts, segments, stated, logits, k, per, plane);

        List<DraftSignals> out = new ArrayList<>();
        for (int b = 0; b < n; b++) {
            Drafted d = drafts.get(b);
            Map<String, Double> probs = null;
            if (logits != null) {
                probs = new LinkedHashMap<>();
                for (int j = 0; j < k; j++) {
                    probs.put(classifier.labels().get(j), OrtClassifier.sigmoid(logits[b * k + j]));
                }
            }
            List<DraftSignals.Sentence> sentences = new ArrayList<>();
            for (Segment s : segments.get(b)) {
                sentences.add(new DraftSignals.Sentence(s.text, s.observations, mean(d.logProbs(), s.from, s.to)));
            }
            double drop = mean(d.logProbs(), 0, d.ids().length) - mean(noisy[b], 0, d.ids().length);
            Map<String, double[]> ood = new HashMap<>();
            ood.put(IMAGE, imageStats(pixels, b * per, plane, 0));
            if (rt.views() > 1 && d.missingView() == null) {
                ood.put(LATERAL_IMAGE, imageStats(pixels, b * per + plane, plane, 1));
            }
            ood.put(ENCODER, meanHidden(frontalEncoded, b));
            if (frontalLogits != null) {
                double[] l = new double[k];
                for (int j = 0; j < k; j++) {
                    l[j] = frontalLogits[b * k + j];
                }
                ood.put(CLASSIFIER, l);
            }
            out.add(new DraftSignals(mean(d.logProbs(), 0, d.ids().length), sentences, stated.get(b), probs, drop,
                    findingDrops == null ? null : findingDrops[b], ood, d.missingView()));
        }
        return out;
    }

    /**
     * Per draft and stated finding: the drop of its sentences' mean token log-probability when the
     * frontal region the classifier relies on for it is occluded; null without a classifier.
     */
    @SuppressWarnings("unchecked")
    private Map<String, Double>[] findingDrops(float[] pixels, List<Drafted> drafts, List<List<Segment>> segments,
            List<Map<String, DraftSignals.Statement>> stated, float[] logits, int k, int per, int plane)
            throws InferenceException {
        if (classifier == null) {
            return null;
        }
        int n = drafts.size();
        Map<String, Double>[] out = new Map[n];
        // which findings of which draft can be checked: stated, with a sentence of their own and a classifier column
        List<int[]> wanted = new ArrayList<>(); // {draft, label column}
        List<Integer> withFindings = new ArrayList<>();
        for (int b = 0; b < n; b++) {
            out[b] = new LinkedHashMap<>();
            boolean any = false;
            for (int j = 0; j < k; j++) {
                String o = classifier.labels().get(j);
                DraftSignals.Statement st = stated.get(b).get(o);
                if (st == null || !st.positive() || o.equals(Observation.NO_FINDING.label())
                        || segments.get(b).stream().noneMatch(s -> s.observations.contains(o))) {
                    continue;
                }
                wanted.add(new int[] {b, j});
                any = true;
            }
            if (any) {
                withFindings.add(b);
            }
        }
        if (wanted.isEmpty()) {
            return out;
        }
        // occlusion sensitivity: every cell of the grid occluded in turn, for each draft with a finding
        int cells = GRID * GRID;
        float[] occ = new float[withFindings.size() * cells * per];
        for (int i = 0; i < withFindings.size(); i++) {
            for (int c = 0; c < cells; c++) {
                int off = (i * cells + c) * per;
                System.arraycopy(pixels, withFindings.get(i) * per, occ, off, per);
                occlude(occ, off, c);
            }
        }
        float[] occLogits = classifier.logits(occ, withFindings.size() * cells);
        // one occluded image per (draft, finding): the cells that carry most of the finding's probability
        float[] region = new float[wanted.size() * per];
        int[][] texts = new int[wanted.size()][];
        for (int w = 0; w < wanted.size(); w++) {
            int b = wanted.get(w)[0];
            int j = wanted.get(w)[1];
            int i = withFindings.indexOf(b);
            double[] fall = new double[cells];
            double max = 0;
            for (int c = 0; c < cells; c++) {
                fall[c] = logits[b * k + j] - occLogits[(i * cells + c) * k + j];
                max = Math.max(max, fall[c]);
            }
            int off = w * per;
            System.arraycopy(pixels, b * per, region, off, per);
            int best = 0;
            for (int c = 0; c < cells; c++) {
                if (fall[c] > fall[best]) {
                    best = c;
                }
                if (max > 0 && fall[c] >= REGION_SHARE * max) {
                    occlude(region, off, c);
                }
            }
            if (max <= 0) {
                occlude(region, off, best);
            }
            texts[w] = drafts.get(b).ids();
        }
        float[][] scored = rt.teacherForced(rt.encode(region, wanted.size()), texts, generation.decoderStartTokenId(),
                generation.padTokenId());
        for (int w = 0; w < wanted.size(); w++) {
            int b = wanted.get(w)[0];
            String o = classifier.labels().get(wanted.get(w)[1]);
            double realSum = 0;
            double occSum = 0;
            int count = 0;
            for (Segment s : segments.get(b)) {
                if (s.observations.contains(o)) {
                    for (int t = s.from; t < s.to; t++) {
                        realSum += drafts.get(b).logProbs()[t];
                        occSum += scored[w][t];
                        count++;
                    }
                }
            }
            out[b].put(o, count == 0 ? 0 : (realSum - occSum) / count);
        }
        return out;
    }

    /**
     * Cell {@code c} of the frontal view's grid set to black (no tissue there any more), in every
     * channel that carries the frontal view (all of them when a single view is repeated).
     */
    private void occlude(float[] px, int off, int c) {
        int s = rt.imageSize();
        int cell = s / GRID;
        int y0 = (c / GRID) * cell;
        int x0 = (c % GRID) * cell;
        int frontalChannels = rt.views() == 1 ? rt.channels() : 1;
        for (int ch = 0; ch < frontalChannels; ch++) {
            int o = off + ch * s * s;
            for (int y = y0; y < y0 + cell; y++) {
                Arrays.fill(px, o + y * s + x0, o + y * s + x0 + cell, black[ch]);
            }
        }
    }

    private OrtSeq2Seq.Encoded noiseEncoding() throws InferenceException {
        OrtSeq2Seq.Encoded e = noise;
        if (e == null) {
            Random r = new Random(20261202L);
            float[] px = new float[rt.channels() * rt.imageSize() * rt.imageSize()];
            for (int i = 0; i < px.length; i++) {
                px[i] = (float) r.nextGaussian();
            }
            e = rt.encode(px, 1);
            noise = e;
        }
        return e;
    }

    /** A sentence: tokens [from, to) of the draft, its text and the observations it affirms. */
    private record Segment(int from, int to, String text, List<String> observations) {
    }

    /**
     * Splits the generated ids after each period token that ends a sentence (not "4.2"); a list
     * number ("1."), a heading alone or the end token joins its neighbour sentence.
     */
    List<Segment> segments(Drafted d) {
        int[] ids = d.ids();
        List<Segment> out = new ArrayList<>();
        int from = 0;
        for (int i = 0; i < ids.length; i++) {
            boolean last = i == ids.length - 1;
            boolean end = last;
            if (!last && period[ids[i]]) {
                end = !(i > 0 && digits[ids[i - 1]] && digits[ids[i + 1]]);
            }
            if (!end) {
                continue;
            }
            String s = text.decode(Arrays.copyOfRange(ids, from, i + 1)).strip();
            if (NUMBERING.matcher(s).matches()) {
                if (!last) {
                    continue; // "1." or a heading alone: part of the next sentence
                }
                if (!out.isEmpty()) { // trailing "2." or the end token: part of the last sentence
                    Segment prev = out.remove(out.size() - 1);
                    out.add(new Segment(prev.from, i + 1, prev.text, prev.observations));
                    break;
                }
            }
            String sentence = HEADING.matcher(s).replaceFirst("");
            List<String> obs = DraftLabels.affirmed(labeller, sentence);
            out.add(new Segment(from, i + 1, sentence, obs));
            from = i + 1;
        }
        return out;
    }

    private Map<String, DraftSignals.Statement> stated(Drafted d) {
        return DraftLabels.stated(labeller, d.findings(), d.impression());
    }

    private static double mean(float[] v, int from, int to) {
        if (to <= from) {
            return 0;
        }
        double s = 0;
        for (int i = from; i < to; i++) {
            s += v[i];
        }
        return s / (to - from);
    }

    /**
     * Statistics of one normalised view: mean, spread, share of black and of white pixels, texture
     * (mean absolute neighbour difference, mean absolute Laplacian), three percentiles and the
     * grey-level entropy (64 bins over black..white).
     */
    double[] imageStats(float[] px, int off, int plane, int channel) {
        int s = rt.imageSize();
        float lo = black[channel];
        float hi = white[channel];
        float range = Math.max(1e-6f, hi - lo);
        int[] hist = new int[64];
        double sum = 0;
        double sq = 0;
        int blackCount = 0;
        int whiteCount = 0;
        double grad = 0;
        double lap = 0;
        for (int y = 0; y < s; y++) {
            for (int x = 0; x < s; x++) {
                int i = off + y * s + x;
                float v = px[i];
                sum += v;
                sq += (double) v * v;
                blackCount += v <= lo + 0.02f ? 1 : 0;
                whiteCount += v >= hi - 0.02f ? 1 : 0;
                hist[(int) Math.min(63, Math.max(0, (v - lo) / range * 64))]++;
                if (x + 1 < s) {
                    grad += Math.abs(px[i + 1] - v);
                }
                if (y + 1 < s) {
                    grad += Math.abs(px[i + s] - v);
                }
                if (x > 0 && y > 0 && x + 1 < s && y + 1 < s) {
                    lap += Math.abs(4 * v - px[i - 1] - px[i + 1] - px[i - s] - px[i + s]);
                }
            }
        }
        double mean = sum / plane;
        double std = Math.sqrt(Math.max(0, sq / plane - mean * mean));
        double entropy = 0;
        double[] pct = {0.05, 0.5, 0.95};
        double[] pv = new double[3];
        int acc = 0;
        int p = 0;
        for (int bin = 0; bin < 64; bin++) {
            if (hist[bin] > 0) {
                double q = (double) hist[bin] / plane;
                entropy -= q * Math.log(q);
            }
            acc += hist[bin];
            while (p < 3 && acc >= pct[p] * plane) {
                pv[p++] = lo + (bin + 0.5) / 64 * range;
            }
        }
        return new double[] {mean, std, (double) blackCount / plane, (double) whiteCount / plane,
                grad / (2.0 * plane), lap / plane, pv[0], pv[1], pv[2], entropy};
    }

    /** The encoder's last hidden state of row {@code b}, averaged over its positions. */
    private static double[] meanHidden(OrtSeq2Seq.Encoded e, int b) {
        double[] m = new double[e.dim()];
        int off = b * e.seq() * e.dim();
        for (int t = 0; t < e.seq(); t++) {
            for (int d = 0; d < e.dim(); d++) {
                m[d] += e.hidden()[off + t * e.dim() + d];
            }
        }
        for (int d = 0; d < e.dim(); d++) {
            m[d] /= e.seq();
        }
        return m;
    }
}
