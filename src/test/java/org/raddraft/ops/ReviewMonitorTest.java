package org.raddraft.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The monitor's arithmetic and its bounds on label values, on decisions made up for the purpose. */
class ReviewMonitorTest {

    static final ReviewMonitor.Config CONFIG = new ReviewMonitor.Config(28, 10, 0.10, 20);

    static ReviewMonitor.Row row(String decision, Double f1, String disagreed, boolean flagged, String manufacturer,
            String ae, Instant at) {
        return new ReviewMonitor.Row(decision, f1, f1 == null ? null : 1 - f1, disagreed, flagged,
                Map.of("sex", "F", "age_band", "40-59", "view", "PA", "manufacturer", manufacturer, "calling_ae", ae), at);
    }

    @Test
    void manufacturersAndCallingAesBeyondMaxGroupsAreOtherSoLabelsStayBounded() {
        List<ReviewMonitor.Row> rows = new ArrayList<>();
        for (int m = 0; m < 30; m++) {
            for (int i = 0; i <= m; i++) { // vendor-29 most frequent
                rows.add(row("APPROVED", 1.0, "", false, "vendor-" + m, "AE" + m, Instant.parse("2026-12-01T10:00:00Z")));
            }
        }
        ReviewMonitor.Snapshot s = ReviewMonitor.compute(rows, CONFIG);
        List<String> groups = s.byDimension().get("manufacturer").stream().map(ReviewMonitor.Figures::group).toList();
        assertEquals(11, groups.size(), groups.toString());
        assertTrue(groups.contains("other") && groups.contains("vendor-29") && !groups.contains("vendor-0"), groups.toString());
        assertEquals(11, s.byDimension().get("calling_ae").size());
        assertEquals(List.of(), s.alerts());
    }

    @Test
    void figuresCountRejectionsAsDisagreementAndFlagsThatCaughtAWrongDraft() {
        Instant monday = Instant.parse("2026-11-30T08:00:00Z");
        List<ReviewMonitor.Row> rows = List.of(
                row("APPROVED", 1.0, "", true, "A", "AE", monday),                     // flagged, nothing wrong
                row("APPROVED_WITH_EDITS", 0.5, "PNEUMOTHORAX", true, "A", "AE", monday), // flagged, wrong finding
                row("REJECTED", null, null, false, "A", "AE", monday.plusSeconds(7 * 86400)),
                row("APPROVED", 1.0, "", false, "A", "AE", monday.plusSeconds(7 * 86400)));
        ReviewMonitor.Figures all = ReviewMonitor.compute(rows, CONFIG).overall();
        assertEquals(4, all.decisions());
        assertEquals(0.5, all.acceptance(), 1e-9);
        assertEquals((1 + 0.5 + 0 + 1) / 4, all.agreement(), 1e-9, "a rejection counts 0");
        assertEquals(0.5, all.flagPrecision(), 1e-9);
        ReviewMonitor.Snapshot s = ReviewMonitor.compute(rows, CONFIG);
        assertEquals(List.of("2026-11-30", "2026-12-07"), s.byWeek().stream().map(ReviewMonitor.Figures::group).toList());
        assertEquals(1.0 / 3, s.findingDisagreement().get("PNEUMOTHORAX"), 1e-9, "one of three approved drafts");
        assertNull(ReviewMonitor.figures("x", "y", List.of(rows.get(3))).flagPrecision(), "no flag, no precision");
    }

    @Test
    void alertNeedsTheMarginAndTheMinimumCountOnEachSide() {
        List<ReviewMonitor.Row> rows = new ArrayList<>();
        Instant at = Instant.parse("2026-12-01T10:00:00Z");
        for (int i = 0; i < 40; i++) {
            rows.add(row("APPROVED", 0.9, "", false, "A", "AE", at));
        }
        for (int i = 0; i < 19; i++) {
            rows.add(row("APPROVED_WITH_EDITS", 0.5, "EDEMA", false, "B", "AE", at));
        }
        assertEquals(List.of(), ReviewMonitor.compute(rows, CONFIG).alerts(), "19 decisions: below the minimum count");
        rows.add(row("APPROVED_WITH_EDITS", 0.5, "EDEMA", false, "B", "AE", at));
        List<ReviewMonitor.Alert> alerts = ReviewMonitor.compute(rows, CONFIG).alerts();
        assertEquals(1, alerts.size(), alerts.toString());
        assertEquals("manufacturer", alerts.get(0).dimension());
        assertEquals("B", alerts.get(0).group());
        assertEquals(List.of(), ReviewMonitor.compute(rows, new ReviewMonitor.Config(28, 10, 0.45, 20)).alerts(),
                "0.4 below the rest is within a margin of 0.45");
    }
}
