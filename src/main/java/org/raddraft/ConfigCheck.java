package org.raddraft;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Validates {@link Settings}: every problem is reported with the key, what is wrong and what to
 * write instead, so {@code raddraft check-config} is something an admin can act on line by line.
 */
public final class ConfigCheck {

    private static final Set<String> BOOLEANS = Set.of("true", "false");

    private ConfigCheck() {
    }

    public static List<String> problems(Settings s) {
        List<String> p = new ArrayList<>();
        port(s, "dicom.port", p);
        port(s, "http.port", p);
        address(s, "dicom.bind", p);
        address(s, "http.bind", p);
        aeTitle(s.get("dicom.ae-title"), "dicom.ae-title", p);
        for (String peer : s.get("dicom.allowed-peers").split(",")) {
            String ae = peer.trim();
            if (ae.isEmpty()) {
                continue;
            }
            int at = ae.indexOf('@');
            aeTitle(at < 0 ? ae : ae.substring(0, at), "dicom.allowed-peers", p);
            if (at >= 0 && ae.substring(at + 1).isBlank()) {
                p.add("dicom.allowed-peers: '" + ae + "' has an empty host; write AE or AE@host");
            }
        }
        positive(s, "dicom.max-associations", 1, 1000, p);
        positive(s, "dicom.request-timeout-seconds", 1, 300, p);
        positive(s, "dicom.max-associations-per-host", 0, 1000, p);
        positive(s, "dicom.max-instance-mb", 0, 1_000_000, p);
        positive(s, "image.max-pixels", 1, org.raddraft.dicom.DicomPixels.MAX_PIXELS_LIMIT, p);
        positive(s, "study.quiet-seconds", 0, 86400, p);
        positive(s, "storage.min-free-mb", 0, Integer.MAX_VALUE, p);
        positive(s, "retention.spool-days", 0, 36500, p);
        retention(s, p);
        // several nodes on one database (issue 25)
        positive(s, "draft.lease-seconds", 10, 86400, p);
        positive(s, "delivery.lease-seconds", 10, 86400, p);
        if (s.get("node.id").length() > 100 || !s.get("node.id").matches("[A-Za-z0-9._-]*")) {
            p.add("node.id: '" + s.get("node.id") + "' must be at most 100 letters, digits, '.', '_' or '-'");
        }
        positive(s, "scope.min-age-years", 0, 150, p);
        if (!BOOLEANS.contains(s.get("flags.enabled"))) {
            p.add("flags.enabled: '" + s.get("flags.enabled") + "' is not a boolean; write true or false");
        }
        if (!BOOLEANS.contains(s.get("dicom.tls.enabled"))) {
            p.add("dicom.tls.enabled: '" + s.get("dicom.tls.enabled") + "' is not a boolean; write true or false");
        } else if (s.getBoolean("dicom.tls.enabled")) {
            readableFile(s, "dicom.tls.keystore", true, p);
            readableFile(s, "dicom.tls.truststore", false, p);
        }
        positive(s, "model.threads", 0, 256, p);
        positive(s, "model.beams", 0, 16, p);
        positive(s, "draft.batch-size", 1, 64, p);
        positive(s, "draft.max-attempts", 1, 100, p);
        positive(s, "draft.retry-seconds", 0, 86400, p);
        shadowAndMonitor(s, p);
        if (!Set.of("cpu", "cuda").contains(s.get("model.device"))) {
            p.add("model.device: '" + s.get("model.device") + "' is not supported; write cpu or cuda");
        }
        if (!java.nio.file.Files.isDirectory(s.modelDir())) {
            p.add("model.dir: " + s.modelDir() + " is not a directory; write the path of a model directory (docs/model-contract.md)");
        }
        if (!Set.of("text", "json").contains(s.get("log.format"))) {
            p.add("log.format: '" + s.get("log.format") + "' is not supported; write text or json");
        }
        delivery(s, p);
        http(s, p);
        RemoteConfig.problems(s, p);
        String base = s.get("fhir.canonical-base");
        if (!base.matches("https?://[^\\s/]+(/\\S*)?")) {
            p.add("fhir.canonical-base: '" + base + "' is not an absolute http(s) URL; write e.g. http://raddraft.org/fhir");
        }
        Path home = s.home();
        if (Files.exists(home) && !Files.isWritable(home)) {
            p.add("raddraft.home: " + home + " is not writable by this user; fix its ownership or choose another directory");
        }
        return p;
    }

    private static void delivery(Settings s, List<String> p) {
        String url = s.get("delivery.fhir.base-url");
        if (!url.isEmpty()) {
            try {
                java.net.URI u = new java.net.URI(url);
                if (!Set.of("http", "https").contains(String.valueOf(u.getScheme())) || u.getHost() == null) {
                    p.add("delivery.fhir.base-url: '" + url + "' is not an http(s) URL; write e.g. https://fhir.example.org/fhir, or leave it empty to turn the FHIR channel off");
                }
            } catch (java.net.URISyntaxException e) {
                p.add("delivery.fhir.base-url: '" + url + "' is not a URL (" + e.getReason() + "); write e.g. https://fhir.example.org/fhir");
            }
        }
        String auth = s.get("delivery.fhir.auth");
        if (!Set.of("none", "bearer", "basic").contains(auth)) {
            p.add("delivery.fhir.auth: '" + auth + "' is not supported; write none, bearer or basic");
        } else if (!url.isEmpty() && auth.equals("bearer") && s.get("delivery.fhir.token").isEmpty()) {
            p.add("delivery.fhir.token: empty but delivery.fhir.auth=bearer; set DELIVERY_FHIR_TOKEN in the environment");
        } else if (!url.isEmpty() && auth.equals("basic")
                && (s.get("delivery.fhir.user").isEmpty() || s.get("delivery.fhir.password").isEmpty())) {
            p.add("delivery.fhir.user / delivery.fhir.password: both needed for delivery.fhir.auth=basic;"
                    + " set the password as DELIVERY_FHIR_PASSWORD in the environment");
        }
        positive(s, "delivery.fhir.timeout-seconds", 1, 600, p);
        if (s.get("delivery.fhir.identifier-system").isBlank()) {
            p.add("delivery.fhir.identifier-system: empty; write a URI such as urn:raddraft:report or your organisation's urn:oid:...");
        }
        if (!s.get("delivery.mllp.host").isEmpty()) {
            positive(s, "delivery.mllp.port", 1, 65535, p);
        }
        if (!s.get("delivery.dicom.host").isEmpty()) {
            dicomDelivery(s, p);
        }
        positive(s, "delivery.mllp.ack-timeout-seconds", 1, 600, p);
        positive(s, "delivery.poll-ms", 10, 3_600_000, p);
        positive(s, "delivery.max-in-flight", 1, 100, p);
        positive(s, "delivery.redeliveries", 0, 10, p);
        positive(s, "delivery.redelivery-delay-ms", 0, 60_000, p);
        positive(s, "delivery.retry-seconds", 1, 86400, p);
        positive(s, "delivery.retry-max-seconds", 1, 7 * 86400, p);
        positive(s, "delivery.max-attempts", 1, 10_000, p);
        positive(s, "delivery.ready-max-backlog-seconds", 1, 30 * 86400, p);
        if (!Set.of("P", "T", "D").contains(s.get("delivery.hl7.processing-id"))) {
            p.add("delivery.hl7.processing-id: '" + s.get("delivery.hl7.processing-id")
                    + "' is not an HL7 processing id; write P (production), T (training) or D (debugging)");
        }
    }

    /** The DICOM SR channel's PACS, checked only when the channel is on. */
    private static void dicomDelivery(Settings s, List<String> p) {
        positive(s, "delivery.dicom.port", 1, 65535, p);
        aeTitle(s.get("delivery.dicom.ae-title"), "delivery.dicom.ae-title", p);
        aeTitle(s.get("delivery.dicom.calling-ae-title"), "delivery.dicom.calling-ae-title", p);
        positive(s, "delivery.dicom.connect-timeout-seconds", 1, 600, p);
        positive(s, "delivery.dicom.response-timeout-seconds", 1, 3600, p);
        if (!s.get("delivery.dicom.uid-root").isEmpty()) {
            try {
                org.raddraft.dicom.DicomUids.checkRoot(s.get("delivery.dicom.uid-root"));
            } catch (IllegalArgumentException e) {
                p.add("delivery.dicom.uid-root: " + e.getMessage() + "; or leave it empty for 2.25 UUID-derived UIDs");
            }
        }
        if (!BOOLEANS.contains(s.get("delivery.dicom.tls.enabled"))) {
            p.add("delivery.dicom.tls.enabled: '" + s.get("delivery.dicom.tls.enabled") + "' is not a boolean; write true or false");
        } else if (s.getBoolean("delivery.dicom.tls.enabled")) {
            readableFile(s, "delivery.dicom.tls.truststore", false, p);
            readableFile(s, "delivery.dicom.tls.keystore", false, p);
        }
    }

    /**
     * What is valid but risky: printed by {@code check-config} and logged at start, without stopping it:
     * plain HTTP beyond loopback that the admin allowed by name, and anonymous metrics.
     */
    public static List<String> warnings(Settings s) {
        List<String> w = new ArrayList<>();
        if (s.get("http.tls.keystore").isEmpty() && !isLoopback(s.get("http.bind"))
                && s.getBoolean("http.allow-insecure-plaintext")) {
            w.add("http.bind: '" + s.get("http.bind") + "' serves plain HTTP to the network "
                    + "(http.allow-insecure-plaintext=true): passwords, tokens and reports cross it unencrypted unless "
                    + "a TLS proxy on this host fronts it; set http.tls.keystore to serve HTTPS instead");
        }
        if (s.getBoolean("http.metrics-anonymous")) {
            w.add("http.metrics-anonymous: true; /metrics answers anyone who can reach http.port");
        }
        // issue 21 #18, #7: patient data and the database password closed to other users of this host
        w.addAll(StateDirectories.tooOpen(s));
        w.addAll(org.raddraft.store.EmbeddedH2.tooOpen(s.home().resolve("db")));
        return w;
    }

    /** The review API's transport and sign-in: no credentials in clear text off this host unless asked for by name. */
    private static void http(Settings s, List<String> p) {
        for (String key : List.of("http.allow-insecure-plaintext", "http.metrics-anonymous", "http.cookie-secure")) {
            if (!BOOLEANS.contains(s.get(key))) {
                p.add(key + ": '" + s.get(key) + "' is not a boolean; write true or false");
            }
        }
        try {
            new org.raddraft.review.ClientAddress(s.get("http.trusted-proxies"));
        } catch (IllegalArgumentException e) {
            p.add(e.getMessage());
        }
        boolean tls = !s.get("http.tls.keystore").isEmpty();
        if (tls) {
            readableFile(s, "http.tls.keystore", false, p);
            if (Files.isReadable(s.path("http.tls.keystore"))) {
                try (var in = Files.newInputStream(s.path("http.tls.keystore"))) {
                    java.security.KeyStore.getInstance("PKCS12").load(in, s.get("http.tls.keystore-password").toCharArray());
                } catch (Exception e) {
                    p.add("http.tls.keystore: " + s.path("http.tls.keystore") + " does not open as PKCS12 with "
                            + "http.tls.keystore-password (" + e.getMessage() + "); check the file and the password "
                            + "(HTTP_TLS_KEYSTORE_PASSWORD)");
                }
            }
        } else if (!isLoopback(s.get("http.bind")) && !s.getBoolean("http.allow-insecure-plaintext")) {
            p.add("http.bind: " + s.get("http.bind") + " is reachable from other hosts but http.tls.keystore is empty: "
                    + "passwords, tokens and reports would cross the network in clear text; set http.tls.keystore "
                    + "(HTTPS), bind to 127.0.0.1, or set http.allow-insecure-plaintext=true if a TLS proxy on this "
                    + "host fronts it");
        }
        positive(s, "auth.session-hours", 1, 720, p);
        positive(s, "auth.session-idle-minutes", 1, 1440, p);
        String issuer = s.get("auth.oidc.issuer");
        if (!issuer.isEmpty()) {
            String jwks = s.get("auth.oidc.jwks");
            if (jwks.isEmpty()) {
                p.add("auth.oidc.jwks: empty but auth.oidc.issuer is set; write the identity provider's JWKS URL "
                        + "(https://.../certs) or the path of a JWKS file, or empty auth.oidc.issuer to turn OIDC off");
            } else if (jwks.startsWith("http://")) {
                p.add("auth.oidc.jwks: " + jwks + " is plain http; signing keys fetched without TLS can be forged, "
                        + "write the https URL");
            } else if (!jwks.startsWith("https://") && !Files.isReadable(s.path("auth.oidc.jwks"))) {
                p.add("auth.oidc.jwks: " + s.path("auth.oidc.jwks") + " is not a readable file; write the JWKS URL "
                        + "(https://...) or fix the path");
            }
            for (String key : List.of("auth.oidc.audience", "auth.oidc.username-claim", "auth.oidc.roles-claim")) {
                if (s.get(key).isEmpty()) {
                    p.add(key + ": empty but auth.oidc.issuer is set; write a value (see config/raddraft.properties)");
                }
            }
        }
    }

    static boolean isLoopback(String address) {
        try {
            return InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return true; // reported as a bad address already
        }
    }

    /** Shadow drafting and review monitoring (issue 26). */
    private static void shadowAndMonitor(Settings s, List<String> p) {
        positive(s, "shadow.max-queue", 1, 1000, p);
        positive(s, "shadow.max-delay-seconds", 1, 86400, p);
        positive(s, "shadow.threads", 1, 256, p);
        positive(s, "monitor.window-days", 1, 3650, p);
        positive(s, "monitor.max-groups", 1, 100, p);
        positive(s, "monitor.alert-min-count", 1, 1_000_000, p);
        positive(s, "monitor.interval-seconds", 5, 86400, p);
        try {
            double m = Double.parseDouble(s.get("monitor.alert-margin"));
            if (!(m >= 0 && m <= 1)) {
                p.add("monitor.alert-margin: " + m + " is out of range; write a number from 0 to 1, e.g. 0.10");
            }
        } catch (NumberFormatException e) {
            p.add("monitor.alert-margin: '" + s.get("monitor.alert-margin") + "' is not a number; write one from 0 to 1, e.g. 0.10");
        }
    }

    private static void port(Settings s, String key, List<String> p) {
        positive(s, key, 0, 65535, p);
    }

    /** Row retention: whole days, and the audit trail kept at least as long as what it records. */
    private static void retention(Settings s, List<String> p) {
        int before = p.size();
        for (String key : List.of("retention.rows.study-days", "retention.rows.audit-days", "retention.rows.session-days")) {
            positive(s, key, 0, 36500, p);
        }
        positive(s, "retention.purge-interval-hours", 0, 8760, p);
        positive(s, "retention.spool-free-watermark-percent", 0, 99, p);
        if (p.size() > before) {
            return;
        }
        org.raddraft.ops.RowRetention.Days d = org.raddraft.ops.RowRetention.days(s);
        if (d.audit() > 0 && d.studies() == 0) {
            p.add("retention.rows.audit-days: " + d.audit() + " removes the audit trail of studies kept forever"
                    + " (retention.rows.study-days=0); write 0, or set retention.rows.study-days to at most " + d.audit());
        } else if (d.audit() > 0 && d.audit() < Math.max(d.studies(), d.sessions())) {
            p.add("retention.rows.audit-days: " + d.audit() + " is fewer than retention.rows.study-days or session-days ("
                    + Math.max(d.studies(), d.sessions()) + "); the audit trail is kept longest: write 0 or at least "
                    + Math.max(d.studies(), d.sessions()));
        }
    }

    static void positive(Settings s, String key, long min, long max, List<String> p) {
        String v = s.get(key);
        try {
            long n = Long.parseLong(v);
            if (n < min || n > max) {
                p.add(key + ": " + n + " is out of range; write a whole number from " + min + " to " + max);
            }
        } catch (NumberFormatException e) {
            p.add(key + ": '" + v + "' is not a whole number; write a number from " + min + " to " + max);
        }
    }

    private static void address(Settings s, String key, List<String> p) {
        try {
            InetAddress.getByName(s.get(key));
        } catch (UnknownHostException e) {
            p.add(key + ": '" + s.get(key) + "' is not an address of this host; write an IP address such as 0.0.0.0 or 127.0.0.1");
        }
    }

    private static void aeTitle(String ae, String key, List<String> p) {
        // DICOM PS3.5: AE is 1-16 characters of the default repertoire, no backslash or control characters.
        if (ae.isEmpty() || ae.length() > 16 || !ae.chars().allMatch(c -> c >= 0x20 && c < 0x7f && c != '\\')
                || ae.isBlank()) {
            p.add(key + ": '" + ae + "' is not a valid AE title; write 1 to 16 printable ASCII characters without backslash");
        }
    }

    private static void readableFile(Settings s, String key, boolean required, List<String> p) {
        String v = s.get(key);
        if (v.isEmpty()) {
            if (required) {
                p.add(key + ": empty but dicom.tls.enabled=true; write the path of a PKCS12 keystore, or set dicom.tls.enabled=false");
            }
            return;
        }
        Path f = s.path(key);
        if (!Files.isReadable(f)) {
            p.add(key + ": " + f + " is not a readable file; fix the path or the file's permissions");
        }
    }
}
