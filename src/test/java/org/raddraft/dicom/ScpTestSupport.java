package org.raddraft.dicom;

import java.nio.file.Path;
import java.util.List;

/** Shared bits of the SCP tests. */
final class ScpTestSupport {

    static final List<String> NO_OPTIONS = List.of();

    private ScpTestSupport() {
    }

    static Path cr(Path dir, String name) throws Exception {
        return TestImages.write(dir.resolve(name), TestImages.Spec.chest(12));
    }
}
