package org.raddraft.phantom;

import org.raddraft.cli.PhantomsCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

public class PhantomDeterminismTest {

    @Test
    void sameSeedAndIndexGiveIdenticalPixelsReportAndLabels() {
        for (int i = 0; i < 5; i++) {
            PhantomStudy a = PhantomStudy.generate(42, i, 128), b = PhantomStudy.generate(42, i, 128);
            assertArrayEquals(a.frontal(), b.frontal());
            assertArrayEquals(a.lateral(), b.lateral());
            assertEquals(a.report(), b.report());
            assertEquals(a.truth(), b.truth());
            assertEquals(a.spec(), b.spec());
        }
    }

    @Test
    void differentSeedsGiveDifferentStudies() {
        assertNotEquals(StudySampler.sample(1, 0), StudySampler.sample(2, 0));
        assertFalse(java.util.Arrays.equals(PhantomStudy.generate(1, 0, 64).frontal(),
                PhantomStudy.generate(2, 0, 64).frontal()));
    }

    @Test
    void studyIIsTheSameWhateverTheNumberOfStudies(@TempDir Path tmp) throws Exception {
        Path small = tmp.resolve("small"), large = tmp.resolve("large");
        run("--out", small.toString(), "--studies", "2", "--seed", "9", "--size", "96", "--no-dicom", "--threads", "1");
        run("--out", large.toString(), "--studies", "5", "--seed", "9", "--size", "96", "--no-dicom", "--threads", "2");
        List<String> a = Files.readAllLines(small.resolve("phantoms.jsonl"));
        List<String> b = Files.readAllLines(large.resolve("phantoms.jsonl"));
        assertEquals(2, a.size());
        assertEquals(5, b.size());
        assertEquals(a, b.subList(0, 2));
        for (String id : List.of("ph-9-000000", "ph-9-000001")) {
            for (String v : List.of("_frontal.png", "_lateral.png")) {
                assertArrayEquals(Files.readAllBytes(small.resolve("images/" + id + v)),
                        Files.readAllBytes(large.resolve("images/" + id + v)));
            }
        }
    }

    @Test
    void dicomOutputIsDeterministic(@TempDir Path tmp) throws Exception {
        run("--out", tmp.resolve("a").toString(), "--studies", "2", "--seed", "5", "--size", "64", "--no-training-set");
        run("--out", tmp.resolve("b").toString(), "--studies", "2", "--seed", "5", "--size", "64", "--no-training-set");
        for (String f : List.of("ph-5-000000", "ph-5-000001")) {
            try (var files = Files.list(tmp.resolve("a/dicom/" + f))) {
                for (Path p : files.toList()) {
                    assertArrayEquals(Files.readAllBytes(p), Files.readAllBytes(tmp.resolve("b/dicom/" + f).resolve(p.getFileName())));
                }
            }
        }
    }

    public static void run(String... args) throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = new PhantomsCommand(new PrintStream(new ByteArrayOutputStream()), new PrintStream(err)).run(args);
        assertEquals(0, rc, err.toString());
    }
}
