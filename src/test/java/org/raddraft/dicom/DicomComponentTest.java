package org.raddraft.dicom;

import org.raddraft.testing.Dcmtk;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.ResolveEndpointFailedException;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The component as a YAML route would use it: discovered by scheme, parameters from placeholders. */
class DicomComponentTest {

    @TempDir
    Path dir;
    CamelContext camel;
    ScpFixture scp;

    @AfterEach
    void stop() throws Exception {
        if (camel != null) {
            camel.close();
        }
        if (scp != null) {
            scp.close();
        }
    }

    @Test
    void resolvesFromPlaceholdersWithEmptyOptionalValues() throws Exception {
        ScpFixture.quietLogging();
        camel = new DefaultCamelContext();
        Properties p = org.raddraft.Settings.load(null).with("raddraft.home", dir.toString())
                .with("dicom.bind", "127.0.0.1").with("dicom.port", "0").with("dicom.allowed-peers", "").with("dicom.max-associations", "4")
                .with("storage.min-free-mb", "500").asProperties();
        camel.getPropertiesComponent().setInitialProperties(p);
        DicomEndpoint endpoint = camel.getEndpoint("dicom:scp?bind={{dicom.bind}}&port={{dicom.port}}"
                + "&aeTitle={{dicom.ae-title}}&allowedPeers={{dicom.allowed-peers}}"
                + "&maxAssociations={{dicom.max-associations}}&tlsEnabled={{dicom.tls.enabled}}"
                + "&tlsKeystore={{dicom.tls.keystore}}&tlsKeystorePassword={{dicom.tls.keystore-password}}"
                + "&tlsTruststore={{dicom.tls.truststore}}&spoolDir={{raddraft.home}}/spool"
                + "&minFreeMb={{storage.min-free-mb}}", DicomEndpoint.class);
        ScpSettings settings = endpoint.scpSettings();
        assertEquals(0, settings.port());
        assertEquals(4, settings.maxAssociations());
        assertTrue(settings.allowedPeers().isEmpty());
        assertEquals(500L * 1024 * 1024, settings.minFreeBytes());
        assertEquals(dir.resolve("spool"), settings.spoolDir());
        assertTrue(!settings.tlsEnabled());
    }

    @Test
    void unknownParametersAndBadValuesAreRefusedClearly() {
        camel = new DefaultCamelContext();
        assertThrows(ResolveEndpointFailedException.class, () -> camel.getEndpoint("dicom:scp?prot=11112"));
        DicomEndpoint endpoint = camel.getEndpoint("dicom:scp?aeTitle=WAY_TOO_LONG_AE_TITLE&spoolDir=/tmp",
                DicomEndpoint.class);
        var e = assertThrows(IllegalArgumentException.class, endpoint::scpSettings);
        assertTrue(e.getMessage().contains("aeTitle"), e.getMessage());
        DicomEndpoint tls = camel.getEndpoint("dicom:scp?tlsEnabled=true&spoolDir=/tmp", DicomEndpoint.class);
        var t = assertThrows(IllegalArgumentException.class, tls::scpSettings);
        assertTrue(t.getMessage().contains("tlsKeystore"), t.getMessage());
        assertThrows(Exception.class, () -> camel.getEndpoint("dicom:scu?spoolDir=/tmp"));
        assertInstanceOf(DicomComponent.class, camel.getComponent("dicom"));
    }

    @Test
    void deletesUnacknowledgedPartFilesAtStart() throws Exception {
        Path stale = java.nio.file.Files.createDirectories(dir.resolve("spool/tmp")).resolve("left-over.part");
        java.nio.file.Files.writeString(stale, "half a data set");
        scp = ScpFixture.start(dir);
        assertTrue(java.nio.file.Files.notExists(stale));
    }

    @Test
    void countsAcceptedAndRejectedAssociations() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Metrics.addRegistry(registry);
        try {
            scp = ScpFixture.start(dir);
            Dcmtk.run("echoscu", "-aet", "PACS", "-aec", ScpFixture.AE, "localhost", scp.port());
            Dcmtk.run("echoscu", "-aet", "STRANGER", "-aec", ScpFixture.AE, "localhost", scp.port());
            await().atMost(Duration.ofSeconds(5)).until(() -> registry.find("raddraft.associations.rejected")
                    .tag("reason", "calling-ae-not-recognized").counter() != null);
            assertEquals(1.0, registry.get("raddraft.associations.accepted").counter().count());
            assertEquals(1.0, registry.get("raddraft.associations.rejected").tag("reason", "calling-ae-not-recognized")
                    .counter().count());
        } finally {
            Metrics.removeRegistry(registry);
        }
    }

    @Test
    void stopLetsAnInFlightStoreFinishThenStopsListening() throws Exception {
        scp = ScpFixture.start(dir, Map.of("shutdownTimeoutSeconds", "10"));
        CountDownLatch release = new CountDownLatch(1);
        scp.step = instance -> {
            assertTrue(release.await(30, TimeUnit.SECONDS));
            scp.moveIntoPlace(instance);
        };
        int port = scp.port();
        Path file = ScpTestSupport.cr(dir, "a.dcm");
        CompletableFuture<Dcmtk.Result> store = CompletableFuture.supplyAsync(() -> {
            try {
                return Dcmtk.storescu(port, "PACS", ScpFixture.AE, List.of(), file);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> scp.instances.size() == 1);
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> {
            try {
                scp.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(300);
        Dcmtk.Result refused = Dcmtk.run("echoscu", "-aet", "PACS", "-aec", ScpFixture.AE, "localhost", port);
        assertTrue(refused.exitCode() != 0, "no longer listening: " + refused);
        release.countDown();
        Dcmtk.Result stored = store.get(60, TimeUnit.SECONDS);
        assertTrue(stored.ok() && stored.output().contains("Received Store Response (Success)"), stored.toString());
        stopping.get(30, TimeUnit.SECONDS);
        assertEquals(1, scp.receivedFiles().size());
        scp = null;
    }
}
