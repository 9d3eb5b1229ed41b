package org.raddraft.inference;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Token ids to report text, as the model contract defines it: DJL's {@link HuggingFaceTokenizer}
 * (the Rust {@code tokenizers} library, offline) decodes {@code tokenizer.json}; the contract's
 * detokenize rules re-attach punctuation the WordPiece decoder leaves spaced; the text
 * {@code "findings: ... impression: ..."} is split on the first {@code impression:}.
 */
public final class ReportText implements AutoCloseable {

    static {
        // never download anything: the tokenizers jar bundles its native library
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        // DJL probes for CUDA while picking the tokenizer's native library and warns twice on every
        // machine without a GPU; the tokenizer never uses one
        org.slf4j.Logger cuda = org.slf4j.LoggerFactory.getLogger("ai.djl.util.cuda.CudaUtils");
        if (cuda instanceof ch.qos.logback.classic.Logger lb && lb.getLevel() == null) {
            lb.setLevel(ch.qos.logback.classic.Level.ERROR);
        }
    }

    private static final Pattern DECIMAL = Pattern.compile("(\\d)\\. (\\d)");
    private static final Pattern SENTENCE_START = Pattern.compile("(^|[.!?]\\s+)([a-z])");

    private final HuggingFaceTokenizer tokenizer;

    private ReportText(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    public static ReportText load(ModelDirectory model) throws InferenceException {
        Path f = model.file(ModelDirectory.TOKENIZER);
        try {
            return new ReportText(HuggingFaceTokenizer.newInstance(f, Map.of("maxLength", "512")));
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
            throw ModelDirectory.problem(model.dir(), ModelDirectory.TOKENIZER + " cannot be loaded by the Hugging Face "
                    + "tokenizer: " + InferenceException.firstLine(e));
        }
    }

    public HuggingFaceTokenizer tokenizer() {
        return tokenizer;
    }

    /** Generated ids to the contract's text (lower-case, special tokens dropped, detokenized). */
    public String decode(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return detokenize(tokenizer.decode(l, true));
    }

    /** The contract's detokenize step (training/tokenizer_build.py {@code detokenize}). */
    public static String detokenize(String decoded) {
        String s = decoded;
        String[][] rules = {{" : ", ": "}, {" ;", ";"}, {" - ", "-"}, {" / ", "/"}, {"( ", "("}, {" )", ")"}};
        for (String[] r : rules) {
            s = s.replace(r[0], r[1]);
        }
        if (s.endsWith(" :")) {
            s = s.substring(0, s.length() - 2) + ":";
        }
        return DECIMAL.matcher(s).replaceAll("$1.$2");
    }

    /** {@code {findings, impression}} of a contract text, sentence-cased for display. */
    public static String[] sections(String text) {
        String t = text.toLowerCase(java.util.Locale.ROOT);
        int i = t.indexOf("impression:");
        String findings = i < 0 ? t : t.substring(0, i);
        String impression = i < 0 ? "" : t.substring(i + "impression:".length());
        findings = findings.strip();
        if (findings.startsWith("findings:")) {
            findings = findings.substring("findings:".length());
        }
        return new String[] {sentenceCase(findings.strip()), sentenceCase(impression.strip())};
    }

    /** Upper-cases the first letter of each sentence ("the heart is normal. no effusion." -> "The heart ..."). */
    static String sentenceCase(String s) {
        return SENTENCE_START.matcher(s).replaceAll(m -> m.group(1) + m.group(2).toUpperCase(java.util.Locale.ROOT));
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
