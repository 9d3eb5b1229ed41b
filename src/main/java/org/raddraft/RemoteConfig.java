package org.raddraft;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.raddraft.inference.InferenceException;
import org.raddraft.inference.ModelDirectory;
import org.raddraft.inference.remote.EndpointPool;
import org.raddraft.inference.remote.RemoteModel;
import org.raddraft.inference.remote.RemoteSettings;

/**
 * The {@code remote.*} settings: read into {@link RemoteSettings} (the API key from the environment
 * variable remote.api-key-env names, never from the file), checked, and probed by check-config.
 */
public final class RemoteConfig {

    private static final Set<String> BOOLEANS = Set.of("true", "false");
    private static final List<String> FLAGS = List.of("remote.send-indication", "remote.send-prior-report",
            "remote.allow-burned-in-annotation", "remote.grounding-check");

    private RemoteConfig() {
    }

    /** True when model.dir's manifest asks for the remote backend. */
    static boolean inUse(Settings s) {
        try {
            return ModelDirectory.OPENAI_CHAT.equals(ModelDirectory.backend(s.modelDir()));
        } catch (InferenceException e) {
            return false; // the model directory's own check reports it
        }
    }

    public static RemoteSettings of(Settings s) {
        return of(s, System.getenv());
    }

    static RemoteSettings of(Settings s, Map<String, String> env) {
        String keyVar = s.get("remote.api-key-env");
        String key = keyVar.isEmpty() ? null : env.get(keyVar);
        return new RemoteSettings(RemoteSettings.parseEndpoints(s.get("remote.endpoints")),
                s.get("remote.model").isEmpty() ? null : s.get("remote.model"),
                Duration.ofSeconds(s.getLong("remote.timeout-seconds")),
                Duration.ofSeconds(s.getLong("remote.connect-timeout-seconds")), s.getInt("remote.max-concurrent"),
                key == null || key.isBlank() ? null : key.strip(), s.getInt("remote.breaker.failures"),
                Duration.ofSeconds(s.getLong("remote.breaker.open-seconds")),
                Duration.ofMillis(s.getLong("remote.backoff-ms")), s.getBoolean("remote.send-indication"),
                s.getBoolean("remote.send-prior-report"), s.getBoolean("remote.allow-burned-in-annotation"),
                s.getBoolean("remote.grounding-check"));
    }

    /** Problems of the remote.* settings (only when the model directory uses the remote backend). */
    static void problems(Settings s, List<String> p) {
        if (!inUse(s)) {
            return;
        }
        try {
            RemoteModel.open(s.modelDir());
        } catch (InferenceException e) {
            p.add("model.dir: " + e.getMessage());
        }
        List<URI> eps;
        try {
            eps = RemoteSettings.parseEndpoints(s.get("remote.endpoints"));
        } catch (IllegalArgumentException e) {
            p.add("remote.endpoints: '" + s.get("remote.endpoints") + "' is not a list of URLs; write e.g. "
                    + "http://gpu1:8000,http://gpu2:8000");
            return;
        }
        if (eps.isEmpty()) {
            p.add("remote.endpoints is empty but " + s.modelDir() + " is a remote (openai-chat) model; write the "
                    + "engine's base URL, e.g. http://gpu1:8000");
        }
        for (URI u : eps) {
            if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
                p.add("remote.endpoints: '" + u + "' is not an http(s) URL with a host; write e.g. http://gpu1:8000");
            }
        }
        ConfigCheck.positive(s, "remote.timeout-seconds", 1, 3600, p);
        ConfigCheck.positive(s, "remote.connect-timeout-seconds", 1, 300, p);
        ConfigCheck.positive(s, "remote.max-concurrent", 1, 256, p);
        ConfigCheck.positive(s, "remote.breaker.failures", 1, 100, p);
        ConfigCheck.positive(s, "remote.breaker.open-seconds", 1, 86400, p);
        ConfigCheck.positive(s, "remote.backoff-ms", 0, 60000, p);
        for (String k : FLAGS) {
            if (!BOOLEANS.contains(s.get(k))) {
                p.add(k + ": '" + s.get(k) + "' is not a boolean; write true or false");
            }
        }
    }

    /**
     * GET /v1/models of every endpoint, once the settings are valid: each endpoint's problem (down, wrong
     * key, model not served) with what to do; empty when all serve the model.
     */
    static List<String> probe(Settings s) {
        return probe(s, System.getenv());
    }

    static List<String> probe(Settings s, Map<String, String> env) {
        if (!inUse(s)) {
            return List.of();
        }
        try {
            RemoteModel m = RemoteModel.open(s.modelDir());
            RemoteSettings rs = of(s, env);
            String model = rs.modelOverride() != null ? rs.modelOverride() : m.servedModel();
            try (EndpointPool pool = new EndpointPool(rs)) {
                return pool.probe(model).entrySet().stream().filter(e -> !e.getValue().equals("OK"))
                        .map(e -> "remote.endpoints: " + e.getKey() + ": " + e.getValue()).toList();
            }
        } catch (InferenceException | RuntimeException e) {
            return List.of(); // already reported by problems()
        }
    }
}
