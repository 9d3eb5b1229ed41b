package org.raddraft.cli;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * BLEU-4 and ROUGE-L as training/evaluate.py computes them, so Java and Python figures compare:
 * words are the tokenizer's pre-tokens (lower-case, accents stripped, punctuation split off),
 * BLEU-4 is corpus-level (Papineni, uniform weights, brevity penalty, one reference), ROUGE-L is the
 * LCS F-measure with beta 1.2 (pycocoevalcap), averaged over studies.
 */
final class TextMetrics {

    private TextMetrics() {
    }

    /** BertNormalizer(lowercase) + BertPreTokenizer, as training/tokenizer_build.py. */
    static List<String> words(String text) {
        StringBuilder clean = new StringBuilder(text.length());
        text.codePoints().forEach(cp -> {
            if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
                return;
            }
            clean.appendCodePoint(isWhitespace(cp) ? ' ' : cp);
        });
        String nfd = Normalizer.normalize(clean, Normalizer.Form.NFD);
        StringBuilder noMarks = new StringBuilder(nfd.length());
        nfd.codePoints().filter(cp -> Character.getType(cp) != Character.NON_SPACING_MARK).forEach(noMarks::appendCodePoint);
        String s = noMarks.toString().toLowerCase(java.util.Locale.ROOT);
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        s.codePoints().forEach(cp -> {
            if (isWhitespace(cp)) {
                flush(cur, out);
            } else if (isPunctuation(cp)) {
                flush(cur, out);
                out.add(new String(Character.toChars(cp)));
            } else {
                cur.appendCodePoint(cp);
            }
        });
        flush(cur, out);
        return out;
    }

    private static void flush(StringBuilder cur, List<String> out) {
        if (cur.length() > 0) {
            out.add(cur.toString());
            cur.setLength(0);
        }
    }

    private static boolean isWhitespace(int cp) {
        return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || Character.getType(cp) == Character.SPACE_SEPARATOR;
    }

    private static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        int t = Character.getType(cp);
        return t == Character.CONTROL || t == Character.FORMAT || t == Character.SURROGATE
                || t == Character.PRIVATE_USE || t == Character.UNASSIGNED;
    }

    private static boolean isPunctuation(int cp) {
        if (cp >= 33 && cp <= 47 || cp >= 58 && cp <= 64 || cp >= 91 && cp <= 96 || cp >= 123 && cp <= 126) {
            return true;
        }
        int t = Character.getType(cp);
        return t == Character.CONNECTOR_PUNCTUATION || t == Character.DASH_PUNCTUATION
                || t == Character.START_PUNCTUATION || t == Character.END_PUNCTUATION
                || t == Character.INITIAL_QUOTE_PUNCTUATION || t == Character.FINAL_QUOTE_PUNCTUATION
                || t == Character.OTHER_PUNCTUATION;
    }

    /** Corpus BLEU-4 with one reference per hypothesis; 0 when some n-gram order has no match. */
    static double bleu4(List<List<String>> refs, List<List<String>> hyps) {
        long[] match = new long[4];
        long[] total = new long[4];
        long rl = 0;
        long hl = 0;
        for (int k = 0; k < refs.size(); k++) {
            List<String> r = refs.get(k);
            List<String> h = hyps.get(k);
            rl += r.size();
            hl += h.size();
            for (int n = 1; n <= 4; n++) {
                Map<List<String>, Integer> rc = ngrams(r, n);
                Map<List<String>, Integer> hc = ngrams(h, n);
                for (Map.Entry<List<String>, Integer> e : hc.entrySet()) {
                    match[n - 1] += Math.min(e.getValue(), rc.getOrDefault(e.getKey(), 0));
                }
                total[n - 1] += Math.max(0, h.size() - n + 1);
            }
        }
        double logp = 0;
        for (int n = 0; n < 4; n++) {
            if (match[n] == 0) {
                return 0.0;
            }
            logp += Math.log((double) match[n] / total[n]);
        }
        logp /= 4;
        double bp = hl > rl ? 1.0 : Math.exp(1 - (double) rl / Math.max(1, hl));
        return bp * Math.exp(logp);
    }

    private static Map<List<String>, Integer> ngrams(List<String> w, int n) {
        Map<List<String>, Integer> m = new HashMap<>();
        for (int i = 0; i + n <= w.size(); i++) {
            m.merge(List.copyOf(w.subList(i, i + n)), 1, Integer::sum);
        }
        return m;
    }

    /** ROUGE-L F-measure of one pair (LCS), beta 1.2. */
    static double rougeL(List<String> r, List<String> h) {
        if (r.isEmpty() || h.isEmpty()) {
            return 0.0;
        }
        int[] prev = new int[h.size() + 1];
        for (String a : r) {
            int[] cur = new int[h.size() + 1];
            for (int j = 0; j < h.size(); j++) {
                cur[j + 1] = a.equals(h.get(j)) ? prev[j] + 1 : Math.max(prev[j + 1], cur[j]);
            }
            prev = cur;
        }
        int lcs = prev[h.size()];
        if (lcs == 0) {
            return 0.0;
        }
        double p = (double) lcs / h.size();
        double rc = (double) lcs / r.size();
        double beta = 1.2;
        return (1 + beta * beta) * p * rc / (rc + beta * beta * p);
    }
}
