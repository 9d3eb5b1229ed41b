package org.raddraft;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The effective configuration: built-in defaults (the documented config/raddraft.properties,
 * packaged as a resource), then the admin's file, then environment variables, then -D system
 * properties. Values are checked by {@link ConfigCheck}; getters here assume a checked config.
 */
public final class Settings {

    static final String DEFAULTS_RESOURCE = "/raddraft.properties";

    private final Map<String, String> values;

    private Settings(Map<String, String> values) {
        this.values = values;
    }

    /** Defaults, overlaid by {@code configFile} (may be null), the environment and system properties. */
    public static Settings load(Path configFile) throws IOException {
        return load(configFile, System.getenv(), System.getProperties());
    }

    static Settings load(Path configFile, Map<String, String> env, Properties system) throws IOException {
        Map<String, String> merged = new TreeMap<>();
        Properties defaults = new Properties();
        try (InputStream in = Settings.class.getResourceAsStream(DEFAULTS_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing " + DEFAULTS_RESOURCE + " on the classpath");
            }
            defaults.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
        }
        defaults.forEach((k, v) -> merged.put((String) k, ((String) v).trim()));
        if (configFile != null) {
            Properties file = new Properties();
            try (Reader r = Files.newBufferedReader(configFile, StandardCharsets.UTF_8)) {
                file.load(r);
            }
            file.forEach((k, v) -> merged.put((String) k, ((String) v).trim()));
        }
        // Overrides apply to every known key and to any key the file added.
        for (String key : merged.keySet().toArray(String[]::new)) {
            String fromEnv = env.get(envName(key));
            if (fromEnv != null) {
                merged.put(key, fromEnv.trim());
            }
        }
        for (String key : system.stringPropertyNames()) {
            if (merged.containsKey(key) || key.startsWith("raddraft.") || key.startsWith("dicom.")) {
                merged.put(key, system.getProperty(key).trim());
            }
        }
        return new Settings(merged);
    }

    /** dicom.ae-title → DICOM_AE_TITLE */
    static String envName(String key) {
        return key.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** A copy with one value replaced (used by demo and tests). */
    public Settings with(String key, String value) {
        Map<String, String> copy = new TreeMap<>(values);
        copy.put(key, value);
        return new Settings(copy);
    }

    /** node.id, else this host's name: who claims work in a database several nodes share. */
    public String nodeId() {
        String id = get("node.id");
        if (!id.isEmpty()) {
            return id;
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            String env = System.getenv("HOSTNAME");
            return env == null || env.isEmpty() ? "localhost" : env;
        }
    }

    public String get(String key) {
        return values.getOrDefault(key, "");
    }

    public int getInt(String key) {
        return Integer.parseInt(get(key));
    }

    public long getLong(String key) {
        return Long.parseLong(get(key));
    }

    public boolean getBoolean(String key) {
        return Boolean.parseBoolean(get(key));
    }

    public Path home() {
        return Path.of(get("raddraft.home")).toAbsolutePath().normalize();
    }

    /** A path setting; relative paths are resolved against {@link #home()}. */
    public Path path(String key) {
        return home().resolve(get(key));
    }

    /** The model directory; relative paths are resolved against the installation (raddraft.app). */
    public Path modelDir() {
        return Path.of(System.getProperty("raddraft.app", ".")).toAbsolutePath().resolve(get("model.dir")).normalize();
    }

    public Path spoolDir() {
        return home().resolve("spool");
    }

    /**
     * Where the DICOM receiver writes each instance before it is indexed: {@code spool/tmp}, or
     * {@code spool/tmp/<node id>} with a server database ({@code store.jdbc-url}), whose nodes may share
     * the spool: a node's start-up recovery then takes only its own files and other nodes' abandoned
     * ones, never a file another node is receiving (InstanceIndex.recover).
     */
    public Path receiveDir() {
        Path tmp = spoolDir().resolve("tmp");
        return get("store.jdbc-url").isEmpty() ? tmp : tmp.resolve(nodeId());
    }

    public String jdbcUrl() {
        String url = get("store.jdbc-url");
        if (!url.isEmpty()) {
            return url;
        }
        // in-process only: admin commands reach a running daemon's database through its loopback server (Databases)
        return org.raddraft.store.EmbeddedH2.fileUrl(home().resolve("db"));
    }

    /** Settings that name files: given relative, they are resolved against raddraft.home. */
    static final java.util.List<String> FILE_KEYS = java.util.List.of("dicom.tls.keystore", "dicom.tls.truststore",
            "http.tls.keystore");

    /** All values, for Camel property placeholders such as {{dicom.port}}; file settings made absolute. */
    public Properties asProperties() {
        Properties p = new Properties();
        values.forEach(p::setProperty);
        p.setProperty("raddraft.home", home().toString());
        p.setProperty("raddraft.receive-dir", receiveDir().toString());
        for (String key : FILE_KEYS) {
            if (!get(key).isEmpty()) {
                p.setProperty(key, path(key).toString());
            }
        }
        return p;
    }

    Map<String, String> values() {
        return values;
    }
}
