package org.raddraft;

import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.MainListenerSupport;
import org.raddraft.dicom.StoreFailure;
import org.raddraft.dicom.StoreScu;
import org.raddraft.review.Actor;
import org.raddraft.review.Role;
import org.raddraft.review.Users;
import org.raddraft.store.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code raddraft demo}: the daemon on embedded defaults under ./var (H2, loopback only), which
 * pushes the generated demo study in testdata/demo to itself once it is up, and prints the review
 * page's URL with the login of a demo radiologist account.
 */
final class DemoCommand implements App.Command {

    private static final Logger log = LoggerFactory.getLogger(DemoCommand.class);
    static final String DEMO_AE = "RADDRAFT-DEMO";

    @Override
    public int run(String[] args) throws Exception {
        Options.parse(args, Set.of(), Set.of());
        Settings s = Settings.load(null)
                .with("dicom.bind", "127.0.0.1")
                .with("dicom.allowed-peers", DEMO_AE + "@127.0.0.1")
                .with("study.quiet-seconds", "5")
                .with("http.metrics-anonymous", "true"); // loopback only: curl /metrics without a token
        if (!RunCommand.startable(s)) {
            return 1;
        }
        char[] password = demoAccount(s);
        Daemon daemon = RunCommand.open(s);
        if (daemon == null) {
            return 1;
        }
        daemon.camel().addMainListener(new MainListenerSupport() {
            @Override
            public void afterStart(BaseMainSupport main) {
                // stdout, not the log: this is what the newcomer reads
                System.out.printf("demo: review page http://%s:%s/ui/ - log in as %s with password %s%n",
                        s.get("http.bind"), s.get("http.port"), DEMO_USER, new String(password));
                System.out.flush();
                new Thread(() -> push(s, password), "demo-push").start();
            }
        });
        daemon.runUntilStopped();
        return 0;
    }

    static final String DEMO_USER = "demo-radiologist";

    /**
     * The demo's radiologist account, with a fresh random password each run (printed on stdout, never
     * stored in clear): created on the first run, its password renewed on later ones.
     */
    static char[] demoAccount(Settings s) throws Exception {
        byte[] random = new byte[12];
        new SecureRandom().nextBytes(random);
        char[] password = Base64.getUrlEncoder().withoutPadding().encodeToString(random).toCharArray();
        try (Database db = Databases.forAdmin(s)) {
            Users users = new Users(db, Clock.systemUTC());
            if (users.list().stream().noneMatch(u -> u.name().equals(DEMO_USER))) {
                users.add(Actor.commandLine(), DEMO_USER, Role.RADIOLOGIST, List.of(), password.clone());
            } else {
                users.renewCredential(Actor.commandLine(), DEMO_USER, password.clone());
            }
        }
        return password;
    }

    private static void push(Settings s, char[] password) {
        Path demo = Path.of(System.getProperty("raddraft.app", ".")).resolve("testdata/demo");
        try (Stream<Path> files = Files.walk(demo)) {
            List<Path> dcm = files.filter(p -> p.toString().endsWith(".dcm")).sorted().toList();
            StoreScu.Peer self = new StoreScu.Peer("127.0.0.1", s.getInt("dicom.port"), s.get("dicom.ae-title"), DEMO_AE,
                    10_000, 60_000, null);
            int failed = 0;
            for (Path f : dcm) {
                try {
                    StoreScu.store(self, f);
                } catch (StoreFailure e) {
                    failed++;
                    log.error("demo: {} not stored: {}", f.getFileName(), e.getMessage());
                }
            }
            log.info("demo: pushed {} instance(s) from {} ({} failed); study settles in {} s; see http://{}:{}/metrics",
                    dcm.size() - failed, demo, failed, s.get("study.quiet-seconds"), s.get("http.bind"), s.get("http.port"));
            String accession = org.raddraft.dicom.DicomAttributes.read(dcm.get(0)).accessionNumber();
            String base = "http://" + s.get("http.bind") + ":" + s.get("http.port") + "/fhir";
            String token = session(base.substring(0, base.length() - "/fhir".length()), password);
            String url = awaitReport(base, accession, token);
            // stdout, as the login above: what the newcomer reads (the token is the demo radiologist's session)
            System.out.printf("demo: draft report at %s - curl -H 'Authorization: Bearer %s' %s%n", url, token, url);
            System.out.flush();
        } catch (Exception e) {
            log.error("demo: could not push the demo study from {}: {}", demo, e.getMessage());
        }
    }

    /** The URL of the newest report for this accession number, once the daemon has drafted and served it. */
    /** A session of the demo radiologist (POST /auth/session): the bearer token. */
    private static String session(String server, char[] password) throws Exception {
        var body = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(
                java.util.Map.of("name", DEMO_USER, "password", new String(password)));
        var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(server + "/auth/session")).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("demo login answered " + r.statusCode());
        }
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()).path("access_token").asText();
    }

    private static String awaitReport(String base, String accession, String token) throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        var search = java.net.http.HttpRequest.newBuilder(java.net.URI.create(base
                + "/DiagnosticReport?identifier=" + java.net.URLEncoder.encode(accession, java.nio.charset.StandardCharsets.UTF_8)
                + "&_sort=-issued&_count=1")).header("Accept", "application/fhir+json")
                .header("Authorization", "Bearer " + token).build();
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(10);
        while (System.nanoTime() < deadline) {
            var r = http.send(search, java.net.http.HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                var entry = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()).path("entry");
                if (entry.size() > 0) {
                    return base + "/DiagnosticReport/" + entry.get(0).path("resource").path("id").asText();
                }
            }
            Thread.sleep(1000);
        }
        throw new IllegalStateException("no report for the demo study after 10 minutes; see the log above");
    }
}
