package org.raddraft.dicom;

import org.raddraft.testing.Dcmtk;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** routes/ingest.yaml with a stand-in instanceIndex bean (the real one is tested in ingest). */
class YamlRouteTest {

    /** The project's own route file, not a copy: the daemon loads the same one. */
    static final Path ROUTE = Path.of("routes/ingest.yaml");


    /** Stand-in for the ingest package's bean: moves into place, refuses a known duplicate study. */
    public static class InstanceIndex {
        final Path store;
        String refusedStudy;
        String failingStudy;

        InstanceIndex(Path store) {
            this.store = store;
        }

        public void record(ReceivedInstance instance) throws Exception {
            if (instance.attributes().studyInstanceUid().equals(refusedStudy)) {
                throw DicomStatusException.outOfResources("index refuses this study");
            }
            if (instance.attributes().studyInstanceUid().equals(failingStudy)) {
                // as a database driver words a value it refused: library messages can quote the data set
                throw new IllegalStateException("Value too long for column \"PATIENT_NAME\": 'DOE^JANE^SECRET'");
            }
            Files.move(instance.tempFile(), store.resolve(instance.attributes().sopInstanceUid() + ".dcm"),
                    StandardCopyOption.ATOMIC_MOVE);
        }
    }

    @TempDir
    Path dir;
    CamelContext camel;

    @AfterEach
    void stop() throws Exception {
        if (camel != null) {
            camel.close();
        }
    }

    @Test
    void yamlRouteReceivesAndBeanStatusReachesTheScu() throws Exception {
        InstanceIndex index = startRoute();
        int port = ((DicomScpConsumer) camel.getRoute("ingest").getConsumer()).getLocalPort();

        TestImages.Spec accepted = TestImages.Spec.chest(12);
        TestImages.Spec refused = TestImages.Spec.chest(12);
        index.refusedStudy = refused.studyUid();
        Dcmtk.Result r = Dcmtk.storescu(port, "PACS", "RADDRAFT", List.of("-d"),
                TestImages.write(dir.resolve("a.dcm"), accepted), TestImages.write(dir.resolve("b.dcm"), refused));
        assertTrue(r.output().contains("0x0000: Success"), r.toString());
        assertTrue(r.output().toLowerCase().contains("0xa700"), r.toString());
        assertTrue(r.output().contains("index refuses this study"), r.toString());
        assertTrue(Files.exists(index.store.resolve(accepted.sopUid() + ".dcm")));
        try (var tmp = Files.list(dir.resolve("spool/tmp"))) {
            assertEquals(0, tmp.count(), "refused instance's .part file deleted");
        }
    }

    /**
     * An unexpected failure in the ingest route is answered 0110 and logged once by the receiver in
     * RadDraft's words. Before, Camel's error handler logged it at ERROR with the library's message and a
     * stack trace, and the Error Comment (sent to the PACS and logged) carried that message too: a
     * driver's message can quote a patient's name.
     */
    @Test
    void anUnexpectedFailureIsAnsweredAndLoggedWithoutTheLibrarysMessage() throws Exception {
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> log =
                new ch.qos.logback.core.read.ListAppender<>();
        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                org.slf4j.Logger.ROOT_LOGGER_NAME);
        log.start();
        root.addAppender(log);
        try {
            InstanceIndex index = startRoute();
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("org.apache.camel"))
                    .setLevel(ch.qos.logback.classic.Level.INFO);
            int port = ((DicomScpConsumer) camel.getRoute("ingest").getConsumer()).getLocalPort();
            TestImages.Spec failing = TestImages.Spec.chest(12);
            index.failingStudy = failing.studyUid();
            Dcmtk.Result r = Dcmtk.storescu(port, "PACS", "RADDRAFT", List.of("-d"),
                    TestImages.write(dir.resolve("f.dcm"), failing));
            assertTrue(r.output().toLowerCase().contains("0x0110"), r.toString());
            assertTrue(r.output().contains("IllegalStateException"), r.toString());
            assertFalse(r.output().contains("DOE^JANE"), r.toString());
            java.util.List<String> seen = new java.util.ArrayList<>();
            for (var e : log.list) {
                seen.add(e.getLoggerName() + " " + e.getFormattedMessage()
                        + (e.getThrowableProxy() == null ? "" : " " + e.getThrowableProxy().getMessage()));
            }
            assertTrue(seen.stream().anyMatch(l -> l.contains("status=0110")), String.join("\n", seen));
            assertTrue(seen.stream().noneMatch(l -> l.contains("DOE^JANE")), String.join("\n", seen));
        } finally {
            root.detachAppender(log);
            ScpFixture.quietLogging();
        }
    }

    private InstanceIndex startRoute() throws Exception {
        ScpFixture.quietLogging();
        InstanceIndex index = new InstanceIndex(Files.createDirectories(dir.resolve("store")));
        camel = new DefaultCamelContext();
        Properties p = org.raddraft.Settings.load(null).with("raddraft.home", dir.toString())
                .with("dicom.bind", "127.0.0.1").with("dicom.port", "0").with("dicom.allowed-peers", "PACS@127.0.0.1")
                .with("storage.min-free-mb", "1").asProperties();
        camel.getPropertiesComponent().setInitialProperties(p);
        camel.getRegistry().bind("instanceIndex", index);
        PluginHelper.getRoutesLoader(camel).loadRoutes(ResourceHelper.fromString("ingest.yaml", Files.readString(ROUTE)));
        camel.start();
        return index;
    }
}
