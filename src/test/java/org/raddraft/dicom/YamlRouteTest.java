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
import static org.junit.jupiter.api.Assertions.assertTrue;

/** routes/ingest.yaml with a stand-in instanceIndex bean (the real one is tested in ingest). */
class YamlRouteTest {

    /** The project's own route file, not a copy: the daemon loads the same one. */
    static final Path ROUTE = Path.of("routes/ingest.yaml");


    /** Stand-in for the ingest package's bean: moves into place, refuses a known duplicate study. */
    public static class InstanceIndex {
        final Path store;
        String refusedStudy;

        InstanceIndex(Path store) {
            this.store = store;
        }

        public void record(ReceivedInstance instance) throws Exception {
            if (instance.attributes().studyInstanceUid().equals(refusedStudy)) {
                throw DicomStatusException.outOfResources("index refuses this study");
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
}
