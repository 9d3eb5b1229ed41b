package org.raddraft.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.DicomMutator;

/**
 * The short, in-process form of the Part 10 fuzzing (issue 24): seeded mutations of a chest CR
 * carrying known patient values go through every parse a received file meets (the meta header, the
 * attributes, the whole data set, the pixel decode). Each either succeeds or fails with a
 * {@link DicomFormatException} in RadDraft's own words, within a bounded time, and no reason quotes a
 * third-party exception's message or a patient value. The long form runs over C-STORE in bench/fuzz.sh;
 * {@code -Draddraft.fuzz.cases} and {@code -Draddraft.fuzz.seed} choose the run.
 */
class DicomParserFuzzTest {

    static final int CASES = Integer.getInteger("raddraft.fuzz.cases", 300);
    static final long SEED = Long.getLong("raddraft.fuzz.seed", 24);

    @TempDir
    Path dir;

    interface Parse {
        void run(Path file) throws DicomFormatException;
    }

    @Test
    void mutatedDataSetsFailOnlyWithRadDraftsOwnReasonsAndQuoteNoPatientValue() throws Exception {
        List<String> failures = new ArrayList<>();
        Parse[] parses = {FileMetaHeader::read, DicomAttributes::read, DicomAttributes::readComplete, DicomPixels::decode};
        String[] names = {"FileMetaHeader.read", "DicomAttributes.read", "DicomAttributes.readComplete", "DicomPixels.decode"};
        for (int i = 0; i < CASES; i++) {
            DicomMutator.Case c = DicomMutator.mutate(SEED, i);
            Path f = dir.resolve("case-" + i + ".dcm");
            Files.write(f, c.part10());
            for (int p = 0; p < parses.length; p++) {
                String where = "seed " + SEED + " case " + i + " [" + c.description() + "] " + names[p];
                long t0 = System.nanoTime();
                try {
                    parses[p].run(f);
                } catch (DicomFormatException e) {
                    check(where, e, failures);
                } catch (Throwable t) {
                    failures.add(where + ": escaped as " + t.getClass().getName());
                }
                long ms = Duration.ofNanos(System.nanoTime() - t0).toMillis();
                if (ms > 10_000) {
                    failures.add(where + ": took " + ms + " ms");
                }
            }
            Files.delete(f);
        }
        assertEquals(List.of(), failures, failures.size() + " of " + CASES + " cases failed");
    }

    /** The reason must be RadDraft's: no patient value, and not the message of a foreign cause. */
    static void check(String where, DicomFormatException e, List<String> failures) {
        String m = String.valueOf(e.getMessage());
        for (String value : DicomMutator.PATIENT_VALUES) {
            if (m.contains(value)) {
                failures.add(where + ": reason quotes a patient value: " + m);
            }
        }
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            String foreign = cause.getMessage();
            if (!(cause instanceof DicomFormatException) && foreign != null && foreign.length() > 3 && m.contains(foreign)) {
                failures.add(where + ": reason quotes " + cause.getClass().getName() + "'s message: " + m);
                break;
            }
        }
    }
}
