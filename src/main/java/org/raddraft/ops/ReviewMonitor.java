package org.raddraft.ops;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.raddraft.store.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The clinician-in-the-loop checks (issue 26): from the radiologists' decisions on the drafts they
 * were shown ({@code model_agreement}, role ACTIVE) of the last {@code monitor.window-days}, the
 * acceptance rate (approved unedited), the mean word edit distance, the label agreement (label F1 of
 * the draft with the final report; a rejection counts 0), the flag precision (flagged drafts that had
 * a wrong finding or were rejected) and the disagreement per finding, overall, by week and by
 * subgroup (sex, age band, view, manufacturer, calling AE). A subgroup whose label agreement is more
 * than {@code monitor.alert-margin} below the rest's, with at least {@code monitor.alert-min-count}
 * decisions on each side, raises an alert: the gauge {@code raddraft_monitor_subgroup_alert} and one
 * log line when it starts (group names and figures only, never patient data).
 *
 * <p>Label values are bounded: sex, age band and view have fixed values; manufacturer and calling AE
 * keep the {@code monitor.max-groups} most frequent, the rest is "other"; weeks are those of the window.
 */
public final class ReviewMonitor {

    private static final Logger log = LoggerFactory.getLogger(ReviewMonitor.class);

    /** The dimensions, in the order they are shown. */
    public static final List<String> DIMENSIONS = List.of("sex", "age_band", "view", "manufacturer", "calling_ae");
    static final String OTHER = "other";

    /** The monitor's settings ({@code monitor.*}). */
    public record Config(int windowDays, int maxGroups, double margin, int minCount) {
    }

    /** The figures of a set of decisions. {@code flagPrecision} is null when none was flagged. */
    public record Figures(String dimension, String group, long decisions, double acceptance, double editDistance,
                          double agreement, Double flagPrecision, long flagged) {
    }

    /** A subgroup drafted worse than the rest. */
    public record Alert(String dimension, String group, long decisions, double agreement, long restDecisions,
                        double restAgreement) {

        public String describe(Config c) {
            return String.format(Locale.ROOT, "%s=%s label agreement %.2f vs %.2f for the rest (n=%d vs %d, margin %.2f,"
                    + " last %d days)", dimension, group, agreement, restAgreement, decisions, restDecisions, c.margin(),
                    c.windowDays());
        }
    }

    /** Everything the page and /metrics show. */
    public record Snapshot(Figures overall, Map<String, List<Figures>> byDimension, List<Figures> byWeek,
                           Map<String, Double> findingDisagreement, List<Alert> alerts) {
    }

    /** One decision as the monitor reads it. */
    record Row(String decision, Double labelF1, Double editDistance, String disagreed, boolean flagged,
               Map<String, String> groups, Instant decidedAt) {

        double agreement() {
            return labelF1 == null ? 0 : labelF1;
        }

        boolean wrong() {
            return labelF1 == null || (disagreed != null && !disagreed.isEmpty());
        }
    }

    private final Database db;
    private final Clock clock;
    private final Config config;
    private final Set<String> alerting = new HashSet<>();
    private final MultiGauge decisions;
    private final MultiGauge acceptance;
    private final MultiGauge editDistance;
    private final MultiGauge agreement;
    private final MultiGauge flagPrecision;
    private final MultiGauge findings;
    private final MultiGauge weeklyAcceptance;
    private final MultiGauge weeklyAgreement;
    private final MultiGauge alertGauge;

    public ReviewMonitor(Database db, Clock clock, Config config, MeterRegistry registry) {
        this.db = db;
        this.clock = clock;
        this.config = config;
        decisions = gauge("raddraft.review.decisions", "decisions in the monitoring window", registry);
        acceptance = gauge("raddraft.review.acceptance", "share of drafts approved without edits", registry);
        editDistance = gauge("raddraft.review.edit.distance", "mean word edit distance draft -> final (0..1)", registry);
        agreement = gauge("raddraft.review.label.agreement",
                "mean label F1 of the draft with the final report (a rejection counts 0)", registry);
        flagPrecision = gauge("raddraft.review.flag.precision",
                "share of flagged drafts that had a wrong finding or were rejected", registry);
        findings = gauge("raddraft.review.finding.disagreement",
                "share of approved drafts whose finding the radiologist stated differently", registry);
        weeklyAcceptance = gauge("raddraft.review.weekly.acceptance", "acceptance rate by ISO week (Monday)", registry);
        weeklyAgreement = gauge("raddraft.review.weekly.label.agreement", "label agreement by ISO week (Monday)", registry);
        alertGauge = gauge("raddraft.monitor.subgroup.alert",
                "1 when the subgroup's label agreement is monitor.alert-margin below the rest's", registry);
    }

    private static MultiGauge gauge(String name, String description, MeterRegistry registry) {
        return MultiGauge.builder(name).description(description).register(registry);
    }

    public Config config() {
        return config;
    }

    /** Route step (routes/monitor.yaml): recomputes the figures and gauges, logs each alert as it starts and ends. */
    public Snapshot refresh() throws SQLException {
        Snapshot s = snapshot();
        publish(s);
        Set<String> now = new HashSet<>();
        for (Alert a : s.alerts()) {
            String key = a.dimension() + "=" + a.group();
            now.add(key);
            if (!alerting.contains(key)) {
                log.warn("monitor: subgroup alert {}", a.describe(config));
            }
        }
        for (String gone : alerting) {
            if (!now.contains(gone)) {
                log.info("monitor: subgroup alert {} cleared", gone);
            }
        }
        alerting.clear();
        alerting.addAll(now);
        return s;
    }

    /** The figures of the window as they are now. */
    public Snapshot snapshot() throws SQLException {
        Instant since = clock.instant().minus(Duration.ofDays(config.windowDays()));
        return compute(rows(since), config);
    }

    static Snapshot compute(List<Row> rows, Config config) {
        Map<String, Function<Row, String>> keys = new LinkedHashMap<>();
        for (String d : DIMENSIONS) {
            Set<String> kept = kept(rows, d, config.maxGroups());
            keys.put(d, r -> {
                String g = r.groups().get(d);
                return kept == null || kept.contains(g) ? g : OTHER;
            });
        }
        Figures overall = figures("all", "all", rows);
        Map<String, List<Figures>> byDimension = new LinkedHashMap<>();
        List<Alert> alerts = new ArrayList<>();
        for (Map.Entry<String, Function<Row, String>> e : keys.entrySet()) {
            Map<String, List<Row>> groups = rows.stream().collect(Collectors.groupingBy(e.getValue(), TreeMap::new,
                    Collectors.toList()));
            List<Figures> list = new ArrayList<>();
            for (Map.Entry<String, List<Row>> g : groups.entrySet()) {
                Figures f = figures(e.getKey(), g.getKey(), g.getValue());
                list.add(f);
                long restN = rows.size() - f.decisions();
                if (f.decisions() >= config.minCount() && restN >= config.minCount()) {
                    double restAgreement = rows.stream().filter(r -> !g.getKey().equals(e.getValue().apply(r)))
                            .mapToDouble(Row::agreement).average().orElse(0);
                    if (restAgreement - f.agreement() > config.margin()) {
                        alerts.add(new Alert(e.getKey(), g.getKey(), f.decisions(), f.agreement(), restN, restAgreement));
                    }
                }
            }
            byDimension.put(e.getKey(), list);
        }
        Map<LocalDate, List<Row>> weeks = rows.stream().collect(Collectors.groupingBy(
                r -> r.decidedAt().atOffset(ZoneOffset.UTC).toLocalDate()
                        .with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY)), TreeMap::new, Collectors.toList()));
        List<Figures> byWeek = weeks.entrySet().stream().map(w -> figures("week", w.getKey().toString(), w.getValue()))
                .toList();
        Map<String, Double> perFinding = new TreeMap<>();
        List<Row> withText = rows.stream().filter(r -> r.labelF1() != null).toList();
        for (Row r : withText) {
            if (r.disagreed() != null && !r.disagreed().isEmpty()) {
                for (String o : r.disagreed().split(",")) {
                    perFinding.merge(o, 1.0 / withText.size(), Double::sum);
                }
            }
        }
        return new Snapshot(overall, byDimension, byWeek, perFinding, alerts);
    }

    /** The most frequent groups of a dimension with open-ended values, or null when all are kept. */
    private static Set<String> kept(List<Row> rows, String dimension, int maxGroups) {
        if (!dimension.equals("manufacturer") && !dimension.equals("calling_ae")) {
            return null;
        }
        return rows.stream().collect(Collectors.groupingBy(r -> r.groups().get(dimension), Collectors.counting()))
                .entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()))
                .limit(maxGroups).map(Map.Entry::getKey).collect(Collectors.toSet());
    }

    static Figures figures(String dimension, String group, List<Row> rows) {
        long n = rows.size();
        long accepted = rows.stream().filter(r -> r.decision().equals("APPROVED")).count();
        double edit = rows.stream().filter(r -> r.editDistance() != null).mapToDouble(Row::editDistance).average()
                .orElse(0);
        double agree = rows.stream().mapToDouble(Row::agreement).average().orElse(0);
        long flagged = rows.stream().filter(Row::flagged).count();
        long flaggedWrong = rows.stream().filter(r -> r.flagged() && r.wrong()).count();
        return new Figures(dimension, group, n, n == 0 ? 0 : (double) accepted / n, edit, agree,
                flagged == 0 ? null : (double) flaggedWrong / flagged, flagged);
    }

    private List<Row> rows(Instant since) throws SQLException {
        List<Row> out = new ArrayList<>();
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("""
                SELECT decision, label_f1, edit_distance, findings_disagreed, flagged, sex, age_band, view_position,
                       manufacturer, calling_ae, decided_at
                FROM model_agreement WHERE role = 'ACTIVE' AND decided_at >= ? ORDER BY id""")) {
            ps.setObject(1, since.atOffset(ZoneOffset.UTC));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Map<String, String> g = new LinkedHashMap<>();
                    for (int i = 0; i < DIMENSIONS.size(); i++) {
                        g.put(DIMENSIONS.get(i), rs.getString(6 + i));
                    }
                    out.add(new Row(rs.getString(1), (Double) rs.getObject(2), (Double) rs.getObject(3), rs.getString(4),
                            rs.getBoolean(5), g, rs.getObject(11, OffsetDateTime.class).toInstant()));
                }
            }
        }
        return out;
    }

    private void publish(Snapshot s) {
        List<Figures> all = new ArrayList<>();
        all.add(s.overall());
        s.byDimension().values().forEach(all::addAll);
        decisions.register(rows(all, Figures::decisions), true);
        acceptance.register(rows(all, Figures::acceptance), true);
        editDistance.register(rows(all, Figures::editDistance), true);
        agreement.register(rows(all, Figures::agreement), true);
        flagPrecision.register(rows(all.stream().filter(f -> f.flagPrecision() != null).toList(),
                Figures::flagPrecision), true);
        findings.register(s.findingDisagreement().entrySet().stream()
                .map(e -> row(Tags.of("finding", e.getKey()), e.getValue())).toList(), true);
        weeklyAcceptance.register(s.byWeek().stream()
                .map(w -> row(Tags.of("week", w.group()), w.acceptance())).toList(), true);
        weeklyAgreement.register(s.byWeek().stream()
                .map(w -> row(Tags.of("week", w.group()), w.agreement())).toList(), true);
        Set<String> alerted = s.alerts().stream().map(a -> a.dimension() + "=" + a.group()).collect(Collectors.toSet());
        alertGauge.register(all.stream().filter(f -> !f.dimension().equals("all"))
                .map(f -> row(Tags.of("dimension", f.dimension(), "group", f.group()),
                        alerted.contains(f.dimension() + "=" + f.group()) ? 1 : 0)).toList(), true);
    }

    private static MultiGauge.Row<?> row(Tags tags, Number value) {
        return MultiGauge.Row.of(tags, value);
    }

    private static List<MultiGauge.Row<?>> rows(List<Figures> figures, Function<Figures, Number> value) {
        return figures.stream().<MultiGauge.Row<?>>map(f -> row(
                Tags.of("dimension", f.dimension(), "group", f.group()), value.apply(f))).toList();
    }
}
