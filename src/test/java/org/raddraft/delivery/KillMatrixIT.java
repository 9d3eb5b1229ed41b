package org.raddraft.delivery;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigInteger;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.Dcmtk;
import org.raddraft.testing.FhirJpaServer;
import org.raddraft.testing.MllpPeer;
import org.raddraft.testing.Orthanc;

/**
 * The kill -9 fault matrix (issue 24): the daemon is killed at a seeded moment inside one stage,
 * restarted on the same home, the study carried to the end (drafted, approved by the RIS's radiologist,
 * delivered on all three channels), and the invariants checked over every study of the run so far:
 * every acknowledged instance present (row and file), exactly one current draft per study, the decision
 * neither lost (an approval answered 200 is there) nor applied twice (one successful approval in the
 * audit trail, one feedback row), and each approved revision delivered exactly once per channel, counted
 * at the real peers by its stable id: one DiagnosticReport per accession at a HAPI FHIR JPA server, one
 * MSH-10 per accession at the MLLP RIS, one SR SOP Instance UID in the study at Orthanc.
 *
 * <p>The moments are watched from outside, never by hooks in the daemon: storescu's acknowledgements
 * (receiving: killed after k of 20 instances), the study's state in the database (assembling: a delay
 * across the quiet period after Orthanc's push; drafting and publishing: a delay after DRAFTING shows,
 * within the part of the measured drafting time that is inference, or the end that is validation and
 * the publishing commit), the approval's HTTP call in flight (decision), and each peer (delivery: a
 * delay after the approval within the measured time to the peer, or right after the peer received it,
 * before the daemon has marked the row SENT). Orthanc is the pushing PACS (and the SR receiver) for
 * every stage but receiving, where storescu's per-instance acknowledgements say what was acknowledged.
 *
 * <p>Short form: one kill in each of five stages ({@link #SHORT}); bench/faults.sh runs every stage,
 * {@code raddraft.faults.runs} (20) kills each, and prints the table and the {@code faults:} line.
 * Seeded by {@code raddraft.faults.seed}.
 */
class KillMatrixIT {

    enum Stage { RECEIVING, ASSEMBLING, DRAFTING, PUBLISHING, DECISION, FHIR, HL7, SR }

    static final long SEED = Long.getLong("raddraft.faults.seed", 24);
    static final int RUNS = Integer.getInteger("raddraft.faults.runs", 1);
    /**
     * The short form's stages (one kill each, ~3 minutes with the peers' start): receiving and HL7 delivery
     * are left to CrashSafetyIT (five kills mid-push) and DeliveryCrashIT in ./bin/test. An empty
     * {@code raddraft.faults.stages} (bench/faults.sh) means every stage.
     */
    static final List<Stage> SHORT = List.of(Stage.ASSEMBLING, Stage.PUBLISHING, Stage.DECISION, Stage.FHIR, Stage.SR);
    static final List<Stage> STAGES = System.getProperty("raddraft.faults.stages") == null ? SHORT
            : System.getProperty("raddraft.faults.stages").isBlank() ? List.of(Stage.values())
            : java.util.Arrays.stream(System.getProperty("raddraft.faults.stages").split(",")).map(String::trim)
                    .map(String::toUpperCase).map(Stage::valueOf).toList();
    static final String TOKEN = "kill-matrix-it-token";
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path TEMPLATES = DaemonProcess.APP.resolve("testdata/demo/dicom/ph-23-000034");

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    static Path tmp;
    static FhirJpaServer fhir;
    static MllpPeer ris;
    static Orthanc pacs;
    static DaemonProcess daemon;
    static Approvals approvals;

    /** One study of the matrix: what the test knows about it, to check after every later kill too. */
    static final class Case {
        final Stage stage;
        final int run;
        final String uid;
        final String accession;
        final List<String> acknowledged = new ArrayList<>();
        String killedAt = "";
        boolean approvalAnswered;

        Case(Stage stage, int run, String uid, String accession) {
            this.stage = stage;
            this.run = run;
            this.uid = uid;
            this.accession = accession;
        }
    }

    static final List<Case> cases = new ArrayList<>();
    /** Measured windows (ms), updated from runs that were not killed in them. */
    static long draftingMs = 1500;
    static long approveMs = 150;
    static final Map<Stage, Long> toPeerMs = new EnumMap<>(Map.of(Stage.FHIR, 800L, Stage.HL7, 500L, Stage.SR, 800L));

    @BeforeAll
    static void start() throws Exception {
        fhir = new FhirJpaServer(tmp.resolve("fhir"), TOKEN, "NO-ACCESSION-IS-REFUSED");
        ris = new MllpPeer().start();
        int pacsPort = DaemonProcess.freePort();
        Map<String, String> config = new LinkedHashMap<>(DicomSrDeliveryIT.config(ris.port, pacsPort, Orthanc.AE_TITLE));
        config.put("delivery.fhir.base-url", fhir.baseUrl());
        config.put("delivery.fhir.auth", "bearer");
        config.put("delivery.fhir.timeout-seconds", "20");
        daemon = new DaemonProcess(tmp.resolve("home"), config).env("DELIVERY_FHIR_TOKEN", TOKEN);
        pacs = Orthanc.start(tmp.resolve("orthanc"), daemon.dicomPort, pacsPort);
        daemon.start();
        daemon.token("radiologist"); // the account exists before any kill: a kill lands in the approval, not in making it
        approvals = new Approvals(daemon, tmp);
        // one study drafted and approved unharmed: the drafting and approval windows measured before any kill
        Case warmUp = new Case(Stage.DECISION, -1, "2.25." + new BigInteger(96, new Random(SEED)), "KMWARM");
        if (approve(drafted(warmUp)) != 200) {
            throw new IllegalStateException("the warm-up study was not approved");
        }
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {daemon, pacs, ris, fhir}) {
            if (c != null) {
                c.close();
            }
        }
    }

    @Test
    void killNineInEveryStageLosesNothingAndDuplicatesNothing() throws Exception {
        Map<Stage, int[]> table = new EnumMap<>(Stage.class); // runs, lost, duplicate drafts, duplicate deliveries, lost decisions, errors
        List<String> failures = new ArrayList<>();
        for (Stage stage : STAGES) {
            for (int run = 0; run < RUNS; run++) {
                Random r = new Random(SEED * 1_000_003L + stage.ordinal() * 1_009L + run);
                Case c = new Case(stage, run, "2.25." + new BigInteger(96, r), "KM" + stage.ordinal() + "R" + run);
                cases.add(c);
                int[] row = table.computeIfAbsent(stage, s -> new int[6]);
                row[0]++;
                long t0 = System.nanoTime();
                try {
                    killIn(c, r);
                    daemon.start();
                    complete(c);
                    int[] found = check(failures);
                    for (int k = 0; k < 4; k++) {
                        row[k + 1] += found[k];
                    }
                } catch (Exception | AssertionError e) {
                    row[5]++;
                    failures.add(stage + " run " + run + " (" + c.killedAt + "): " + e);
                    if (!alive()) {
                        daemon.start();
                    }
                }
                System.out.printf("faults-run: %s %d killed %s, %d s%n", stage, run, c.killedAt,
                        (System.nanoTime() - t0) / 1_000_000_000L);
            }
        }
        int[] sum = new int[6];
        System.out.println("faults-table: stage       runs  lost  dup_drafts  dup_deliveries  lost_decisions  errors");
        table.forEach((stage, row) -> {
            System.out.printf("faults-table: %-11s %4d  %4d  %10d  %14d  %14d  %6d%n", stage, row[0], row[1], row[2], row[3],
                    row[4], row[5]);
            for (int k = 0; k < 6; k++) {
                sum[k] += row[k];
            }
        });
        boolean pass = failures.isEmpty() && sum[1] + sum[2] + sum[3] + sum[4] + sum[5] == 0;
        System.out.printf("faults: runs=%d stages=%d lost=%d duplicate_drafts=%d duplicate_deliveries=%d lost_decisions=%d"
                + " result=%s%n", sum[0], table.size(), sum[1], sum[2], sum[3], sum[4], pass ? "PASS" : "FAIL");
        assertEquals(List.of(), failures, "invariants after kill -9");
    }

    // --- killing inside a stage --------------------------------------------------------------------

    void killIn(Case c, Random r) throws Exception {
        switch (c.stage) {
            case RECEIVING -> {
                int k = 1 + r.nextInt(18);
                List<Path> files = studyFiles(c, 20);
                Path log = tmp.resolve("storescu-" + c.accession + ".log");
                List<String> cmd = new ArrayList<>(List.of("storescu", "-v", "-aet", "PACS", "-aec", "RADDRAFT", "localhost",
                        String.valueOf(daemon.dicomPort)));
                files.forEach(f -> cmd.add(f.toString()));
                Process scu = Dcmtk.start(log, cmd.toArray(String[]::new));
                waitFor(() -> acknowledged(log).size() >= k || !scu.isAlive(), 60_000);
                daemon.kill9();
                scu.waitFor();
                for (String f : acknowledged(log)) {
                    c.acknowledged.add(Dcmtk.tag(Path.of(f), "0008,0018"));
                }
                c.killedAt = "after " + c.acknowledged.size() + " of 20 instances acknowledged (aimed at " + k + ")";
            }
            case ASSEMBLING -> {
                pushedByOrthanc(c);
                long delay = r.nextInt(3000); // study.quiet-seconds=2: the study becomes STABLE inside this window
                Thread.sleep(delay);
                String state = stateOf(c);
                daemon.kill9();
                c.killedAt = delay + " ms after the push (study " + state + ")";
            }
            case DRAFTING, PUBLISHING -> {
                pushedByOrthanc(c);
                waitFor(() -> "DRAFTING".equals(stateOf(c)) || approvals.draftOf(c.uid) > 0, 120_000);
                long window = draftingMs;
                long delay = c.stage == Stage.DRAFTING ? r.nextInt((int) Math.max(1, window * 7 / 10))
                        : window * 7 / 10 + r.nextInt((int) Math.max(1, window * 4 / 10));
                Thread.sleep(delay);
                daemon.kill9();
                c.killedAt = delay + " ms after DRAFTING (of ~" + window + " ms)";
            }
            case DECISION -> {
                long draft = drafted(c);
                long delay = r.nextInt((int) Math.max(1, approveMs * 12 / 10));
                CompletableFuture<Integer> answer = CompletableFuture.supplyAsync(() -> approve(draft));
                Thread.sleep(delay);
                daemon.kill9();
                Integer status = answer.handle((s, e) -> e == null ? s : -1).get();
                c.approvalAnswered = status == 200;
                c.killedAt = delay + " ms into $approve (of ~" + approveMs + " ms; answered " + status + ")";
            }
            case FHIR, HL7, SR -> {
                long draft = drafted(c);
                long window = toPeerMs.get(c.stage);
                boolean afterReceipt = r.nextBoolean();
                long delay = afterReceipt ? r.nextInt(300) : r.nextInt((int) Math.max(1, window * 12 / 10));
                long t0 = System.nanoTime();
                int status = approve(draft);
                if (status != 200) {
                    throw new IllegalStateException("$approve answered " + status);
                }
                c.approvalAnswered = true;
                if (afterReceipt) {
                    waitFor(() -> received(c), 60_000);
                }
                Thread.sleep(delay);
                daemon.kill9();
                c.killedAt = delay + " ms after " + (afterReceipt ? "the peer received it" : "the approval (peer after ~"
                        + window + " ms)") + ", " + atPeer(c) + " at the peer";
                if (!afterReceipt) {
                    toPeerMs.put(c.stage, Math.max(100, (System.nanoTime() - t0) / 1_000_000L));
                }
            }
        }
    }

    static boolean alive() {
        return daemon.httpStatus("/health/live") == 200;
    }

    interface Check {
        boolean ok() throws Exception;
    }

    static void waitFor(Check check, long ms) throws Exception {
        long deadline = System.currentTimeMillis() + ms;
        while (!check.ok()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("waited " + ms + " ms in vain");
            }
            Thread.sleep(10);
        }
    }

    static List<String> acknowledged(Path storescuLog) throws Exception {
        return Files.exists(storescuLog) ? new Dcmtk.Result(0, Files.readString(storescuLog)).storedFiles() : List.of();
    }

    /** Copies of the demo PA (and lateral, {@code n} = 2) in the case's study, each with its own SOP Instance UID. */
    static List<Path> studyFiles(Case c, int n) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("in/" + c.accession));
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path f = dir.resolve(i + ".dcm");
            Files.copy(TEMPLATES.resolve(i == 1 && n == 2 ? "2-LL.dcm" : "1-PA.dcm"), f);
            files.add(f);
        }
        List<Object> cmd = new ArrayList<>(List.of("dcmodify", "-nb", "-gse", "-gin", "-m", "(0020,000d)=" + c.uid,
                "-m", "(0008,0050)=" + c.accession));
        cmd.addAll(files);
        Dcmtk.ok(cmd.toArray());
        return files;
    }

    /** Orthanc, the PACS, pushes the case's two-view study; every instance it pushed was acknowledged. */
    static void pushedByOrthanc(Case c) throws Exception {
        String orthancStudy = null;
        for (Path f : studyFiles(c, 2)) {
            orthancStudy = pacs.upload(f);
            c.acknowledged.add(Dcmtk.tag(f, "0008,0018"));
        }
        HttpResponse<String> pushed = pacs.push(orthancStudy, Orthanc.AE_TITLE);
        assertEquals(200, pushed.statusCode(), pushed.body());
        assertEquals(0, Orthanc.json(pushed).get("FailedInstancesCount").asInt(), pushed.body());
    }

    /** Pushed by Orthanc and drafted; the drafting time measured for the drafting and publishing windows. */
    static long drafted(Case c) throws Exception {
        pushedByOrthanc(c);
        waitFor(() -> "DRAFTING".equals(stateOf(c)) || approvals.draftOf(c.uid) > 0, 120_000);
        long t0 = System.nanoTime();
        long draft = await().atMost(180, SECONDS).pollInterval(5, MILLISECONDS).until(() -> approvals.draftOf(c.uid), d -> d > 0);
        draftingMs = Math.max(200, (System.nanoTime() - t0) / 1_000_000L);
        return draft;
    }

    static String stateOf(Case c) throws SQLException {
        try (Connection db = daemon.db(); PreparedStatement ps = db.prepareStatement(
                "SELECT state FROM study WHERE study_instance_uid = ?")) {
            ps.setString(1, c.uid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /** The radiologist's approval (as the RIS's reading workflow sends it): the HTTP status, or -1 without an answer. */
    static int approve(long draftId) {
        try {
            long t0 = System.nanoTime();
            HttpResponse<String> r = daemon.request("POST", "/fhir/DiagnosticReport/" + draftId + "/$approve",
                    daemon.token("radiologist"), Map.of("Content-Type", "application/fhir+json"), JSON.writeValueAsString(
                            Map.of("resourceType", "Parameters", "parameter", List.of(
                                    Map.of("name", "findings", "valueString", "Lungs clear."),
                                    Map.of("name", "impression", "valueString", "Normal chest.")))));
            if (r.statusCode() == 200) {
                approveMs = Math.max(20, (System.nanoTime() - t0) / 1_000_000L);
            }
            if (r.statusCode() != 200) {
                System.out.println("faults-approve: draft " + draftId + " answered " + r.statusCode() + " " + r.body());
            }
            return r.statusCode();
        } catch (Exception e) {
            System.out.println("faults-approve: draft " + draftId + " no answer: " + e);
            return -1;
        }
    }

    /** How many copies of the case's report the stage's peer holds (by its stable id). */
    static int atPeer(Case c) throws Exception {
        return switch (c.stage) {
            case FHIR -> fhirReports(c);
            case HL7 -> controlIds(c).size();
            default -> srUids(c).size();
        };
    }

    /** Whether the stage's peer has received the case's report (cheaper than {@link #atPeer}: polled every few ms). */
    static boolean received(Case c) throws Exception {
        return switch (c.stage) {
            case FHIR -> fhir.transactions().stream().anyMatch(l -> List.of(l.split(" ")).contains(c.accession));
            case HL7 -> !controlIds(c).isEmpty();
            default -> !srUids(c).isEmpty();
        };
    }

    static int fhirReports(Case c) throws Exception {
        return JSON.readTree(fhir.get("/DiagnosticReport?identifier=" + c.accession + "&_summary=count")).get("total").asInt();
    }

    static Set<String> controlIds(Case c) {
        Set<String> ids = new HashSet<>();
        for (MllpPeer.Received m : ris.received()) {
            if (c.accession.equals(Hl7DeliveryIT.accession(m.message()))) {
                ids.add(m.controlId());
            }
        }
        return ids;
    }

    static Set<String> srUids(Case c) throws Exception {
        Set<String> uids = new HashSet<>();
        for (JsonNode sr : DicomSrDeliveryIT.srsIn(pacs, c.uid)) {
            uids.add(sr.get("MainDicomTags").get("SOPInstanceUID").asText());
        }
        return uids;
    }

    // --- after the restart -------------------------------------------------------------------------

    /** The RIS carries the case on: waits for its draft, approves it unless decided (a retried approval), waits for delivery. */
    static void complete(Case c) throws Exception {
        long draft = await().atMost(180, SECONDS).pollInterval(100, MILLISECONDS).until(() -> currentDraft(c), d -> d > 0);
        if (c.stage == Stage.DECISION || "DRAFTED".equals(draftState(draft))) {
            int status = approve(draft); // the RIS resends what it had no answer to; a decided report answers 4xx
            if (status != 200 && "DRAFTED".equals(draftState(draft))) {
                throw new AssertionError("approval after the restart answered " + status);
            }
        }
        Approvals.Study s = new Approvals.Study(c.uid, c.accession, draft);
        for (String channel : List.of(DeliveryChannels.FHIR, DeliveryChannels.HL7, DeliveryChannels.DICOM_SR)) {
            await().atMost(120, SECONDS).pollInterval(200, MILLISECONDS).until(() -> approvals.outbox(s).stream()
                    .anyMatch(r -> r.channel().equals(channel) && r.state().equals("SENT")));
        }
    }

    /** The study's draft that is not SUPERSEDED (0 while there is none). */
    static long currentDraft(Case c) throws SQLException {
        try (Connection db = daemon.db(); PreparedStatement ps = db.prepareStatement("""
                SELECT d.id FROM draft d JOIN study s ON s.id = d.study_id
                WHERE s.study_instance_uid = ? AND d.state <> 'SUPERSEDED' ORDER BY d.id DESC""")) {
            ps.setString(1, c.uid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    static String draftState(long draft) throws SQLException {
        try (Connection db = daemon.db(); PreparedStatement ps = db.prepareStatement("SELECT state FROM draft WHERE id = ?")) {
            ps.setLong(1, draft);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    static long count(Connection db, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /**
     * The invariants over every case so far; adds what broke to {@code failures}. Returns the counts of
     * lost instances, studies with other than one current draft, duplicate deliveries, lost or doubled decisions.
     */
    static final Set<String> reported = new HashSet<>();

    static void failed(List<String> failures, int[] found, int kind, String what) {
        if (reported.add(what)) {
            failures.add(what);
            if (kind >= 0) {
                found[kind]++;
            }
        }
    }

    static int[] check(List<String> failures) throws Exception {
        int[] found = new int[4];
        Path spool = daemon.home().resolve("spool");
        try (Connection db = daemon.db()) {
            for (Case c : cases) {
                String who = c.stage + " run " + c.run + " " + c.accession;
                for (String sop : c.acknowledged) {
                    String path = null;
                    try (PreparedStatement ps = db.prepareStatement("SELECT path FROM instance WHERE sop_instance_uid = ?")) {
                        ps.setString(1, sop);
                        try (ResultSet rs = ps.executeQuery()) {
                            path = rs.next() ? rs.getString(1) : null;
                        }
                    }
                    if (path == null || !Files.isRegularFile(spool.resolve(path)) || Files.size(spool.resolve(path)) == 0) {
                        failed(failures, found, 0, who + ": acknowledged instance " + sop + " lost (row " + path + ")");
                    }
                }
                long current = count(db, """
                        SELECT COUNT(*) FROM draft d JOIN study s ON s.id = d.study_id
                        WHERE s.study_instance_uid = ? AND d.state <> 'SUPERSEDED'""", c.uid);
                if (current != 1) {
                    failed(failures, found, 1, who + ": " + current + " current drafts");
                }
                long draft = currentDraft(c);
                long approvals = count(db, "SELECT COUNT(*) FROM audit_event WHERE draft_id = ? AND action = 'approve'"
                        + " AND outcome = '0'", draft);
                long feedback = count(db, "SELECT COUNT(*) FROM feedback WHERE draft_id = ?", draft);
                if (approvals != 1 || feedback != 1 || !draftState(draft).startsWith("APPROVED")) {
                    failed(failures, found, 3, who + ": decision " + draftState(draft) + ", " + approvals + " approvals, " + feedback
                            + " feedback rows (answered " + c.approvalAnswered + ")");
                }
                int reports = fhirReports(c);
                int messages = controlIds(c).size();
                int srs = srUids(c).size();
                if (reports > 1 || messages > 1 || srs > 1) {
                    failed(failures, found, 2, who + ": delivered " + reports + " DiagnosticReports, " + messages + " MSH-10s, " + srs + " SRs");
                }
                if (reports == 0 || messages == 0 || srs == 0) {
                    failed(failures, found, -1, who + ": not delivered: " + reports + " DiagnosticReports, " + messages + " MSH-10s, "
                            + srs + " SRs");
                }
            }
        }
        return found;
    }
}
