package org.raddraft.dicom;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.raddraft.dicom.ScpTestSupport.NO_OPTIONS;

/** The dicom:scp consumer against real DCMTK storescu / echoscu. */
class CStoreScpTest {

    @TempDir
    Path dir;
    ScpFixture scp;

    @AfterEach
    void stop() throws Exception {
        if (scp != null) {
            scp.close();
        }
    }

    @Test
    void answersEcho() throws Exception {
        scp = ScpFixture.start(dir);
        Dcmtk.Result r = Dcmtk.run("echoscu", "-v", "-aet", "PACS", "-aec", ScpFixture.AE, "localhost", scp.port());
        assertTrue(r.ok(), r.toString());
        assertTrue(r.output().contains("Received Echo Response (Success)"), r.toString());
    }

    @Test
    void storesTwoImagesFromAllowedAe() throws Exception {
        scp = ScpFixture.start(dir);
        Path a = ScpTestSupport.cr(dir, "a.dcm");
        Path b = ScpTestSupport.cr(dir, "b.dcm");
        Dcmtk.Result r = Dcmtk.storescu(scp.port(), "MODALITY", ScpFixture.AE, NO_OPTIONS, a, b);
        System.out.println(r);
        assertTrue(r.ok(), r.toString());
        assertEquals(2, scp.receivedFiles().size(), r.toString());
        assertEquals(List.of(true, true), scp.tempFileWasInPlace);
        assertEquals(List.of(), scp.tempFiles());
    }
}
