package org.raddraft;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import ca.uhn.fhir.context.FhirContext;
import org.apache.camel.main.Main;
import org.raddraft.delivery.ChannelOff;
import org.raddraft.delivery.DeliveryChannels;
import org.raddraft.delivery.Outbox;
import org.raddraft.dicom.DicomPixels;
import org.raddraft.dicom.StoreScu;
import org.raddraft.delivery.DeliveryQueue;
import org.raddraft.delivery.FhirSender;
import org.raddraft.delivery.DicomSrSender;
import org.raddraft.delivery.FinalReports;
import org.raddraft.delivery.Hl7Sender;
import org.raddraft.delivery.OutboxGauges;
import org.raddraft.delivery.OutboxListing;
import org.raddraft.fhir.FhirStage;
import org.raddraft.inference.DraftQueue;
import org.raddraft.inference.Drafter;
import org.raddraft.inference.ModelDirectory;
import org.raddraft.inference.ModelRecords;
import org.raddraft.inference.ModelSlots;
import org.raddraft.inference.ShadowDrafting;
import org.raddraft.inference.onnx.OnnxDrafter;
import org.raddraft.inference.remote.EndpointPool;
import org.raddraft.inference.remote.PriorReports;
import org.raddraft.inference.remote.RemoteDrafter;
import org.raddraft.inference.remote.RemoteModel;
import org.raddraft.inference.remote.RemoteSettings;
import org.raddraft.ingest.DirectorySyncer;
import org.raddraft.ingest.InstanceIndex;
import org.raddraft.ingest.ScopeGate;
import org.raddraft.ingest.StudyAssembler;
import org.raddraft.ops.Health;
import org.raddraft.ops.HttpServer;
import org.raddraft.ops.PrometheusMetrics;
import org.raddraft.ops.ReviewMonitor;
import org.raddraft.ui.MonitoringPage;
import org.raddraft.ops.RetentionSchedule;
import org.raddraft.ops.RowRetention;
import org.raddraft.ops.SpoolWatermark;
import org.raddraft.report.ReportLabeller;
import org.raddraft.review.AccessPolicy;
import org.raddraft.review.AuditEventProvider;
import org.raddraft.review.AuditLog;
import org.raddraft.review.AuthFilter;
import org.raddraft.review.ClientAddress;
import org.raddraft.review.FhirAccessInterceptor;
import org.raddraft.review.ServletGuard;
import org.raddraft.review.SessionCookie;
import org.raddraft.review.Authenticator;
import org.raddraft.review.ImageReadAudit;
import org.raddraft.review.DraftReview;
import org.raddraft.review.ModelAgreement;
import org.raddraft.review.OidcVerifier;
import org.raddraft.review.ReadAudit;
import org.raddraft.review.ReviewOperations;
import org.raddraft.review.SessionServlet;
import org.raddraft.store.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: opens the database, recovers the spool, builds the beans the routes in
 * {@code routes/*.yaml} call, and runs them on camel-main next to the HTTP server ({@link HttpEndpoints}).
 */
public final class Daemon implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    private final Database db;
    private final HttpServer http;
    private final PrometheusMetrics metrics;
    private final RetentionSchedule retention;
    private final Main camel;
    private final DirectorySyncer dirSyncer;
    private final InstanceIndex index;
    private final Drafter drafter;

    public Daemon(Settings settings) throws Exception {
        Path home = settings.home();
        // the model first: a wrong model directory stops start-up before anything listens
        boolean remote = ModelDirectory.OPENAI_CHAT.equals(ModelDirectory.backend(settings.modelDir()));
        RemoteModel remoteModel = remote ? RemoteModel.open(settings.modelDir()) : null;
        OnnxDrafter onnx = remote ? null : OnnxDrafter.open(settings.modelDir(), onnxOptions(settings, false));
        db = Databases.forDaemon(settings); // home, db/ and spool/ closed to other users first
        Files.createDirectories(settings.receiveDir());
        DicomPixels.limitPixels(settings.getLong("image.max-pixels"));
        RemoteDrafter remoteDrafter = null;
        if (remote) {
            RemoteSettings rs = RemoteConfig.of(settings);
            remoteDrafter = new RemoteDrafter(remoteModel, rs, new EndpointPool(rs), new PriorReports(db),
                    settings.getBoolean("flags.enabled") ? RemoteDrafter.calibration(remoteModel) : null,
                    settings.getBoolean("flags.enabled"));
            log.info("drafting with {} {} on {} remote endpoint(s) (model id {})", remoteModel.name(),
                    remoteModel.version(), rs.endpoints().size(), remoteDrafter.servedModel());
        }
        String modelName = remote ? remoteModel.name() : onnx.model().manifest().name();
        String modelVersion = remote ? remoteModel.version() : onnx.model().manifest().version();
        Clock clock = Clock.systemUTC();
        // the configured model drafts unless a promotion or rollback chose another (issue 26: shadow mode)
        ModelSlots slots = new ModelSlots(db, clock, (dir, shadow) -> openModel(settings, dir, shadow, db),
                new ModelSlots.Loaded(remote ? remoteDrafter : onnx, modelName, modelVersion,
                        remote ? remoteModel.intendedUse() : onnx.model().manifest().json().path("intended_use").asText(null)),
                settings.modelDir(), new ShadowDrafting(db, clock, settings.getInt("shadow.max-queue"),
                        Duration.ofSeconds(settings.getLong("shadow.max-delay-seconds"))), Duration.ofSeconds(2));
        drafter = slots;
        dirSyncer = new DirectorySyncer(Duration.ofMillis(200));
        index = new InstanceIndex(db, settings.spoolDir(), clock, dirSyncer);
        index.recover(settings.receiveDir());
        ScopeGate gate = new ScopeGate(settings.getInt("scope.min-age-years"));
        StudyAssembler assembler = new StudyAssembler(db, gate,
                Duration.ofSeconds(settings.getLong("study.quiet-seconds")), clock);
        if (remote) {
            ModelRecords.record(db, modelName, modelVersion, remoteModel.intendedUse(), clock);
        } else {
            ModelRecords.record(db, onnx.model().manifest(), clock);
        }
        FhirStage fhir = FhirStage.open(db, settings.get("fhir.canonical-base"), clock, settings.spoolDir());
        DraftQueue draftQueue = new DraftQueue(db, settings.spoolDir(), clock, settings.getInt("draft.batch-size"),
                settings.getInt("draft.max-attempts"), Duration.ofSeconds(settings.getLong("draft.retry-seconds")),
                fhir.publisher(), drafter)
                .leasedBy(settings.nodeId(), Duration.ofSeconds(settings.getLong("draft.lease-seconds")));
        draftQueue.recover();
        DeliveryChannels.record(db, deliveryDestinations(settings));
        Health health = new Health(db, settings.spoolDir(), settings.getLong("storage.min-free-mb"), () -> {
            ModelSlots.Loaded active = slots.active();
            return java.util.Map.of("status", "UP", "name", active.name(), "version", active.version(),
                    "device", active.drafter() instanceof OnnxDrafter o ? o.device() : "remote");
        });
        if (remote) {
            EndpointPool pool = remoteDrafter.pool();
            // ready while at least one endpoint's circuit lets requests through; each endpoint's state shown
            health.detailedCheck("remote_engines", () -> new Health.Status(pool.anyAdmits(),
                    java.util.Map.copyOf(pool.states())));
        }
        OutboxGauges outbox = new OutboxGauges(db, clock,
                Duration.ofSeconds(settings.getLong("delivery.ready-max-backlog-seconds")));
        health.detailedCheck("delivery", () -> {
            OutboxListing.Backlog b = outbox.backlog();
            return new Health.Status(outbox.ready(b), java.util.Map.of("waiting", b.waiting(), "dead", b.dead(),
                    "oldest_waiting_seconds", b.oldestWaitingSeconds()));
        });
        // the validator's first use loads the FHIR definitions (~10 s): off the critical path, before ready
        health.check("fhir_validator", fhir.publisher()::warm);
        fhir.publisher().warmUpInBackground();
        SpoolWatermark watermark = new SpoolWatermark(settings.spoolDir(),
                settings.getInt("retention.spool-free-watermark-percent"));
        metrics = new PrometheusMetrics(db, settings.spoolDir(), watermark);
        ReviewMonitor monitor = new ReviewMonitor(db, clock, new ReviewMonitor.Config(settings.getInt("monitor.window-days"),
                settings.getInt("monitor.max-groups"), Double.parseDouble(settings.get("monitor.alert-margin")),
                settings.getInt("monitor.alert-min-count")), io.micrometer.core.instrument.Metrics.globalRegistry);
        retention = new RetentionSchedule(db, new RetentionSchedule.Policy(settings.spoolDir(),
                settings.getInt("retention.spool-days"), RowRetention.days(settings),
                Duration.ofHours(settings.getLong("retention.purge-interval-hours"))), watermark, clock);
        Authenticator authenticator = new Authenticator(db, clock, oidc(settings),
                Duration.ofHours(settings.getLong("auth.session-hours")),
                Duration.ofMinutes(settings.getLong("auth.session-idle-minutes")));
        // a decision publishes the report's next version (final, or entered-in-error) in its own transaction
        DraftReview review = new DraftReview(db, clock, (c, draftId) -> fhir.publisher().publishVersion(c, draftId),
                Outbox::enqueue,
                ReportLabeller.withDefaultLexicon(),
                new ModelAgreement(ReportLabeller.withDefaultLexicon(), ModelAgreement.criticalOf(
                        remote ? new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                                settings.modelDir().resolve(ModelDirectory.MANIFEST).toFile())
                                : onnx.model().manifest().json())));
        fhir.server().registerProvider(new ReviewOperations(authenticator, review, fhir::report));
        fhir.server().registerProvider(new AuditEventProvider(db));
        AuditLog audit = new AuditLog(clock);
        fhir.server().registerInterceptor(new ReadAudit(db, audit));
        // one role table, checked on the routed path (AuthFilter), inside HAPI (per resource type and
        // operation) and in each servlet; paging links work only for the account that searched
        AccessPolicy policy = new AccessPolicy(settings.getBoolean("http.metrics-anonymous"));
        fhir.server().registerInterceptor(new FhirAccessInterceptor(policy, authenticator));
        fhir.server().bindPagesTo(AuthFilter::principalId);
        ServletGuard guard = new ServletGuard(authenticator);
        SessionCookie cookie = new SessionCookie(settings.getBoolean("http.cookie-secure"));
        http = HttpEndpoints.compose(settings, db, fhir.server(), health, metrics, new ImageReadAudit(db, audit, clock),
                policy, guard)
                .servlet("/ui/admin/*", new MonitoringPage(db, monitor, guard))
                .filter(new AuthFilter(authenticator, policy, new ClientAddress(settings.get("http.trusted-proxies")),
                        cookie), "/*")
                .servlet("/auth/session", new SessionServlet(authenticator, cookie, guard,
                        java.util.Arrays.stream(settings.get("http.allowed-origins").split(","))
                                .map(String::strip).filter(o -> !o.isEmpty()).toList()));

        camel = new Main(); // no classpath scanning: beans are bound explicitly below
        camel.setInitialProperties(settings.asProperties());
        camel.configure().withName("raddraft")
                .withRoutesIncludePattern("file:" + routesDir() + "/*.yaml")
                .withShutdownTimeout(30);
        camel.bind("instanceIndex", index);
        camel.bind("studyAssembler", assembler);
        camel.bind("draftQueue", draftQueue);
        camel.bind("drafter", drafter);
        camel.bind("modelSlots", slots);
        camel.bind("reviewMonitor", monitor);
        bindDelivery(settings, clock);
        camel.bind("fhirPublisher", fhir.publisher());
        log.info("RadDraft home {}", home);
    }

    /** The in-process model's options; a shadow model gets shadow.threads and no flags (its drafts are not shown). */
    static OnnxDrafter.Options onnxOptions(Settings settings, boolean shadow) {
        return OnnxDrafter.Options.defaults()
                .withDevice(settings.get("model.device"))
                .withThreads(shadow ? settings.getInt("shadow.threads") : settings.getInt("model.threads"))
                .withBeams(settings.getInt("model.beams") == 0 ? null : settings.getInt("model.beams"))
                .withBatchSize(settings.getInt("draft.batch-size"))
                .withFlags(!shadow && settings.getBoolean("flags.enabled"));
    }

    /** A model directory named by a promotion, rollback or shadow assignment, opened by its backend. */
    static ModelSlots.Loaded openModel(Settings settings, Path dir, boolean shadow, Database db) throws Exception {
        if (ModelDirectory.OPENAI_CHAT.equals(ModelDirectory.backend(dir))) {
            RemoteModel m = RemoteModel.open(dir);
            RemoteSettings rs = RemoteConfig.of(settings);
            boolean flags = !shadow && settings.getBoolean("flags.enabled");
            return new ModelSlots.Loaded(new RemoteDrafter(m, rs, new EndpointPool(rs), new PriorReports(db),
                    flags ? RemoteDrafter.calibration(m) : null, flags), m.name(), m.version(), m.intendedUse());
        }
        OnnxDrafter o = OnnxDrafter.open(dir, onnxOptions(settings, shadow));
        ModelDirectory.Manifest m = o.model().manifest();
        return new ModelSlots.Loaded(o, m.name(), m.version(), m.json().path("intended_use").asText(null));
    }

    /** The OIDC verifier when auth.oidc.issuer is set, else null (OIDC off). */
    static OidcVerifier oidc(Settings s) throws Exception {
        if (s.get("auth.oidc.issuer").isEmpty()) {
            return null;
        }
        String jwks = s.get("auth.oidc.jwks");
        return new OidcVerifier(s.get("auth.oidc.issuer"), s.get("auth.oidc.audience"),
                jwks.startsWith("https://") ? jwks : s.path("auth.oidc.jwks").toString(),
                s.get("auth.oidc.username-claim"), s.get("auth.oidc.roles-claim"));
    }

    /** The outbox work list, the report loader and one sender per channel (ChannelOff when it has no address). */
    private void bindDelivery(Settings s, Clock clock) {
        camel.bind("deliveryQueue", new DeliveryQueue(db, clock, s.getInt("delivery.max-in-flight"),
                s.getInt("delivery.max-attempts"), Duration.ofSeconds(s.getLong("delivery.retry-seconds")),
                Duration.ofSeconds(s.getLong("delivery.retry-max-seconds")))
                .leasedBy(s.nodeId(), Duration.ofSeconds(s.getLong("delivery.lease-seconds"))));
        camel.bind("finalReports", new FinalReports(db, s.spoolDir()));
        camel.bind("hl7Sender", s.get("delivery.mllp.host").isEmpty()
                ? new ChannelOff(DeliveryChannels.HL7, "delivery.mllp.host")
                : new Hl7Sender(s.get("delivery.mllp.host"), s.getInt("delivery.mllp.port"),
                        Duration.ofSeconds(s.getLong("delivery.mllp.ack-timeout-seconds")),
                        new Hl7Sender.Header(s.get("delivery.hl7.sending-application"),
                                s.get("delivery.hl7.sending-facility"), s.get("delivery.hl7.receiving-application"),
                                s.get("delivery.hl7.receiving-facility"), s.get("delivery.hl7.processing-id")), clock));
        camel.bind("fhirSender", s.get("delivery.fhir.base-url").isEmpty()
                ? new ChannelOff(DeliveryChannels.FHIR, "delivery.fhir.base-url")
                : new FhirSender(s.get("delivery.fhir.base-url"), fhirAuth(s),
                        Duration.ofSeconds(s.getLong("delivery.fhir.timeout-seconds")), db, FhirContext.forR4Cached(),
                        s.get("delivery.fhir.identifier-system")));
        camel.bind("dicomSrSender", s.get("delivery.dicom.host").isEmpty()
                ? new ChannelOff(DeliveryChannels.DICOM_SR, "delivery.dicom.host")
                : new DicomSrSender(db, dicomSr(s), clock));
    }

    static FhirSender.Auth fhirAuth(Settings s) {
        return switch (s.get("delivery.fhir.auth")) {
            case "bearer" -> new FhirSender.Auth("bearer", null, s.get("delivery.fhir.token"));
            case "basic" -> new FhirSender.Auth("basic", s.get("delivery.fhir.user"), s.get("delivery.fhir.password"));
            default -> FhirSender.Auth.NONE;
        };
    }

    /** The DICOM SR channel's settings. */
    private DicomSrSender.Settings dicomSr(Settings s) {
        StoreScu.Tls tls = !s.getBoolean("delivery.dicom.tls.enabled") ? null : new StoreScu.Tls(
                optionalPath(s, "delivery.dicom.tls.truststore"), s.get("delivery.dicom.tls.truststore-password").toCharArray(),
                optionalPath(s, "delivery.dicom.tls.keystore"), s.get("delivery.dicom.tls.keystore-password").toCharArray());
        StoreScu.Peer pacs = new StoreScu.Peer(s.get("delivery.dicom.host"), s.getInt("delivery.dicom.port"),
                s.get("delivery.dicom.ae-title"), s.get("delivery.dicom.calling-ae-title"),
                s.getInt("delivery.dicom.connect-timeout-seconds") * 1000,
                s.getInt("delivery.dicom.response-timeout-seconds") * 1000, tls);
        return new DicomSrSender.Settings(pacs, s.get("delivery.dicom.uid-root"), s.get("delivery.dicom.organization"),
                s.spoolDir(), s.home().resolve("delivery"));
    }

    private static Path optionalPath(Settings s, String key) {
        return s.get(key).isEmpty() ? null : s.path(key);
    }

    /** Channel -> where it sends, "" when off (no address configured). */
    static java.util.Map<String, String> deliveryDestinations(Settings s) {
        String host = s.get("delivery.mllp.host");
        String pacs = s.get("delivery.dicom.host");
        return java.util.Map.of(DeliveryChannels.FHIR, s.get("delivery.fhir.base-url"),
                DeliveryChannels.HL7, host.isEmpty() ? "" : host + ":" + s.get("delivery.mllp.port"),
                DeliveryChannels.DICOM_SR, pacs.isEmpty() ? ""
                        : s.get("delivery.dicom.ae-title") + "@" + pacs + ":" + s.get("delivery.dicom.port"));
    }

    /** Where the YAML routes live: {@code <install dir>/routes}; bin/raddraft sets raddraft.app. */
    static Path routesDir() {
        return Path.of(System.getProperty("raddraft.app", ".")).toAbsolutePath().normalize().resolve("routes");
    }

    /**
     * Starts and blocks until SIGTERM/SIGINT, then shuts down gracefully. The signals are handled
     * here rather than by JVM shutdown hooks, because hooks run in parallel: H2's hook would close
     * the database under associations that camel-main is still letting finish.
     */
    public void runUntilStopped() throws Exception {
        sun.misc.SignalHandler stop = signal -> {
            log.info("SIG{} received: finishing associations in flight, then stopping", signal.getName());
            camel.completed();
        };
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), stop);
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), stop);
        http.start();
        retention.start();
        try {
            camel.run();
        } finally {
            close(); // also when start-up failed: never run half-started (HTTP up, DICOM down)
        }
    }

    public Main camel() {
        return camel;
    }

    @Override
    public void close() throws Exception {
        camel.stop(); // stops the DICOM receiver first; in-flight associations finish
        index.close(); // the ingest's writer gives its connection back
        retention.close();
        http.close();
        metrics.close();
        dirSyncer.close();
        drafter.close();
        db.close();
        log.info("RadDraft stopped");
    }
}
