package org.raddraft.inference.remote;

import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * Where and how the remote engine is reached (config/raddraft.properties {@code remote.*}; the API key
 * from the environment only), and which optional inputs may leave the machine.
 *
 * @param endpoints       base URLs tried in order (e.g. http://gpu1:8000); the API paths are /v1/...
 * @param modelOverride   the engine's model id, or null for the manifest's remote.model
 * @param timeout         the whole answer of one request (non-streaming)
 * @param connectTimeout  TCP connect
 * @param maxConcurrent   requests in flight per endpoint (the engine batches them)
 * @param apiKey          bearer key, or null when the engine has none
 * @param breakerFailures consecutive failures that open an endpoint's circuit
 * @param breakerOpen     how long an open circuit skips the endpoint before one trial request
 * @param backoff         base pause after a failed request before the next endpoint (doubled per failure, with jitter)
 * @param sendIndication  the scrubbed indication may be sent (when the prompt uses it)
 * @param sendPriorReport the scrubbed prior report and its interval may be sent (when the prompt uses them)
 * @param allowBurnedIn   images marked BurnedInAnnotation=YES may be sent
 * @param groundingCheck  re-score each draft with the images ablated (two more requests) when the model's engine can
 */
public record RemoteSettings(List<URI> endpoints, String modelOverride, Duration timeout, Duration connectTimeout,
                             int maxConcurrent, String apiKey, int breakerFailures, Duration breakerOpen,
                             Duration backoff, boolean sendIndication, boolean sendPriorReport, boolean allowBurnedIn,
                             boolean groundingCheck) {

    public RemoteSettings {
        endpoints = List.copyOf(endpoints);
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("remote.endpoints is empty: write the base URL of the engine "
                    + "(e.g. http://gpu1:8000), several comma-separated to fail over in order");
        }
    }

    /** Comma-separated base URLs as remote.endpoints holds them; trailing slashes and a trailing /v1 dropped. */
    public static List<URI> parseEndpoints(String csv) {
        return java.util.Arrays.stream(csv.split(",")).map(String::strip).filter(s -> !s.isEmpty())
                .map(s -> s.replaceAll("/+$", "").replaceAll("/v1$", "")).map(URI::create).toList();
    }
}
