package org.raddraft.inference.remote;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.raddraft.dicom.DicomFormatException;
import org.raddraft.dicom.DraftingContext;
import org.raddraft.dicom.ImageRenderer;
import org.raddraft.dicom.PngWriter;
import org.raddraft.dicom.RenderOptions;
import org.raddraft.dicom.RenderedImage;
import org.raddraft.dicom.WindowPreset;
import org.raddraft.flags.Assessment;
import org.raddraft.flags.DraftSignals;
import org.raddraft.flags.FlagAssessor;
import org.raddraft.flags.FlagCalibration;
import org.raddraft.flags.FlagCode;
import org.raddraft.inference.Draft;
import org.raddraft.inference.DraftLabels;
import org.raddraft.inference.DraftOutcome;
import org.raddraft.inference.Drafter;
import org.raddraft.inference.InferenceException;
import org.raddraft.inference.StudyImages;
import org.raddraft.inference.onnx.LocalClassifier;
import org.raddraft.report.Report;
import org.raddraft.report.ReportLabeller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The remote {@link Drafter}: each study's views rendered (window, MONOCHROME1 inversion, longest side
 * per the manifest) and sent with the manifest's prompt to an OpenAI-compatible chat engine through
 * the {@link EndpointPool}; the answer read into FINDINGS / IMPRESSION by {@link Report#parse}.
 * Only the pixels and the rendered prompt leave the machine; the prompt's optional inputs (the
 * indication, the patient's prior report and its interval) are scrubbed of the study's identifiers
 * first, and each can be kept off. Studies of a batch are drafted in parallel, bounded by the
 * endpoints' slots. No patient data and no text of the answer is logged.
 */
public final class RemoteDrafter implements Drafter {

    private static final Logger LOG = LoggerFactory.getLogger(RemoteDrafter.class);
    private static final Pattern HEADINGS = Pattern.compile("(?i)\\b(findings?|impressions?|conclusions?)\\s*:");
    static final String NO_CALIBRATION = "the model directory has no flags-calibration.json (write it with "
            + "`raddraft calibrate --model DIR --config FILE` against the engine)";

    private final RemoteModel model;
    private final RemoteSettings settings;
    private final EndpointPool pool;
    private final PriorReports priors;
    private final FlagAssessor assessor;
    private final boolean flags;
    private final String servedModel;
    private final ReportLabeller labeller = ReportLabeller.withDefaultLexicon();
    private final ExecutorService workers;
    private final LocalClassifier classifier;

    /**
     * @param priors      the prior-report lookup, or null (no database: eval, calibrate)
     * @param calibration the model's flag calibration, or null (flags then all unavailable, with the reason)
     * @param flags       measure confidence signals at all
     */
    public RemoteDrafter(RemoteModel model, RemoteSettings settings, EndpointPool pool, PriorReports priors,
                         FlagCalibration calibration, boolean flags) throws InferenceException {
        this.classifier = flags ? LocalClassifier.open(model.dir()) : null;
        this.model = model;
        this.settings = settings;
        this.pool = pool;
        this.priors = priors;
        this.flags = flags;
        this.assessor = calibration == null || !flags ? null : new FlagAssessor(calibration);
        this.servedModel = settings.modelOverride() == null || settings.modelOverride().isBlank()
                ? model.servedModel() : settings.modelOverride();
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(Math.max(1, pool.capacity()), r -> {
            Thread t = new Thread(r, "remote-draft-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * The model's flag calibration ({@code flags-calibration.json}), or null with a warning: drafts then
     * carry no flags and say why, rather than flags with made-up thresholds.
     */
    public static FlagCalibration calibration(RemoteModel m) throws InferenceException {
        return org.raddraft.inference.ModelDirectory.calibration(m.dir(), m.name(), m.version());
    }

    public RemoteModel model() {
        return model;
    }

    public EndpointPool pool() {
        return pool;
    }

    /** The engine's model id requests name. */
    public String servedModel() {
        return servedModel;
    }

    @Override
    public List<DraftOutcome> draft(List<StudyImages> studies) throws InferenceException {
        List<Future<DraftOutcome>> futures = new ArrayList<>();
        for (StudyImages s : studies) {
            futures.add(workers.submit(() -> draftOne(s)));
        }
        List<DraftOutcome> out = new ArrayList<>();
        for (int i = 0; i < futures.size(); i++) {
            try {
                out.add(futures.get(i).get());
            } catch (ExecutionException e) {
                LOG.warn("study {}: remote drafting failed: {}", studies.get(i).studyId(), e.getCause().getClass().getSimpleName());
                out.add(DraftOutcome.failed(studies.get(i).studyId(), "remote drafting failed: "
                        + e.getCause().getClass().getSimpleName()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InferenceException("interrupted while drafting");
            }
        }
        return out;
    }

    /** Each study's outcome as soon as its answer is in, not when the batch's slowest study is done. */
    @Override
    public void draft(List<StudyImages> studies, OutcomeSink done) throws Exception {
        java.util.concurrent.CompletionService<DraftOutcome> cs = new java.util.concurrent.ExecutorCompletionService<>(workers);
        Map<Future<DraftOutcome>, StudyImages> pending = new java.util.HashMap<>();
        for (StudyImages s : studies) {
            pending.put(cs.submit(() -> draftOne(s)), s);
        }
        while (!pending.isEmpty()) {
            Future<DraftOutcome> f = cs.take();
            StudyImages s = pending.remove(f);
            DraftOutcome o;
            try {
                o = f.get();
            } catch (ExecutionException e) {
                LOG.warn("study {}: remote drafting failed: {}", s.studyId(), e.getCause().getClass().getSimpleName());
                o = DraftOutcome.failed(s.studyId(), "remote drafting failed: " + e.getCause().getClass().getSimpleName());
            }
            done.accept(o);
        }
    }

    /** The inputs of one study, rendered and scrubbed, ready to send. */
    private record Prepared(String prompt, List<RenderedImage> images, List<String> sent, String missingView) {
    }

    DraftOutcome draftOne(StudyImages s) {
        long t0 = System.nanoTime();
        Prepared p;
        try {
            p = prepare(s);
        } catch (Refusal r) {
            LOG.warn("study {}: not sent to the remote engine: {}", s.studyId(), r.getMessage());
            return DraftOutcome.failed(s.studyId(), r.getMessage());
        } catch (DicomFormatException | RuntimeException e) {
            LOG.warn("study {}: cannot prepare the images: {}", s.studyId(), e.getClass().getSimpleName());
            return DraftOutcome.failed(s.studyId(), "cannot prepare the images: " + e.getMessage());
        } catch (java.sql.SQLException e) {
            return DraftOutcome.waiting(s.studyId(), "prior report lookup failed: " + e.getClass().getSimpleName());
        }
        long prepMs = (System.nanoTime() - t0) / 1_000_000;
        EndpointPool.Exchange ex;
        ChatCompletion.Answer answer;
        Report report;
        try {
            ex = pool.post(ChatCompletion.PATH, ChatCompletion.draftRequest(model, servedModel, p.prompt(), p.images()));
            answer = ChatCompletion.answer(ex.body(), ex.endpoint(), model.maxTokens());
            if (model.requireHeadings() && !HEADINGS.matcher(answer.content()).find()) {
                throw new AnswerRefused("the answer from " + ex.endpoint() + " has no FINDINGS or IMPRESSION heading "
                        + "(remote.answer.require_headings): check the prompt asks for them");
            }
            report = Report.parse(answer.content());
            if (report.isEmpty()) {
                throw new AnswerRefused("the answer from " + ex.endpoint() + " has empty FINDINGS and IMPRESSION");
            }
        } catch (EnginesUnavailable e) {
            return DraftOutcome.waiting(s.studyId(), e.getMessage());
        } catch (InferenceException e) {
            LOG.warn("study {}: {}", s.studyId(), e.getMessage());
            return DraftOutcome.failed(s.studyId(), e.getMessage());
        }
        long engineNanos = ex.engineNanos();
        long waitNanos = ex.waitNanos();
        long f0 = System.nanoTime();
        Map<String, String> unavailable = new LinkedHashMap<>();
        DraftSignals signals = null;
        Assessment assessment = null;
        if (flags) {
            Grounding g = grounding(p, answer.content());
            engineNanos += g.engineNanos;
            waitNanos += g.waitNanos;
            LocalClassifier.Result judged = null;
            if (classifier != null) {
                try {
                    judged = classifier.classify(s.frontal(), model.views().contains("lateral") ? s.lateral() : null);
                } catch (DicomFormatException | InferenceException e) {
                    LOG.warn("study {}: local classifier failed: {}", s.studyId(), e.getClass().getSimpleName());
                }
            }
            signals = signals(answer, report, g.drop, p.missingView(), judged);
            if (assessor == null) {
                for (FlagCode c : FlagCode.values()) {
                    unavailable.put(c.name(), NO_CALIBRATION);
                }
            } else {
                assessment = assessor.assess(signals);
                List<FlagCode> codes = new ArrayList<>(assessment.unavailable());
                if (!answer.hasLogProbs()) {
                    codes.add(FlagCode.LOW_CONFIDENCE);
                    assessment = new Assessment(assessment.flags().stream()
                            .filter(f -> f.code() != FlagCode.LOW_CONFIDENCE).toList(), assessment.riskScore(),
                            assessment.priority(), codes);
                }
                for (FlagCode c : codes) {
                    unavailable.put(c.name(), reason(c, g.reason, answer.hasLogProbs()));
                }
            }
        }
        long flagsMs = (System.nanoTime() - f0 - (engineNanos - ex.engineNanos()) - (waitNanos - ex.waitNanos())) / 1_000_000;
        Draft d = new Draft(report.findings(), report.impression(), List.of(), answer.logProbs(), p.missingView(), prepMs,
                ex.engineNanos() / 1_000_000, model.name(), model.version(), signals, assessment, Math.max(0, flagsMs),
                new Draft.Remote(String.join(",", p.sent()), unavailable, engineNanos / 1_000_000,
                        waitNanos / 1_000_000, ex.endpoint()));
        return DraftOutcome.drafted(s.studyId(), d);
    }

    /** A study that must not be sent (burned-in annotation): its draft fails with the reason. */
    private static final class Refusal extends Exception {
        Refusal(String message) {
            super(message);
        }
    }

    private Prepared prepare(StudyImages s) throws Refusal, DicomFormatException, java.sql.SQLException {
        if (s.frontal() == null) {
            throw new Refusal("no frontal view");
        }
        boolean lateral = model.views().contains("lateral") && s.lateral() != null;
        DraftingContext front = DraftingContext.read(s.frontal());
        DraftingContext side = lateral ? DraftingContext.read(s.lateral()) : null;
        if ((front.burnedIn() || (side != null && side.burnedIn())) && !settings.allowBurnedIn()) {
            throw new Refusal("the image has burned-in annotation (BurnedInAnnotation=YES): not sent to the remote "
                    + "engine (remote.allow-burned-in-annotation=false)");
        }
        Set<String> ids = new LinkedHashSet<>(front.identifiers());
        if (side != null) {
            ids.addAll(side.identifiers());
        }
        Scrubber scrubber = new Scrubber(new ArrayList<>(ids));
        List<String> sent = new ArrayList<>();
        sent.add("frontal");
        if (lateral) {
            sent.add("lateral");
        }
        Map<String, String> values = new LinkedHashMap<>();
        PromptTemplate t = model.prompt();
        if (t.uses(PromptTemplate.INDICATION) && settings.sendIndication() && front.indication() != null) {
            values.put(PromptTemplate.INDICATION, scrubber.scrub(front.indication()));
            sent.add("indication");
        }
        if (t.uses(PromptTemplate.PRIOR_REPORT) && settings.sendPriorReport() && priors != null) {
            PriorReports.Prior prior = priors.find(s.studyId());
            if (prior != null) {
                values.put(PromptTemplate.PRIOR_REPORT, scrubber.scrub(prior.text()));
                values.put(PromptTemplate.PRIOR_INTERVAL, prior.interval());
                sent.add("prior_report");
            }
        }
        RenderOptions ro = new RenderOptions(WindowPreset.DEFAULT, null, null, model.maxSidePx(), model.imageFormat());
        List<RenderedImage> images = new ArrayList<>();
        images.add(ImageRenderer.render(s.frontal(), ro));
        if (lateral) {
            images.add(ImageRenderer.render(s.lateral(), ro));
        }
        String missing = model.views().contains("lateral") && s.lateral() == null ? "lateral" : null;
        return new Prepared(t.render(values), List.copyOf(images), List.copyOf(sent), missing);
    }

    /** The re-scoring result: the drop (null when not measured) and why not. */
    private record Grounding(Double drop, String reason, long engineNanos, long waitNanos) {
    }

    /**
     * NOT_IMAGE_GROUNDED's signal: the draft's mean token log-probability with the real images minus
     * with the images replaced by noise, both scored by the engine (vLLM {@code prompt_logprobs}).
     */
    private Grounding grounding(Prepared p, String text) {
        if (!RemoteModel.PROMPT_LOGPROBS.equals(model.scoring())) {
            return new Grounding(null, "the manifest's remote.scoring is none: the engine cannot score a given text "
                    + "(only vLLM offers prompt_logprobs)", 0, 0);
        }
        if (!settings.groundingCheck()) {
            return new Grounding(null, "remote.grounding-check=false", 0, 0);
        }
        long engine = 0;
        long wait = 0;
        try {
            EndpointPool.Exchange real = pool.post(ChatCompletion.PATH,
                    ChatCompletion.scoreRequest(model, servedModel, p.prompt(), p.images(), text));
            EndpointPool.Exchange ablated = pool.post(ChatCompletion.PATH,
                    ChatCompletion.scoreRequest(model, servedModel, p.prompt(), noise(p.images()), text));
            engine = real.engineNanos() + ablated.engineNanos();
            wait = real.waitNanos() + ablated.waitNanos();
            Double a = ChatCompletion.scoredMean(real.body(), text);
            Double b = ChatCompletion.scoredMean(ablated.body(), text);
            if (a == null || b == null) {
                return new Grounding(null, "the engine returned no prompt_logprobs for the draft: it cannot score "
                        + "prompts (only vLLM can); set the manifest's remote.scoring to none", engine, wait);
            }
            return new Grounding(a - b, null, engine, wait);
        } catch (InferenceException e) {
            return new Grounding(null, "re-scoring failed: " + e.getMessage(), engine, wait);
        }
    }

    /** Seeded noise images by size (width << 32 | height): the same for every study, so encoded once. */
    private static final Map<Long, RenderedImage> NOISE = new java.util.concurrent.ConcurrentHashMap<>();

    /** Each image replaced by seeded grey noise of its size (PNG): what the text must not be able to do without. */
    static List<RenderedImage> noise(List<RenderedImage> images) {
        List<RenderedImage> out = new ArrayList<>();
        for (RenderedImage img : images) {
            out.add(NOISE.computeIfAbsent(((long) img.width() << 32) | img.height(), k -> {
                Random rnd = new Random(20261207L);
                byte[] g = new byte[img.width() * img.height()];
                for (int i = 0; i < g.length; i++) {
                    g[i] = (byte) Math.max(0, Math.min(255, (int) Math.round(128 + 48 * rnd.nextGaussian())));
                }
                return new RenderedImage(PngWriter.encode(g, img.width(), img.height()), "image/png", img.width(),
                        img.height(), img.width(), img.height(), 0, 0, "noise");
            }));
        }
        return out;
    }

    /** What the shared flags read, from the answer's text and token log-probabilities. */
    DraftSignals signals(ChatCompletion.Answer a, Report r, Double groundingDrop, String missingView,
                         LocalClassifier.Result judged) {
        List<Float> lps = a.logProbs();
        double mean = lps.isEmpty() ? 0 : lps.stream().mapToDouble(Float::doubleValue).average().orElse(0);
        // token k covers [start[k], start[k+1]) of the answer with whitespace removed
        String flat = a.content().replaceAll("\\s+", "");
        int[] start = new int[a.tokens().size() + 1];
        for (int k = 0; k < a.tokens().size(); k++) {
            start[k + 1] = start[k] + a.tokens().get(k).replaceAll("\\s+", "").length();
        }
        List<DraftSignals.Sentence> sentences = new ArrayList<>();
        int cursor = 0;
        for (org.raddraft.report.Sentence sen : r.sentences()) {
            String st = sen.text().replaceAll("\\s+", "");
            int at = flat.indexOf(st, cursor);
            double m = 0;
            if (at >= 0 && !lps.isEmpty()) {
                cursor = at + st.length();
                double sum = 0;
                int n = 0;
                for (int k = 0; k < a.tokens().size(); k++) {
                    if (start[k + 1] > at && start[k] < cursor) {
                        sum += lps.get(k);
                        n++;
                    }
                }
                m = n == 0 ? 0 : sum / n;
            }
            sentences.add(new DraftSignals.Sentence(sen.text(), DraftLabels.affirmed(labeller, sen.text()), m));
        }
        return new DraftSignals(mean, sentences, DraftLabels.stated(labeller, r.findings(), r.impression()),
                judged == null ? null : judged.probabilities(), groundingDrop, null,
                judged == null ? null : Map.of(LocalClassifier.FRONTAL_LOGITS, judged.frontalLogits()), missingView);
    }

    /** Why this draft has no value for flag {@code c}. */
    private String reason(FlagCode c, String groundingReason, boolean logProbs) {
        return switch (c) {
            case LOW_CONFIDENCE -> logProbs ? "not calibrated" : "the engine returned no token log-probabilities "
                    + "(logprobs); check it supports them";
            case NOT_IMAGE_GROUNDED -> groundingReason != null ? groundingReason
                    : "the calibration has no grounding thresholds for this model";
            case CLASSIFIER_DISAGREES -> model.hasClassifier() ? "the calibration has no classifier cut-offs"
                    : "the model directory ships no classifier.onnx (an independent local classifier)";
            case OUT_OF_DISTRIBUTION -> model.hasClassifier() ? "the calibration has no out-of-distribution limits"
                    : "needs the features of a local classifier.onnx, which the model directory does not ship";
            default -> "not computed for this model";
        };
    }

    @Override
    public void close() {
        workers.shutdownNow();
        if (classifier != null) {
            classifier.close();
        }
        pool.close();
    }
}
