package org.raddraft.dicom;

import com.pixelmed.dicom.SetOfDicomFiles;
import com.pixelmed.network.MultipleInstanceTransferStatusHandler;
import com.pixelmed.network.StorageSOPClassSCU;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;

/** C-STORE SCU: sends Part 10 files to a DICOM peer in one association (PixelMed's StorageSOPClassSCU). */
public final class StoreScu {

    /** What the peer answered: instances completed, failed and with warnings. */
    public record Outcome(int completed, int failed, int warnings) {
    }

    private StoreScu() {
    }

    public static Outcome send(String host, int port, String calledAe, String callingAe, Collection<Path> files)
            throws IOException {
        SetOfDicomFiles set = new SetOfDicomFiles();
        for (Path f : files) {
            set.add(f.toFile());
        }
        int[] last = new int[3];
        MultipleInstanceTransferStatusHandler status = new MultipleInstanceTransferStatusHandler() {
            @Override
            public void updateStatus(int remaining, int completed, int failed, int warning, String sopInstanceUid) {
                last[0] = completed;
                last[1] = failed;
                last[2] = warning;
            }
        };
        try {
            new StorageSOPClassSCU(host, port, calledAe, callingAe, set, 0, status);
        } catch (Exception e) {
            throw new IOException("C-STORE to " + calledAe + "@" + host + ":" + port + " failed: " + e.getMessage(), e);
        }
        return new Outcome(last[0], last[1], last[2]);
    }
}
