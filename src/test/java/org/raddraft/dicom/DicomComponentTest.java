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

    /**
     * A server database (several nodes may share the spool): each node receives into its own directory of
     * spool/tmp (Settings.receiveDir), so that its start-up sweep and recovery leave the files other nodes
     * are receiving alone; a receive directory outside spool/tmp is refused (the rename into the spool
     * needs the same file system).
     */
    @Test
    void aNodeOfASharedSpoolReceivesIntoItsOwnDirectory() throws Exception {
        camel = new DefaultCamelContext();
        Properties p = org.raddraft.Settings.load(null).with("raddraft.home", dir.toString())
                .with("store.jdbc-url", "jdbc:postgresql://127.0.0.1:5432/raddraft").with("node.id", "node-7")
                .asProperties();
        camel.getPropertiesComponent().setInitialProperties(p);
        DicomEndpoint endpoint = camel.getEndpoint("dicom:scp?spoolDir={{raddraft.home}}/spool"
                + "&receiveDir={{raddraft.receive-dir}}", DicomEndpoint.class);
        assertEquals(dir.resolve("spool/tmp/node-7"), endpoint.scpSettings().receiveDir());
        assertEquals(dir.resolve("spool/tmp"), camel.getEndpoint("dicom:scp?spoolDir=" + dir.resolve("spool"),
                DicomEndpoint.class).scpSettings().receiveDir(), "the embedded database: one node, spool/tmp");
        DicomEndpoint outside = camel.getEndpoint("dicom:scp?spoolDir=" + dir.resolve("spool") + "&receiveDir="
                + dir.resolve("elsewhere"), DicomEndpoint.class);
        var e = assertThrows(IllegalArgumentException.class, outside::scpSettings);
        assertTrue(e.getMessage().contains("receiveDir"), e.getMessage());

        Path othersFile = java.nio.file.Files.createDirectories(dir.resolve("spool/tmp/node-8")).resolve("x.part");
        java.nio.file.Files.writeString(othersFile, "node-8 is receiving this");
        Path mine = java.nio.file.Files.createDirectories(dir.resolve("spool/tmp/node-7")).resolve("y.part");
        java.nio.file.Files.writeString(mine, "left by this node's last run");
        scp = ScpFixture.start(dir, java.util.Map.of("receiveDir", dir.resolve("spool/tmp/node-7").toString()));
        assertTrue(java.nio.file.Files.notExists(mine), "this node's unacknowledged file is swept");
        assertTrue(java.nio.file.Files.exists(othersFile), "another node's file is left alone");
        Dcmtk.run("storescu", "-aet", "PACS", "-aec", ScpFixture.AE, "localhost", scp.port(),
                "testdata/demo/dicom/ph-23-000034/1-PA.dcm");
        assertEquals(java.util.List.of(true), scp.tempFileWasInPlace, "the route saw the .part file in spool/tmp/node-7");
        assertTrue(java.nio.file.Files.exists(othersFile), "another node's file is still left alone");
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
