package org.raddraft.inference;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Where the inference tests find the model and data: the committed reference model
 * ({@code models/reference-cxr}, or {@code -Draddraft.model=DIR}), its fixtures
 * ({@code src/test/resources/org/raddraft/inference/reference-cxr}, or {@code -Draddraft.modelFixtures=DIR}),
 * and the shared real radiographs ({@code -Draddraft.sharedData}, default ../shared/data).
 * Tests that need one that is absent are skipped with a message saying which.
 */
public final class TestModels {

    private TestModels() {
    }

    public static Path modelDir() {
        String p = System.getProperty("raddraft.model");
        Path dir = p != null ? Path.of(p) : Path.of(System.getProperty("user.dir")).resolve("models/reference-cxr");
        // the reference model is committed: its absence is a failure, not a reason to skip
        org.junit.jupiter.api.Assertions.assertTrue(Files.isRegularFile(dir.resolve(ModelDirectory.MANIFEST)),
                "no reference model at " + dir + " (set -Draddraft.model=DIR)");
        return dir;
    }

    public static Path fixtureDir() {
        String p = System.getProperty("raddraft.modelFixtures");
        Path dir = p != null ? Path.of(p)
                : Path.of(System.getProperty("user.dir")).resolve("src/test/resources/org/raddraft/inference/reference-cxr");
        org.junit.jupiter.api.Assertions.assertTrue(Files.isRegularFile(dir.resolve("reference-decodes.json")),
                "no reference decodes at " + dir + " (set -Draddraft.modelFixtures=DIR)");
        return dir;
    }

    public static Path sharedDicom() {
        Path dir = Path.of(System.getProperty("raddraft.sharedData", "../shared/data")).resolve("dicom");
        Assumptions.assumeTrue(Files.isDirectory(dir), "no shared radiographs at " + dir + ": skipped");
        return dir;
    }

    /** A copy of the model directory that a test may break. */
    public static Path copyOf(Path model, Path into) throws IOException {
        Path dir = Files.createDirectories(into.resolve("model"));
        try (Stream<Path> files = Files.list(model)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(f)) {
                    Files.copy(f, dir.resolve(f.getFileName()));
                }
            }
        }
        return dir;
    }

    /** Replaces {@code from} by {@code to} (same length) in a binary file, e.g. a tensor name in an .onnx file. */
    public static void patchBytes(Path file, String from, String to) throws IOException {
        if (from.length() != to.length()) {
            throw new IllegalArgumentException("same length only");
        }
        byte[] b = Files.readAllBytes(file);
        byte[] f = from.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] t = to.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int hits = 0;
        outer:
        for (int i = 0; i + f.length <= b.length; i++) {
            for (int j = 0; j < f.length; j++) {
                if (b[i + j] != f[j]) {
                    continue outer;
                }
            }
            System.arraycopy(t, 0, b, i, t.length);
            hits++;
        }
        if (hits == 0) {
            throw new IllegalStateException(from + " not found in " + file);
        }
        Files.write(file, b);
    }
}
