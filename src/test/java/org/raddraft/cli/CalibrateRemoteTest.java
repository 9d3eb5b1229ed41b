package org.raddraft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.flags.FlagCalibration;
import org.raddraft.testing.OpenAiPeer;

/** {@code raddraft calibrate} on a remote (openai-chat) model directory, against the engine stand-in. */
class CalibrateRemoteTest {

    @TempDir
    Path tmp;

    @Test
    void calibratesARemoteModelFromTheSignalsTheEngineReturns() throws Exception {
        try (OpenAiPeer peer = OpenAiPeer.start(OpenAiPeer.Options.of(OpenAiPeer.referenceModel())
                .withServedModelName("google/medgemma-4b-it"))) {
            Path cfg = Files.writeString(tmp.resolve("raddraft.properties"), "remote.endpoints=" + peer.baseUrl() + "\n");
            Path out = tmp.resolve(FlagCalibration.FILE);
            ByteArrayOutputStream stdout = new ByteArrayOutputStream();
            int rc = new CalibrateCommand(new PrintStream(stdout, true, StandardCharsets.UTF_8), System.err)
                    .run(new String[] {"--model", "models/remote-medgemma-example", "--config", cfg.toString(),
                            "--studies", "24", "--out", out.toString()});
            assertEquals(0, rc, stdout.toString());
            FlagCalibration c = FlagCalibration.read(out);
            assertEquals("medgemma-4b-it", c.model());
            assertTrue(c.lowConfidence().meanLogProb() < 0, "fitted on the answers' token log-probabilities");
            assertNotNull(c.grounding(), "the engine scored the drafts with the images replaced by noise");
            assertNull(c.classifier(), "no local classifier in the directory");
            assertTrue(stdout.toString().contains("calibrated medgemma-4b-it"), stdout.toString());
        }
    }

    @Test
    void aRemoteModelNeedsTheConfigurationThatNamesItsEngines() {
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(org.raddraft.Options.UsageException.class,
                () -> new CalibrateCommand(System.out, System.err).run(new String[] {"--model", "models/remote-medgemma-example"}));
        assertTrue(e.getMessage().contains("--config"), e.getMessage());
    }
}
