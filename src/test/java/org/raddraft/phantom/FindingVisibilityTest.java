package org.raddraft.phantom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every finding changes the image where it says it is: the same study drawn with and without the
 * finding differs inside its stated frontal region, and (almost) nowhere else.
 */
class FindingVisibilityTest {
    static final int SIZE = 224;
    /** Drawn on the frontal view only (or, for a small pneumothorax, not visible laterally). */
    static final Set<FindingType> FRONTAL_ONLY = EnumSet.of(FindingType.RIB_FRACTURE, FindingType.PLEURAL_THICKENING,
            FindingType.WIDENED_MEDIASTINUM);

    @ParameterizedTest
    @EnumSource(FindingType.class)
    void eachFindingChangesItsStatedRegion(FindingType type) {
        List<String> severities = new ArrayList<>();
        int checked = 0;
        for (int i = 0; i < 3000 && checked < 3; i++) {
            StudySpec spec = StudySampler.sample(777, i);
            for (Finding f : spec.findings()) {
                if (f.type() != type || severities.contains(f.severity())) continue;
                severities.add(f.severity());
                check(spec, f);
                checked++;
            }
        }
        if (checked == 0) fail("no study with " + type);
    }

    private static void check(StudySpec spec, Finding f) {
        List<Finding> without = new ArrayList<>(spec.findings());
        without.remove(f);
        PhantomStudy with = PhantomStudy.render(spec, SIZE), base = PhantomStudy.render(spec.withFindings(without), SIZE);
        double[] box = FindingRegion.frontal(spec, f);
        int x0 = (int) Math.floor(box[0] * SIZE), y0 = (int) Math.floor(box[1] * SIZE);
        int x1 = (int) Math.ceil(box[2] * SIZE), y1 = (int) Math.ceil(box[3] * SIZE);
        double in = 0, out = 0, inMax = 0;
        int nIn = 0, nOut = 0;
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                double d = Math.abs(with.frontal()[y * SIZE + x] - base.frontal()[y * SIZE + x]);
                if (x >= x0 && x < x1 && y >= y0 && y < y1) {
                    in += d;
                    nIn++;
                    inMax = Math.max(inMax, d);
                } else {
                    out += d;
                    nOut++;
                }
            }
        }
        String what = spec.studyId() + " " + f;
        double meanIn = in / Math.max(1, nIn), meanOut = out / Math.max(1, nOut);
        assertTrue(inMax > 0.05, "a visible change (>12 grey levels somewhere) " + what + " max=" + inMax);
        assertTrue(in > 0.6, "total change inside the region (display units x pixels) " + what + " sum=" + in);
        assertTrue(in > 0.9 * (in + out), "change concentrated in the region " + what + " in=" + in + " out=" + out);
        assertTrue(meanIn > 20 * meanOut, what);
        boolean lateralExpected = !FRONTAL_ONLY.contains(f.type())
                && !(f.type() == FindingType.PNEUMOTHORAX && "small".equals(f.severity()));
        if (lateralExpected) {
            double lat = 0;
            for (int k = 0; k < SIZE * SIZE; k++) lat = Math.max(lat, Math.abs(with.lateral()[k] - base.lateral()[k]));
            // small findings are fainter on the lateral view, where the beam also crosses the other lung
            double min = "small".equals(f.severity()) ? 0.02 : 0.04;
            assertTrue(lat > min, "visible on the lateral view too: " + what + " max=" + lat);
        }
    }
}
