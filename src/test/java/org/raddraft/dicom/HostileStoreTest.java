package org.raddraft.dicom;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.HostileDicom;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SCP against hostile senders (issue 21): data sets nested too deeply, instances too large, and
 * callers that trickle their A-ASSOCIATE-RQ or open more associations than their share. Each C-STORE
 * is answered with a status, nothing half-written is kept, and the PACS still gets in.
 */
class HostileStoreTest {

    static final InetAddress OTHER_HOST = address("127.0.0.2");

    @TempDir
    Path dir;
    ScpFixture scp;
    final List<Socket> held = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (Socket s : held) {
            s.close();
        }
        if (scp != null) {
            scp.close();
        }
    }

    static InetAddress address(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void deepNestingWithAJisCharacterSetIsRefusedNamingTheLimitAndNothingIsKept() throws Exception {
        scp = ScpFixture.start(dir);
        HostileDicom.Uids uids = HostileDicom.Uids.fresh(1);
        try (RawScu scu = RawScu.associate(scp.port(), null, "PACS", ScpFixture.AE, 20_000)) {
            RawScu.Answer a = scu.store(uids.sop(), HostileDicom.deepNesting(uids, 20_000, "ISO 2022 IR 87"), 16_000);
            assertEquals("C000", a.statusHex());
            assertEquals("malformed data set: sequences nested deeper than 64 levels", a.errorComment());
            assertEquals(0, scu.echo().status(), "the association goes on");
            HostileDicom.Uids plain = HostileDicom.Uids.fresh(2);
            assertEquals(0, scu.store(plain.sop(), HostileDicom.plain(plain), 16_000).status());
            scu.release();
        }
        assertEquals(List.of(), scp.tempFiles(), "no .part left");
        assertEquals(1, scp.instances.size(), "only the plain instance reached the route");
    }

    @Test
    void anInstanceOverTheMaximumSizeIsRefusedAndNothingOfItKept() throws Exception {
        scp = ScpFixture.start(dir, Map.of("maxInstanceMb", "1"));
        HostileDicom.Uids big = HostileDicom.Uids.fresh(3);
        try (RawScu scu = RawScu.associate(scp.port(), null, "PACS", ScpFixture.AE, 20_000)) {
            RawScu.Answer a = scu.store(big.sop(), HostileDicom.hugeImage(big, 1024, 1024, 2 * 1024 * 1024), 16_000);
            assertEquals("A700", a.statusHex());
            assertEquals("instance larger than dicom.max-instance-mb (1 MB)", a.errorComment());
            assertEquals(List.of(), scp.tempFiles(), "the .part was deleted as soon as the limit was passed");
            HostileDicom.Uids plain = HostileDicom.Uids.fresh(4);
            assertEquals(0, scu.store(plain.sop(), HostileDicom.plain(plain), 16_000).status(), "association usable");
            scu.release();
        }
        assertEquals(1, scp.instances.size());
    }

    /**
     * A stand-in for a file system filling up while an instance is written (one cannot be filled on
     * purpose here without disturbing other processes): the guard reports the shortage after 1 MiB, as
     * {@link StorageScp}'s re-check of the free space does every {@link IncomingInstance#SPACE_CHECK_INTERVAL}.
     */
    @Test
    void writingStopsAndTheFileIsDeletedWhenTheSpaceRunsOutMidway() throws Exception {
        Path temp = Files.createDirectories(dir.resolve("spool/tmp")).resolve("x.part");
        HostileDicom.Uids uids = HostileDicom.Uids.fresh(5);
        DimseMessages.Command rq = DimseMessages.parseCommand(Pdus.cStoreRq(1, Pdus.CR_IMAGE_STORAGE, uids.sop()));
        List<Boolean> spaceChecks = new ArrayList<>();
        IncomingInstance in = IncomingInstance.create(rq, Pdus.IMPLICIT_VR_LE, "PACS", temp, Runnable::run,
                (received, checkSpace) -> {
                    spaceChecks.add(checkSpace);
                    return checkSpace && received > (1 << 20)
                            ? DicomStatusException.outOfResources("spool free space 1 MB below minimum 2 MB while writing")
                            : null;
                });
        byte[] ds = HostileDicom.hugeImage(uids, 2048, 2048, 8 * 1024 * 1024);
        for (int at = 0; at < ds.length; at += 16_384) {
            in.write(ds, at, Math.min(16_384, ds.length - at));
        }
        in.finish();
        assertNotNull(in.refusal());
        assertEquals(DicomStatusException.OUT_OF_RESOURCES, in.refusal().status());
        assertFalse(Files.exists(temp), "nothing half-written is kept");
        assertEquals(List.of(true), spaceChecks.stream().filter(b -> b).toList(),
                "free space looked at once per 4 MiB, and nothing after the refusal");
    }

    @Test
    void aTrickledAssociateRequestIsCutAtTheDeadline() throws Exception {
        scp = ScpFixture.start(dir, Map.of("requestTimeoutSeconds", "2"));
        Socket s = RawScu.connect(scp.port(), null, 10_000);
        held.add(s);
        long start = System.nanoTime();
        long closedAfterMs = trickle(s, RawScu.associateRequest(ScpFixture.AE, "PACS"), 200, 10_000);
        assertTrue(closedAfterMs >= 1_500 && closedAfterMs < 4_000,
                "closed " + closedAfterMs + " ms after connecting (per-read timeouts never fire on a byte every 200 ms)");
        assertTrue((System.nanoTime() - start) / 1_000_000 < 5_000);
    }

    @Test
    void aHostNoAllowListEntryNamesIsRejectedBeforeItSendsAByte() throws Exception {
        scp = ScpFixture.start(dir, Map.of("allowedPeers", "PACS@127.0.0.1"));
        Socket s = RawScu.connect(scp.port(), OTHER_HOST, 3_000);
        held.add(s);
        byte[] answer = s.getInputStream().readNBytes(11); // without having sent anything
        assertEquals(List.of(0x03, 1, 1, 3), List.of((int) answer[0], (int) answer[7], (int) answer[8], (int) answer[9]),
                "A-ASSOCIATE-RJ permanent, service user, calling AE not recognized");
        assertEquals(10, answer.length, "then the connection is closed");
    }

    @Test
    void oneHostTricklingCannotTakeTheSlotsOfThePacs() throws Exception {
        scp = ScpFixture.start(dir, Map.of("maxAssociations", "4", "maxAssociationsPerHost", "2",
                "requestTimeoutSeconds", "30", "allowedPeers", "PACS@127.0.0.1,MODALITY@127.0.0.2"));
        byte[] rq = RawScu.associateRequest(ScpFixture.AE, "MODALITY");
        for (int i = 0; i < 8; i++) { // half a request each, then silence: every one holds what it got
            Socket s = RawScu.connect(scp.port(), OTHER_HOST, 10_000);
            held.add(s);
            s.getOutputStream().write(rq, 0, rq.length / 2);
        }
        Thread.sleep(300);
        try (RawScu pacs = RawScu.associate(scp.port(), null, "PACS", ScpFixture.AE, 10_000)) {
            assertEquals(0, pacs.echo().status(), "the PACS is accepted while the other host holds its share");
            pacs.release();
        }
    }

    /** Writes {@code bytes} one every {@code everyMs}; returns the ms until the peer closed (or the time limit). */
    static long trickle(Socket s, byte[] bytes, long everyMs, long limitMs) throws InterruptedException {
        long start = System.nanoTime();
        try {
            OutputStream out = s.getOutputStream();
            for (byte b : bytes) {
                out.write(b);
                out.flush();
                Thread.sleep(everyMs);
                if ((System.nanoTime() - start) / 1_000_000 > limitMs) {
                    break;
                }
                if (s.getInputStream().available() < 0) {
                    break;
                }
            }
        } catch (IOException closed) {
            // the SCP closed the connection: a write after the close fails (RST)
        }
        return (System.nanoTime() - start) / 1_000_000;
    }
}
