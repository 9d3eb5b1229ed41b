package org.raddraft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.OpenAiPeer;

/** check-config on a remote (openai-chat) model: the remote.* settings, then each engine's GET /v1/models. */
class RemoteConfigTest {

    @TempDir
    Path tmp;

    private Settings settings(String... lines) throws Exception {
        String text = "model.dir=" + Path.of("models/remote-medgemma-example").toAbsolutePath() + "\n"
                + String.join("\n", lines) + "\n";
        return Settings.load(Files.writeString(tmp.resolve("raddraft.properties"), text));
    }

    @Test
    void emptyOrWrongEndpointsAndValuesAreReportedWithTheirFix() throws Exception {
        List<String> p = ConfigCheck.problems(settings("remote.endpoints=", "remote.max-concurrent=0"));
        assertTrue(p.stream().anyMatch(x -> x.startsWith("remote.endpoints is empty")), p.toString());
        assertTrue(p.stream().anyMatch(x -> x.startsWith("remote.max-concurrent: 0 is out of range")), p.toString());
        p = ConfigCheck.problems(settings("remote.endpoints=gpu1:8000", "remote.send-indication=yes"));
        assertTrue(p.stream().anyMatch(x -> x.contains("'gpu1:8000' is not an http(s) URL")), p.toString());
        assertTrue(p.stream().anyMatch(x -> x.startsWith("remote.send-indication: 'yes' is not a boolean")), p.toString());
    }

    @Test
    void theProbeSaysWhichEngineIsDownRefusesTheKeyOrServesAnotherModel() throws Exception {
        try (OpenAiPeer right = OpenAiPeer.start(OpenAiPeer.Options.of(OpenAiPeer.referenceModel())
                     .withServedModelName("google/medgemma-4b-it").withApiKey("k1"));
             OpenAiPeer other = OpenAiPeer.start(OpenAiPeer.Options.of(OpenAiPeer.referenceModel())
                     .withServedModelName("Qwen/Qwen2.5-VL-7B-Instruct"))) {
            Settings s = settings("remote.endpoints=" + right.baseUrl() + "," + other.baseUrl());
            assertEquals(List.of(), ConfigCheck.problems(s));
            assertEquals(List.of("remote.endpoints: 127.0.0.1:" + other.port() + ": serves [Qwen/Qwen2.5-VL-7B-Instruct], "
                    + "not 'google/medgemma-4b-it'; write one of those as remote.model (or the manifest's remote.model), "
                    + "or start the engine with --served-model-name google/medgemma-4b-it"),
                    RemoteConfig.probe(s, Map.of("RADDRAFT_REMOTE_API_KEY", "k1")));
            List<String> noKey = RemoteConfig.probe(s, Map.of());
            assertTrue(noKey.get(0).contains("HTTP 401: the engine refuses the API key"), noKey.toString());
        }
    }
}
