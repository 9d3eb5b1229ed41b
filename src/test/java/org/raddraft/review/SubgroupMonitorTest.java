package org.raddraft.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.inference.Draft;
import org.raddraft.inference.DraftOutcome;
import org.raddraft.inference.StudyImages;
import org.raddraft.inference.TestModels;
import org.raddraft.inference.onnx.OnnxDrafter;
import org.raddraft.ops.ReviewMonitor;
import org.raddraft.phantom.DicomStudyWriter;
import org.raddraft.phantom.PhantomStudy;
import org.raddraft.phantom.StudySampler;
import org.raddraft.phantom.StudySpec;
import org.raddraft.report.ReportLabeller;
import org.raddraft.store.Database;
import org.slf4j.LoggerFactory;

/**
 * Done when 3 of issue 26: the subgroup monitor fires on a phantom set where one manufacturer's
 * images are made harder by the generator (more quantum noise, less contrast) and so drafted worse by
 * the committed reference model, and stays quiet on a balanced set. Real parts throughout: phantom
 * studies written as DICOM, drafted by the ONNX reference model, decided through {@link DraftReview}
 * with the phantom's own reference report as the radiologist's final text (a simulated radiologist who
 * writes the truth), agreement recorded by {@link ModelAgreement}, the monitor reading the database.
 */
class SubgroupMonitorTest {

    static final int STUDIES = 96;
    static final String HARD = "Vendor-B";
    static final ReportLabeller LABELLER = ReportLabeller.withDefaultLexicon();

    @TempDir
    static Path tmp;
    static OnnxDrafter drafter;
    static List<PhantomStudy> easy = new ArrayList<>();
    static List<Draft> easyDrafts;
    static List<PhantomStudy> hard = new ArrayList<>();
    static List<Draft> hardDrafts;

    @BeforeAll
    static void draftPhantoms() throws Exception {
        drafter = OnnxDrafter.open(TestModels.modelDir(), OnnxDrafter.Options.defaults().withThreads(2).withBatchSize(8)
                .withFlags(false));
        for (int i = 0; i < STUDIES; i++) {
            StudySpec spec = StudySampler.sample(2641, i);
            easy.add(PhantomStudy.render(spec, 512));
            hard.add(PhantomStudy.render(spec.withPoorerAcquisition(10, 2.5), 512));
        }
        easyDrafts = draft(easy, "easy");
        hardDrafts = draft(hard, "hard");
    }

    @AfterAll
    static void close() {
        drafter.close();
    }

    static List<Draft> draft(List<PhantomStudy> studies, String set) throws Exception {
        List<StudyImages> images = new ArrayList<>();
        for (int i = 0; i < studies.size(); i++) {
            List<Path> files = DicomStudyWriter.write(studies.get(i), Files.createDirectories(tmp.resolve(set)));
            images.add(new StudyImages(i, files.get(0), files.get(1)));
        }
        List<Draft> drafts = new ArrayList<>();
        for (int from = 0; from < images.size(); from += 8) {
            for (DraftOutcome o : drafter.draft(images.subList(from, Math.min(images.size(), from + 8)))) {
                assertTrue(o.ok(), o.failure());
                drafts.add(o.draft());
            }
        }
        return drafts;
    }

    /**
     * Reviews every study of the set in a fresh database: study {@code i} came from manufacturer
     * {@code manufacturers.get(i)}; the simulated radiologist approves with the phantom's true report.
     */
    static ReviewMonitor reviewed(String name, List<PhantomStudy> studies, List<Draft> drafts, List<String> manufacturers,
            SimpleMeterRegistry registry) throws Exception {
        Database db = ReviewDb.open(Files.createDirectories(tmp.resolve("db-" + name)));
        Users users = new Users(db, Clock.systemUTC());
        Users.User u = users.add(Actor.commandLine(), "dr-sim", Role.RADIOLOGIST, List.of(),
                "a long enough pass".toCharArray()).user();
        Actor radiologist = new Actor(new Principal(u.id(), u.name(), Role.RADIOLOGIST, "session"), u, "10.1.1.1");
        DraftReview review = new DraftReview(db, Clock.systemUTC(), DraftReview.Publisher.NONE, (c, id, corr) -> { },
                LABELLER, new ModelAgreement(LABELLER, java.util.Set.of(org.raddraft.report.Observation.PNEUMOTHORAX)));
        for (int i = 0; i < studies.size(); i++) {
            PhantomStudy s = studies.get(i);
            Draft d = drafts.get(i);
            long id = ReviewDb.draft(db, "2.25.9" + name.hashCode() % 1000 + "." + i, d.findings(), d.impression());
            instance(db, id, i, s.spec().dicom().patientSex(), manufacturers.get(i));
            review.approve(id, null, radiologist, s.report().findings(), s.report().impression());
        }
        return new ReviewMonitor(db, Clock.systemUTC(), new ReviewMonitor.Config(28, 10, 0.10, 20), registry);
    }

    /** The study's instance row as ingest writes it: sex, age, view, manufacturer, calling AE. */
    static void instance(Database db, long draftId, int i, String sex, String manufacturer) throws SQLException {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("""
                INSERT INTO instance (study_id, sop_instance_uid, series_instance_uid, sop_class_uid, transfer_syntax_uid,
                  view_position, patient_age, patient_sex, manufacturer, calling_ae, path, size_bytes, received_at)
                SELECT study_id, ?, '1.2.3', '1.2.840.10008.5.1.4.1.1.1', '1.2.840.10008.1.2.1', 'PA', ?, ?, ?, 'CR01',
                  'x.dcm', 1, ? FROM draft WHERE id = ?""")) {
            ps.setString(1, "1.2.3." + draftId);
            ps.setString(2, String.format("%03dY", 30 + i % 50));
            ps.setString(3, sex);
            ps.setString(4, manufacturer);
            ps.setObject(5, Instant.now().atOffset(ZoneOffset.UTC));
            ps.setLong(6, draftId);
            ps.executeUpdate();
        }
    }

    @Test
    void firesWhenOneManufacturersImagesAreDraftedWorse() throws Exception {
        // half the studies from each manufacturer; Vendor-B's are the poorer acquisitions of theirs
        List<PhantomStudy> studies = new ArrayList<>();
        List<Draft> drafts = new ArrayList<>();
        List<String> manufacturers = new ArrayList<>();
        for (int i = 0; i < STUDIES; i++) {
            boolean b = i % 2 == 1;
            studies.add(b ? hard.get(i) : easy.get(i));
            drafts.add(b ? hardDrafts.get(i) : easyDrafts.get(i));
            manufacturers.add(b ? HARD : "Vendor-A");
        }
        ListAppender<ILoggingEvent> logged = logged();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ReviewMonitor monitor = reviewed("skewed", studies, drafts, manufacturers, registry);
        ReviewMonitor.Snapshot s = monitor.refresh();
        figures("skewed", s);
        List<String> alerted = s.alerts().stream().map(a -> a.dimension() + "=" + a.group()).toList();
        assertTrue(alerted.contains("manufacturer=" + HARD), "alerts " + alerted + "; by manufacturer "
                + s.byDimension().get("manufacturer"));
        assertEquals(1.0, registry.get("raddraft.monitor.subgroup.alert").tags("dimension", "manufacturer", "group", HARD)
                .gauge().value(), "the alert gauge is up");
        assertTrue(logged.list.stream().anyMatch(e -> e.getFormattedMessage().startsWith(
                "monitor: subgroup alert manufacturer=" + HARD + " label agreement")), logged.list.toString());
        for (ILoggingEvent e : logged.list) {
            assertTrue(!e.getFormattedMessage().contains("PHANTOM^") && !e.getFormattedMessage().contains("PH-2641"),
                    "no patient name or id in the log: " + e.getFormattedMessage());
        }
    }

    @Test
    void staysQuietOnABalancedSet() throws Exception {
        // the same acquisitions for both manufacturers: any difference is chance
        List<String> manufacturers = new ArrayList<>();
        for (int i = 0; i < STUDIES; i++) {
            manufacturers.add(i % 2 == 1 ? HARD : "Vendor-A");
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ReviewMonitor monitor = reviewed("balanced", easy, easyDrafts, manufacturers, registry);
        ReviewMonitor.Snapshot s = monitor.refresh();
        figures("balanced", s);
        assertEquals(List.of(), s.alerts(), "by manufacturer " + s.byDimension().get("manufacturer")
                + "; by sex " + s.byDimension().get("sex") + "; by age " + s.byDimension().get("age_band"));
        assertEquals(STUDIES, s.overall().decisions());
        assertEquals(0.0, registry.get("raddraft.monitor.subgroup.alert").tags("dimension", "manufacturer", "group", HARD)
                .gauge().value(), "the alert gauge is down");
    }

    /** The figures by manufacturer, for the note (target/subgroup-monitor-*.txt). */
    static void figures(String set, ReviewMonitor.Snapshot s) throws Exception {
        StringBuilder b = new StringBuilder("set " + set + ": " + s.overall() + "\n");
        s.byDimension().get("manufacturer").forEach(f -> b.append(f).append('\n'));
        s.alerts().forEach(a -> b.append("ALERT ").append(a).append('\n'));
        Files.writeString(Path.of("target/subgroup-monitor-" + set + ".txt"), b);
    }

    static ListAppender<ILoggingEvent> logged() {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        ((Logger) LoggerFactory.getLogger(ReviewMonitor.class)).addAppender(appender);
        return appender;
    }
}
