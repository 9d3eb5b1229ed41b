package org.raddraft.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.DicomMutator;
import org.raddraft.testing.RawHttp;

/**
 * Fuzzing the running daemon on its three surfaces (issue 24), seeded and bounded: mutated Part 10
 * data sets over C-STORE ({@link DicomMutator}), mutated PDU sequences (association request, C-ECHO,
 * C-STORE, release and abort, with lying lengths and types, cut short, out of order), and malformed
 * HTTP to /fhir, /ui and /auth. The short form runs in ./bin/test; bench/fuzz.sh runs the long form
 * with {@code -Draddraft.fuzz.dicom/pdu/http} and prints its summary line.
 *
 * <p>Pass: no crash (the process lives; no HTTP 5xx; a 4xx from /fhir carries an OperationOutcome),
 * no hang (every C-STORE answered or aborted within 30 s, every PDU sequence's connection closed by
 * the daemon within 15 s of the sender's end of stream, every HTTP request answered), no thread or
 * file-descriptor leak (/proc of the daemon before and after), no {@code .part} left, C-ECHO and
 * /health after every batch, and a clean restart at the end.
 */
class FuzzIT {

    static final long SEED = Long.getLong("raddraft.fuzz.seed", 24);
    static final int DICOM = Integer.getInteger("raddraft.fuzz.dicom", 200);
    static final int PDU = Integer.getInteger("raddraft.fuzz.pdu", 200);
    static final int HTTP = Integer.getInteger("raddraft.fuzz.http", 200);
    static final int BATCH = 100;
    /** Threads or descriptors more after the run than before it that count as a leak (pools may grow a little). */
    static final int LEAK_SLACK = 16;

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    static Path tmp;

    final List<String> crashes = new ArrayList<>();
    final List<String> hangs = new ArrayList<>();

    @Test
    void threeSurfacesFuzzedWithoutCrashHangLeakOrPartFile() throws Exception {
        Map<String, String> config = Map.of("dicom.max-associations", "16", "dicom.max-associations-per-host", "16",
                "dicom.max-instance-mb", "4", "draft.max-attempts", "1");
        DaemonProcess daemon = new DaemonProcess(tmp.resolve("home"), config).start();
        try {
            String token = daemon.token("radiologist");
            DicomAttackIT.assertAlive(daemon);
            long[] before = counts(daemon);
            for (int i = 0; i < DICOM; i++) {
                store(daemon, i);
                batchEnd(daemon, "dicom", i, DICOM);
            }
            for (int i = 0; i < PDU; i++) {
                pdus(daemon, i);
                batchEnd(daemon, "pdu", i, PDU);
            }
            for (int i = 0; i < HTTP; i++) {
                http(daemon, i, i % 3 == 0 ? null : token);
                batchEnd(daemon, "http", i, HTTP);
            }
            long[] after = settled(daemon, before);
            int leaks = (after[0] - before[0] > LEAK_SLACK ? 1 : 0) + (after[1] - before[1] > LEAK_SLACK ? 1 : 0);
            int parts = DicomAttackIT.partFiles(daemon).size();
            int exit = daemon.stop();
            assertTrue(exit == 0 || exit == 143, "stopped cleanly: exit " + exit);
            daemon = new DaemonProcess(daemon.home(), config).start();
            DicomAttackIT.assertAlive(daemon);
            System.out.printf("fuzz: cases=%d crashes=%d hangs=%d leaks=%d parts_left=%d (threads %d -> %d, fds %d -> %d)%n",
                    DICOM + PDU + HTTP, crashes.size(), hangs.size(), leaks, parts, before[0], after[0], before[1], after[1]);
            assertEquals(List.of(), crashes, "crashes");
            assertEquals(List.of(), hangs, "hangs");
            assertEquals(0, leaks, "threads " + before[0] + " -> " + after[0] + ", fds " + before[1] + " -> " + after[1]);
            assertEquals(0, parts, ".part files left");
        } finally {
            daemon.close();
        }
    }

    /**
     * The counts once the daemon is idle: pools grown by the run retire their idle threads (Jetty's after
     * 60 s), so a leak is what is still there after 90 s, not what a busy pool holds 3 s after the last case.
     */
    static long[] settled(DaemonProcess daemon, long[] before) throws Exception {
        long[] after = counts(daemon);
        for (long deadline = System.nanoTime() + 90_000_000_000L; System.nanoTime() < deadline
                && (after[0] - before[0] > LEAK_SLACK || after[1] - before[1] > LEAK_SLACK); after = counts(daemon)) {
            Thread.sleep(5000);
        }
        return after;
    }

    /** Threads and open file descriptors of the daemon process. */
    static long[] counts(DaemonProcess daemon) throws IOException {
        Path proc = Path.of("/proc", Long.toString(daemon.pid()));
        long threads = Files.readAllLines(proc.resolve("status")).stream().filter(l -> l.startsWith("Threads:"))
                .mapToLong(l -> Long.parseLong(l.substring(8).trim())).findFirst().orElse(-1);
        try (Stream<Path> fds = Files.list(proc.resolve("fd"))) {
            return new long[] {threads, fds.count()};
        }
    }

    final long started = System.nanoTime();

    void batchEnd(DaemonProcess daemon, String surface, int i, int n) throws Exception {
        if ((i + 1) % BATCH == 0 || i + 1 == n) {
            try {
                DicomAttackIT.assertAlive(daemon);
            } catch (Exception | AssertionError e) {
                crashes.add("after case " + i + ": not alive: " + e);
                throw e;
            }
            // a long run cut short still says how far it got
            System.out.printf("fuzz-progress: %s %d/%d crashes=%d hangs=%d after %d s%n", surface, i + 1, n,
                    crashes.size(), hangs.size(), (System.nanoTime() - started) / 1_000_000_000L);
        }
    }

    // --- surface 1: Part 10 data sets over C-STORE ------------------------------------------------

    void store(DaemonProcess daemon, int i) {
        DicomMutator.Case c = DicomMutator.mutate(SEED, i);
        try (RawScu scu = RawScu.associate(daemon.dicomPort, null, "PACS", "RADDRAFT", 30_000)) {
            RawScu.Answer a = scu.store(c.uids().sop(), c.dataSet(), 16_000);
            for (String v : DicomMutator.PATIENT_VALUES) {
                if (String.valueOf(a.errorComment()).contains(v)) {
                    crashes.add("dicom " + i + " [" + c.description() + "]: Error Comment quotes a patient value");
                }
            }
        } catch (SocketTimeoutException e) {
            hangs.add("dicom " + i + " [" + c.description() + "]: no answer in 30 s");
        } catch (IOException e) {
            // aborted or closed: an answer too
        }
    }

    // --- surface 2: PDU sequences -----------------------------------------------------------------

    void pdus(DaemonProcess daemon, int i) {
        Random r = new Random(SEED * 7_919 + i);
        List<byte[]> seq = new ArrayList<>(List.of(
                Pdus.associateRequest("RADDRAFT", "PACS", Pdus.VERIFICATION, 16_384),
                Pdus.pData(new Pdus.Pdv(1, true, true, Pdus.cEchoRq(1))),
                Pdus.pData(new Pdus.Pdv(1, true, true, Pdus.cStoreRq(2, Pdus.CR_IMAGE_STORAGE, "1.2.3." + i))),
                Pdus.pData(new Pdus.Pdv(1, false, true, DicomMutator.mutate(SEED, i).dataSet())),
                Pdus.releaseRequest()));
        String what = mutatePdus(r, seq);
        try (Socket s = RawScu.connect(daemon.dicomPort, null, 15_000)) {
            OutputStream out = s.getOutputStream();
            try {
                for (byte[] pdu : seq) {
                    out.write(pdu);
                }
                out.flush();
                s.shutdownOutput();
            } catch (IOException e) {
                return; // the daemon closed the connection while we were writing: an answer
            }
            InputStream in = s.getInputStream();
            byte[] buf = new byte[8192];
            while (in.read(buf) >= 0) {
                // read until the daemon closes the connection
            }
        } catch (SocketTimeoutException e) {
            hangs.add("pdu " + i + " [" + what + "]: connection still open 15 s after the sender's end");
        } catch (IOException e) {
            // reset: closed
        }
    }

    static String mutatePdus(Random r, List<byte[]> seq) {
        int kind = r.nextInt(8);
        int at = r.nextInt(seq.size());
        byte[] pdu = seq.get(at).clone();
        switch (kind) {
            case 0 -> { // a PDU length that lies
                int v = new int[] {0, 1, 3, 0x7FFFFFFF, -1, pdu.length, pdu.length - 7, 0x10000}[r.nextInt(8)];
                pdu[2] = (byte) (v >>> 24);
                pdu[3] = (byte) (v >>> 16);
                pdu[4] = (byte) (v >>> 8);
                pdu[5] = (byte) v;
            }
            case 1 -> pdu[0] = (byte) r.nextInt(12); // another PDU type
            case 2 -> pdu = java.util.Arrays.copyOf(pdu, r.nextInt(pdu.length)); // cut short
            case 3 -> {
                for (int k = 1 + r.nextInt(8); k > 0; k--) {
                    pdu[r.nextInt(pdu.length)] ^= (byte) (1 << r.nextInt(8));
                }
            }
            case 4 -> seq.add(at, Pdus.abort(r.nextInt(3), r.nextInt(7))); // abort at an odd time
            case 5 -> seq.add(at, Pdus.releaseRequest()); // release at an odd time
            case 6 -> { // an item length inside the PDU that lies
                if (pdu.length > 12) {
                    int p = 6 + r.nextInt(pdu.length - 8);
                    pdu[p] = (byte) 0xFF;
                    pdu[p + 1] = (byte) r.nextInt(256);
                }
            }
            default -> java.util.Collections.swap(seq, at, r.nextInt(seq.size())); // out of order
        }
        if (kind <= 3 || kind == 6) {
            seq.set(at, pdu);
        }
        return kind + "@" + at;
    }

    // --- surface 3: HTTP ----------------------------------------------------------------------------

    static final String[] METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "FOO"};
    static final String[] TARGETS = {"/fhir/DiagnosticReport", "/fhir/DiagnosticReport/1", "/fhir/DiagnosticReport/1/$approve",
        "/fhir/DiagnosticReport/999999999/$reject", "/fhir/DiagnosticReport?_count=-1", "/fhir/DiagnosticReport?_count=99999999999",
        "/fhir/DiagnosticReport?status=%ZZ", "/fhir/DiagnosticReport?_lastUpdated=gt2026-13-45", "/fhir/metadata",
        "/fhir/AuditEvent", "/fhir/Bundle/x", "/fhir/DiagnosticReport/abc/_history/-1", "/ui/", "/ui/review.js",
        "/ui/%C0%AE%C0%AE/x", "/auth/session", "/auth/session?x=" + "A".repeat(9000), "/fhir/DiagnosticReport/1/$amend",
        "/fhir/Patient?name=QUIXOTE", "/fhir/DiagnosticReport/" + "9".repeat(40)};
    static final String[] TYPES = {"application/fhir+json", "application/json", "application/fhir+xml", "text/plain",
        "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "application/fhir+json; charset=ISO-2022-JP",
        "", "application/octet-stream"};
    static final String[] BODIES = {"{", "[]", "null", "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"findings\",\"valueInteger\":\"x\"}]}",
        "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"QUIXOTE\"}]}", "{\"resourceType\":\"Parameters\",\"parameter\":{}}",
        "{\"username\":\"it-radiologist\",\"password\":1}", "{\"username\":[],\"password\":{}}", "<xml/>", "\u0000\u00ff\ufffe",
        "{\"resourceType\":\"DiagnosticReport\",\"status\":\"final\",\"code\":{}}", "{\"a\":" + "[".repeat(5000) + "]".repeat(5000) + "}"};

    void http(DaemonProcess daemon, int i, String token) {
        Random r = new Random(SEED * 104_729 + i);
        String method = METHODS[r.nextInt(METHODS.length)];
        String target = TARGETS[r.nextInt(TARGETS.length)];
        Map<String, String> headers = new java.util.LinkedHashMap<>();
        if (token != null) {
            headers.put("Authorization", "Bearer " + token);
        }
        String type = TYPES[r.nextInt(TYPES.length)];
        if (!type.isEmpty()) {
            headers.put("Content-Type", type);
        }
        if (r.nextInt(4) == 0) {
            headers.put("If-Match", new String[] {"W/\"x\"", "\"1\"", "W/\"-1\"", "W/\"99999999999999999999\"", "*", ""}[r.nextInt(6)]);
        }
        String body = null;
        if (!method.equals("GET") && !method.equals("HEAD") && r.nextInt(5) != 0) {
            body = r.nextInt(20) == 0 ? "{\"x\":\"" + "A".repeat(12 * 1024 * 1024) + "\"}" : BODIES[r.nextInt(BODIES.length)];
        }
        String what = "http " + i + " " + method + " " + target + " [" + type + "]";
        try {
            RawHttp.Response resp = new RawHttp("127.0.0.1", daemon.httpPort).send(method, target, headers, body);
            if (resp.status() >= 500) {
                crashes.add(what + ": " + resp.status() + " " + resp.body().substring(0, Math.min(300, resp.body().length())));
            } else if (resp.status() >= 400 && target.startsWith("/fhir") && !method.equals("HEAD")
                    && !resp.body().contains("OperationOutcome")) {
                crashes.add(what + ": " + resp.status() + " without an OperationOutcome");
            }
            // a report read with a token rightly names its patient (the long run drafts studies that carry
            // these values); an error answer, or any answer to a request without a token, must not
            boolean mayNamePatient = token != null && resp.status() < 400;
            for (String v : DicomMutator.PATIENT_VALUES) {
                if (!mayNamePatient && resp.body().contains(v) && (body == null || !body.contains(v))) {
                    crashes.add(what + ": answer quotes a patient value");
                }
            }
        } catch (SocketTimeoutException e) {
            hangs.add(what + ": no answer in 60 s");
        } catch (IOException e) {
            // a connection closed on an oversized request is an answer only if nothing else was expected
            if (body == null || body.length() < 1024 * 1024) {
                hangs.add(what + ": no HTTP answer: " + e.getClass().getSimpleName());
            }
        }
    }
}
