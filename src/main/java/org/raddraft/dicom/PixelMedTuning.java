package org.raddraft.dicom;

import com.pixelmed.network.Association;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;

/**
 * PixelMed 20220618 keeps an association thread in {@code Object.wait(5000)} after answering an
 * A-RELEASE-RQ (its ARTIM wait for the peer to close), so every released association would hold
 * a thread and an association slot for 5 s. There is no setter; this shortens the private static
 * timeout once, by reflection, and logs (does not fail) when a PixelMed upgrade renames it.
 */
final class PixelMedTuning {

    private static final Logger LOG = LoggerFactory.getLogger(PixelMedTuning.class);
    static final int RELEASE_TO_CLOSE_MS = 100;
    private static volatile boolean applied;

    private PixelMedTuning() {
    }

    static synchronized void apply() {
        if (applied) {
            return;
        }
        applied = true;
        try {
            Field f = Association.class.getDeclaredField("associationReleaseToTransportConnectionCloseTimeoutInMilliseconds");
            f.setAccessible(true);
            f.setInt(null, RELEASE_TO_CLOSE_MS);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("cannot shorten PixelMed's post-release wait ({}); released associations hold a slot 5 s longer",
                    e.toString());
        }
    }
}
