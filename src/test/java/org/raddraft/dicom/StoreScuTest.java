package org.raddraft.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.Dcmtk;
import org.raddraft.testing.TlsKeys;

/**
 * The C-STORE SCU against real SCPs: DCMTK's storescp, and RadDraft's own SCP (whose route can be made
 * to answer any status), for success, failure statuses, association and presentation context
 * rejections, refused connections, a peer that never answers, and TLS.
 */
class StoreScuTest {

    @TempDir
    static Path tmp;
    static Path sr;
    static Path image;

    @BeforeAll
    static void files() throws Exception {
        sr = tmp.resolve("sr.dcm");
        StructuredReportWriter.write(StructuredReportWriterTest.report("Clear lungs.", "Smith^Jane", List.of()),
                ReportSr.Identity.create("", StructuredReportWriterTest.APPROVED), sr);
        image = TestImages.write(tmp.resolve("cr.dcm"), TestImages.Spec.chest(12));
    }

    private static StoreScu.Peer peer(int port, String calledAe, String callingAe) {
        return new StoreScu.Peer("127.0.0.1", port, calledAe, callingAe, 5_000, 10_000, null);
    }

    /** What a test does with a running storescp: its port and the directory it stores into. */
    private interface WithStorescp {
        void run(int port, Path dir, Process scp) throws Exception;
    }

    private static void withStorescp(String name, List<String> options, WithStorescp test) throws Exception {
        Path dir = tmp.resolve(name);
        int port = DaemonProcess.freePort();
        Process scp = Dcmtk.storescp(dir, port, options.toArray(String[]::new));
        try {
            test.run(port, dir, scp);
        } finally {
            Dcmtk.run("kill", "-CONT", scp.pid()); // in case the test stopped it
            scp.destroy();
        }
    }

    private static List<Path> received(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.getFileName().toString().endsWith(".log")).toList();
        }
    }

    @Test
    void srStoredInDcmtkStorescpArrivesWhole() throws Exception {
        withStorescp("storescp-explicit", List.of(), (port, dir, scp) -> {
            StoreScu.Stored stored = StoreScu.store(peer(port, "PACS", "RADDRAFT"), sr);
            assertEquals(0, stored.status());
            assertFalse(stored.warning());
            List<Path> files = received(dir);
            assertEquals(1, files.size(), files.toString());
            assertEquals(Dcmtk.tag(sr, "0008,0018"), Dcmtk.tag(files.get(0), "0008,0018"));
            assertEquals(StructuredReportWriterTest.dsrdump(sr), StructuredReportWriterTest.dsrdump(files.get(0)),
                    "the same document");
            assertEquals("RADDRAFT", Dcmtk.tag(files.get(0), "0002,0016"), "our calling AE");
        });
    }

    @Test
    void peerAcceptingOnlyImplicitVrGetsTheSrReencoded() throws Exception {
        // +xi: storescp accepts Implicit VR Little Endian only
        withStorescp("storescp-implicit", List.of("+xi"), (port, dir, scp) -> {
            assertEquals(0, StoreScu.store(peer(port, "PACS", "RADDRAFT"), sr).status());
            Path f = received(dir).get(0);
            assertEquals(StoreScu.IMPLICIT_VR_LE, Dcmtk.transferSyntax(f));
            assertEquals(StructuredReportWriterTest.dsrdump(sr), StructuredReportWriterTest.dsrdump(f));
        });
    }

    @Test
    void refusedAssociationIsAPermanentFailure() throws Exception {
        // --refuse: A-ASSOCIATE-RJ rejected-permanent, no reason given
        withStorescp("storescp-refuse", List.of("--refuse"), (port, dir, scp) -> {
            StoreFailure f = assertThrows(StoreFailure.class, () -> StoreScu.store(peer(port, "PACS", "RADDRAFT"), sr));
            assertTrue(f.permanent(), f.getMessage());
            assertTrue(f.getMessage().contains("rejected the association: no reason given (result 1 rejected-permanent"),
                    f.getMessage());
        });
    }

    @Test
    void busyPeerRejectsTransiently() throws Exception {
        try (ScpFixture scp = ScpFixture.start(tmp.resolve("scp-busy"), Map.of("maxAssociations", "1"));
             java.net.Socket holder = new java.net.Socket("127.0.0.1", scp.port())) {
            // hold the one association the SCP allows open
            holder.getOutputStream().write(StoreScu.associateRequest(peer(scp.port(), ScpFixture.AE, "PACS"),
                    TestImages.CR, List.of(StoreScu.EXPLICIT_VR_LE)));
            assertEquals(PduType.A_ASSOCIATE_AC, holder.getInputStream().read(), "the first association is accepted");
            StoreFailure f = assertThrows(StoreFailure.class, () -> StoreScu.store(peer(scp.port(), ScpFixture.AE, "PACS"), image));
            assertFalse(f.permanent(), f.getMessage());
            assertTrue(f.getMessage().contains("local limit exceeded (result 2 rejected-transient, source 3, reason 2)"),
                    f.getMessage());
        }
    }

    @Test
    void peerThatNeverAnswersTimesOutAsTransient() throws Exception {
        withStorescp("storescp-stopped", List.of(), (port, dir, scp) -> {
            // a real SCP frozen with SIGSTOP: the kernel accepts the connection, nobody answers
            Dcmtk.ok("kill", "-STOP", scp.pid());
            StoreScu.Peer impatient = new StoreScu.Peer("127.0.0.1", port, "PACS", "RADDRAFT", 2_000, 1_500, null);
            long start = System.nanoTime();
            StoreFailure f = assertThrows(StoreFailure.class, () -> StoreScu.store(impatient, sr));
            assertFalse(f.permanent(), f.getMessage());
            assertTrue(f.getMessage().contains("no answer from PACS@127.0.0.1:" + port), f.getMessage());
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 5_000, "gives up after the timeout");
        });
    }

    @Test
    void connectionRefusedIsTransient() throws Exception {
        int port = DaemonProcess.freePort();
        StoreFailure f = assertThrows(StoreFailure.class, () -> StoreScu.store(peer(port, "PACS", "RADDRAFT"), sr));
        assertFalse(f.permanent());
        assertTrue(f.getMessage().startsWith("connection to PACS@127.0.0.1:" + port + " refused"), f.getMessage());
    }

    @Test
    void wrongCalledAeIsRejectedPermanentlyWithTheReason() throws Exception {
        try (ScpFixture scp = ScpFixture.start(tmp.resolve("scp-called"))) {
            StoreFailure f = assertThrows(StoreFailure.class, () -> StoreScu.store(peer(scp.port(), "NOTUS", "PACS"), image));
            assertTrue(f.permanent());
            assertTrue(f.getMessage().contains("called AE title not recognized (result 1 rejected-permanent, source 1, "
                    + "reason 7)"), f.getMessage());
        }
    }

    @Test
    void unknownCallingAeIsRejectedPermanentlyWithTheReason() throws Exception {
        try (ScpFixture scp = ScpFixture.start(tmp.resolve("scp-calling"))) {
            StoreFailure f = assertThrows(StoreFailure.class,
                    () -> StoreScu.store(peer(scp.port(), ScpFixture.AE, "STRANGER"), image));
            assertTrue(f.permanent());
            assertTrue(f.getMessage().contains("calling AE title not recognized"), f.getMessage());
        }
    }

    @Test
    void sopClassThePeerDoesNotStoreIsAPermanentFailure() throws Exception {
        try (ScpFixture scp = ScpFixture.start(tmp.resolve("scp-sr"))) { // RadDraft's SCP takes images only
            StoreFailure f = assertThrows(StoreFailure.class, () -> StoreScu.store(peer(scp.port(), ScpFixture.AE, "PACS"), sr));
            assertTrue(f.permanent());
            assertTrue(f.getMessage().contains("abstract syntax not supported"), f.getMessage());
        }
    }

    @Test
    void imageStoredInRadDraftsScp() throws Exception {
        try (ScpFixture scp = ScpFixture.start(tmp.resolve("scp-ok"))) {
            assertEquals(0, StoreScu.store(peer(scp.port(), ScpFixture.AE, "PACS"), image).status());
            assertEquals(1, scp.receivedFiles().size());
        }
    }

    @Test
    void outOfResourcesIsTransientAndCannotUnderstandPermanent() throws Exception {
        try (ScpFixture scp = ScpFixture.start(tmp.resolve("scp-status"))) {
            scp.step = i -> {
                throw DicomStatusException.outOfResources("disk full");
            };
            StoreFailure full = assertThrows(StoreFailure.class,
                    () -> StoreScu.store(peer(scp.port(), ScpFixture.AE, "PACS"), image));
            assertFalse(full.permanent());
            assertTrue(full.getMessage().endsWith("answered C-STORE status A700 (disk full)"), full.getMessage());
            scp.step = i -> {
                throw DicomStatusException.cannotUnderstand("bad data set");
            };
            StoreFailure bad = assertThrows(StoreFailure.class,
                    () -> StoreScu.store(peer(scp.port(), ScpFixture.AE, "PACS"), image));
            assertTrue(bad.permanent());
            assertTrue(bad.getMessage().endsWith("answered C-STORE status C000 (bad data set)"), bad.getMessage());
        }
    }

    @Test
    void statusClasses() {
        for (int transientStatus : new int[] {0xA700, 0xA7FF, 0x0110, 0x0213}) {
            assertFalse(StoreScu.permanentStatus(transientStatus), Integer.toHexString(transientStatus));
        }
        for (int permanent : new int[] {0xA900, 0xC000, 0xCFFF, 0x0122, 0x0124, 0x0211}) {
            assertTrue(StoreScu.permanentStatus(permanent), Integer.toHexString(permanent));
        }
    }

    @Test
    void overTlsWithTheServersCertificateTrusted() throws Exception {
        Path keys = Files.createDirectories(tmp.resolve("keys"));
        TlsKeys k = TlsKeys.make(keys);
        Path trustServer = keys.resolve("trust-server.p12");
        Dcmtk.ok("keytool", "-importcert", "-noprompt", "-alias", "scp", "-file", k.serverCert(), "-storetype", "PKCS12",
                "-keystore", trustServer, "-storepass", k.password());
        try (ScpFixture scp = ScpFixture.start(tmp.resolve("scp-tls"), Map.of("tlsEnabled", "true",
                "tlsKeystore", k.serverKeystore().toString(), "tlsKeystorePassword", k.password()))) {
            char[] pw = k.password().toCharArray();
            StoreScu.Peer tls = new StoreScu.Peer("localhost", scp.port(), ScpFixture.AE, "PACS", 5_000, 10_000,
                    new StoreScu.Tls(trustServer, pw, null, null));
            assertEquals(0, StoreScu.store(tls, image).status());
            assertEquals(1, scp.receivedFiles().size());

            // a truststore without the server's certificate: the handshake fails, and retrying cannot help
            StoreScu.Peer untrusted = new StoreScu.Peer("localhost", scp.port(), ScpFixture.AE, "PACS", 5_000, 10_000,
                    new StoreScu.Tls(k.truststore(), pw, null, null));
            StoreFailure f = assertThrows(StoreFailure.class, () -> StoreScu.store(untrusted, image));
            assertTrue(f.permanent());
            assertTrue(f.getMessage().startsWith("TLS with RADDRAFT@localhost:" + scp.port() + " (TLS) failed"),
                    f.getMessage());
        }
    }
}
