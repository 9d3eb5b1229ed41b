package org.raddraft.flags;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlagCalibrationTest {

    @TempDir
    Path tmp;

    @Test
    void writtenAndReadBackUnchanged() throws IOException {
        FlagCalibration c = FlagAssessorTest.calibration();
        Path f = tmp.resolve(FlagCalibration.FILE);
        c.write(f);
        FlagCalibration back = FlagCalibration.read(f);
        assertEquals(c.relevance(), back.relevance());
        assertEquals(c.critical(), back.critical());
        assertEquals(c.lowConfidence(), back.lowConfidence());
        assertEquals(c.classifier(), back.classifier());
        assertEquals(3, back.ood().groups().get("image").limit());
        assertTrue(Files.readString(f).contains("\"critical_margin\""), "snake_case keys");
    }

    @Test
    void aFileWithoutTheWholeDraftWeightSaysHowToFixIt() throws IOException {
        Path f = tmp.resolve("bad.json");
        Files.writeString(f, "{\"schema\":\"raddraft-flags/1\",\"relevance\":{\"Pneumothorax\":1.5},"
                + "\"low_confidence\":{\"mean_log_prob\":-1,\"sentence_log_prob\":-1,\"scale\":1}}");
        IOException e = assertThrows(IOException.class, () -> FlagCalibration.read(f));
        assertTrue(e.getMessage().contains("\"*\" weight"), e.getMessage());
        assertTrue(e.getMessage().contains("risk is missing"), e.getMessage());
        assertTrue(e.getMessage().contains("raddraft calibrate"), e.getMessage());
    }

    @Test
    void notJsonIsReportedWithTheFileName() throws IOException {
        Path f = tmp.resolve("x.json");
        Files.writeString(f, "{not json");
        IOException e = assertThrows(IOException.class, () -> FlagCalibration.read(f));
        assertTrue(e.getMessage().startsWith(f + " is not a valid flag calibration"), e.getMessage());
    }
}
