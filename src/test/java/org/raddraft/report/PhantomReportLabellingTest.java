package org.raddraft.report;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.raddraft.phantom.GroundTruth;
import org.raddraft.phantom.ReportGrammar;
import org.raddraft.phantom.StudySampler;
import org.raddraft.phantom.StudySpec;

/**
 * The labeller reads the phantom generator's reference reports as their ground truth says
 * (the labeller's own check on the grammar the reference model learns): agreement ≥ 0.99.
 */
class PhantomReportLabellingTest {

    static final int STUDIES = 2000;
    static final long SEED = 4242;

    @Test
    void labellerAgreesWithPhantomGroundTruth() {
        ReportLabeller labeller = ReportLabeller.withDefaultLexicon();
        int tp = 0;
        int fp = 0;
        int fn = 0;
        int agree = 0;
        int total = 0;
        StringBuilder examples = new StringBuilder();
        for (int i = 0; i < STUDIES; i++) {
            StudySpec spec = StudySampler.sample(SEED, i);
            org.raddraft.phantom.Report report = ReportGrammar.write(spec);
            GroundTruth truth = GroundTruth.of(spec);
            // the generator's rule: consolidation, edema and atelectasis imply Lung Opacity
            ReportLabels labels = labeller.label(report.findings(), report.impression()).withLungOpacityImpliedBy(
                    EnumSet.of(Observation.CONSOLIDATION, Observation.EDEMA, Observation.ATELECTASIS));
            for (Observation o : Observation.values()) {
                int expected = truth.label(o);
                Status got = labels.status(o);
                int read = got == Status.PRESENT ? 1 : got == Status.UNCERTAIN ? -1 : 0;
                total++;
                if (read == expected) {
                    agree++;
                } else if (examples.length() < 2000) {
                    examples.append(o).append(": expected ").append(expected).append(" read ").append(read)
                            .append(" in: ").append(report.text()).append('\n');
                }
                boolean truthPositive = expected != 0;
                boolean readPositive = read != 0;
                tp += truthPositive && readPositive ? 1 : 0;
                fp += !truthPositive && readPositive ? 1 : 0;
                fn += truthPositive && !readPositive ? 1 : 0;
            }
        }
        double f1 = 2.0 * tp / (2.0 * tp + fp + fn);
        double agreement = (double) agree / total;
        System.out.printf("phantom reports: micro-F1 %.4f, exact agreement %.4f over %d labels%n", f1, agreement, total);
        assertTrue(f1 >= 0.99, "micro-F1 " + f1 + "\n" + examples);
        assertTrue(agreement >= 0.99, "agreement " + agreement + "\n" + examples);
    }
}
