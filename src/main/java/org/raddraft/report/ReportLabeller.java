package org.raddraft.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rule-based labeller for the 14 CheXpert observations.
 *
 * <ol>
 *   <li>Sentences of FINDINGS and IMPRESSION are lower-cased and searched for lexicon phrases and
 *       for cues (negation, uncertainty, pseudo-negation, scope ends). Where phrases overlap the
 *       longest wins ("nodular opacity" is a Lung Lesion, not a Lung Opacity).</li>
 *   <li>A MENTION phrase is ABSENT when a pre-negation cue precedes it in the same clause (the clause
 *       ends at a scope-end cue such as "but", "however", ";" or the sentence end), when a
 *       post-negation cue follows within {@value #POST_WINDOW} words, or when a negation cue lies
 *       inside the phrase ("heart is not enlarged"); otherwise UNCERTAIN when an uncertainty cue
 *       scopes over it the same way; otherwise PRESENT. Negation beats uncertainty ("no opacity
 *       suggestive of pneumonia"), except that uncertainty-about-absence cues ("cannot be excluded")
 *       are uncertainty cues in their own right.</li>
 *   <li>Per section an observation is PRESENT if any mention is, else UNCERTAIN if any is, else
 *       ABSENT. The IMPRESSION's status wins whenever the impression mentions the observation.</li>
 *   <li>No Finding is PRESENT only when no other observation except Support Devices is PRESENT or
 *       UNCERTAIN and no non-CheXpert finding of the lexicon's [other] sections (granuloma,
 *       degenerative spine, hyperinflation, ...) is affirmed; otherwise ABSENT. Lung Opacity is
 *       NOT implied by Consolidation, Edema, Atelectasis, Pneumonia or Lung Lesion (as in the
 *       CheXpert labeller); {@link ReportLabels#withLungOpacityImpliedBy} applies that hierarchy for
 *       callers who want it.</li>
 * </ol>
 * Thread-safe and immutable once built.
 */
public final class ReportLabeller {

    static final String DEFAULT_LEXICON = "lexicon.txt";
    static final int POST_WINDOW = 6;
    static final int LATERALITY_WINDOW = 6;
    static final int SEVERITY_WINDOW = 4;

    private static final Pattern WORD = Pattern.compile("[a-z0-9]+");

    private final Lexicon lexicon;

    private ReportLabeller(Lexicon lexicon) {
        this.lexicon = lexicon;
    }

    /** The labeller with RadDraft's lexicon ({@code org/raddraft/report/lexicon.txt}). */
    public static ReportLabeller withDefaultLexicon() {
        return new ReportLabeller(Lexicon.load(DEFAULT_LEXICON));
    }

    public ReportLabels label(String findings, String impression) {
        return label(Report.of(findings, impression));
    }

    public ReportLabels label(Report report) {
        List<Mention> mentions = new ArrayList<>();
        // other findings: name -> status per section
        Map<Section, Map<String, Status>> other = new EnumMap<>(Section.class);
        for (Sentence s : report.sentences()) {
            labelSentence(s, mentions, other.computeIfAbsent(s.section(), k -> new java.util.HashMap<>()));
        }
        Map<Observation, Label> labels = new EnumMap<>(Observation.class);
        for (Observation o : Observation.values()) {
            if (o != Observation.NO_FINDING) {
                labels.put(o, decide(o, mentions));
            }
        }
        Set<String> otherAffirmed = new LinkedHashSet<>();
        Map<String, Status> otherF = other.getOrDefault(Section.FINDINGS, Map.of());
        Map<String, Status> otherI = other.getOrDefault(Section.IMPRESSION, Map.of());
        Set<String> names = new LinkedHashSet<>(otherF.keySet());
        names.addAll(otherI.keySet());
        for (String n : names) {
            Status st = otherI.containsKey(n) ? otherI.get(n) : otherF.get(n);
            if (st.positive()) {
                otherAffirmed.add(n);
            }
        }
        labels.put(Observation.NO_FINDING, noFinding(report, labels, otherAffirmed));
        return new ReportLabels(labels, mentions, List.copyOf(otherAffirmed));
    }

    private static Label noFinding(Report report, Map<Observation, Label> labels, Set<String> other) {
        if (report.isEmpty()) {
            return Label.notMentioned(Observation.NO_FINDING);
        }
        boolean abnormal = !other.isEmpty() || labels.values().stream()
                .anyMatch(l -> l.observation() != Observation.SUPPORT_DEVICES && l.status().positive());
        return new Label(Observation.NO_FINDING, abnormal ? Status.ABSENT : Status.PRESENT,
                Laterality.UNSTATED, Severity.UNSTATED);
    }

    private static Label decide(Observation o, List<Mention> mentions) {
        List<Mention> impression = mentions.stream()
                .filter(m -> m.observation() == o && m.section() == Section.IMPRESSION).toList();
        List<Mention> use = impression.isEmpty()
                ? mentions.stream().filter(m -> m.observation() == o).toList()
                : impression;
        if (use.isEmpty()) {
            return Label.notMentioned(o);
        }
        Status status = strongest(use.stream().map(Mention::status).toList());
        Laterality lat = Laterality.UNSTATED;
        Severity sev = Severity.UNSTATED;
        for (Mention m : use) {
            if (m.status() == status) {
                lat = lat.merge(m.laterality());
                sev = sev.max(m.severity());
            }
        }
        return new Label(o, status, lat, sev);
    }

    private static Status strongest(List<Status> statuses) {
        if (statuses.contains(Status.PRESENT)) {
            return Status.PRESENT;
        }
        if (statuses.contains(Status.UNCERTAIN)) {
            return Status.UNCERTAIN;
        }
        return Status.ABSENT;
    }

    // ---- one sentence -------------------------------------------------------------------------

    record Span(int start, int end) {
        boolean overlaps(Span o) {
            return start < o.end && o.start < end;
        }

        int length() {
            return end - start;
        }
    }

    private record Hit(Lexicon.Entry entry, Span span) {
    }

    record CueHit(Lexicon.CueType type, Span span) {
    }

    private void labelSentence(Sentence sentence, List<Mention> out, Map<String, Status> other) {
        String text = sentence.text().toLowerCase(Locale.ROOT);
        List<CueHit> cues = cues(text);
        List<Hit> hits = phrases(text);
        for (int h = 0; h < hits.size(); h++) {
            Hit hit = hits.get(h);
            Status status = switch (hit.entry().kind()) {
                case PRESENT -> Status.PRESENT;
                case ABSENT -> Status.ABSENT;
                case UNCERTAIN -> Status.UNCERTAIN;
                case MENTION -> status(text, hit.span(), cues);
            };
            if (hit.entry().observation() == null) {
                other.merge(hit.entry().other(), status, (a, b) -> strongest(List.of(a, b)));
                continue;
            }
            // the context of a mention stops at its neighbouring mentions
            int prevEnd = 0;
            int nextStart = text.length();
            for (Hit neighbour : hits) {
                if (neighbour.span().end() <= hit.span().start()) {
                    prevEnd = Math.max(prevEnd, neighbour.span().end());
                } else if (neighbour.span().start() >= hit.span().end()) {
                    nextStart = Math.min(nextStart, neighbour.span().start());
                }
            }
            Laterality lat = laterality(text, hit.span(), prevEnd, nextStart, cues);
            Severity sev = severity(text, hit.span(), prevEnd, nextStart, cues);
            out.add(new Mention(hit.entry().observation(), status, lat, sev, sentence.index(), sentence.section()));
        }
    }

    List<CueHit> cues(String text) {
        List<CueHit> all = new ArrayList<>();
        for (Lexicon.Cue c : lexicon.cues) {
            Matcher m = c.pattern().matcher(text);
            while (m.find()) {
                if (m.end() > m.start()) {
                    all.add(new CueHit(c.type(), new Span(m.start(), m.end())));
                }
            }
        }
        // longest first; drop any cue overlapping a longer kept one
        all.sort(Comparator.comparingInt((CueHit c) -> -c.span().length()).thenComparingInt(c -> c.span().start()));
        List<CueHit> kept = new ArrayList<>();
        for (CueHit c : all) {
            if (kept.stream().noneMatch(k -> k.span().overlaps(c.span()))) {
                kept.add(c);
            }
        }
        kept.sort(Comparator.comparingInt(c -> c.span().start()));
        return kept;
    }

    private List<Hit> phrases(String text) {
        List<Hit> all = new ArrayList<>();
        for (Lexicon.Entry e : lexicon.entries) {
            Matcher m = e.pattern().matcher(text);
            while (m.find()) {
                if (m.end() > m.start()) {
                    all.add(new Hit(e, new Span(m.start(), m.end())));
                }
            }
        }
        all.sort(Comparator.comparingInt((Hit h) -> -h.span().length()).thenComparingInt(h -> h.span().start()));
        List<Hit> kept = new ArrayList<>();
        for (Hit h : all) {
            boolean blocked = false;
            for (Hit k : kept) {
                if (k.span().overlaps(h.span())) {
                    // the same stretch of text can name two things only when the spans are identical
                    // and the targets differ ("cardiomediastinal silhouette is normal")
                    if (!(k.span().equals(h.span()) && !sameTarget(k.entry(), h.entry()))) {
                        blocked = true;
                        break;
                    }
                }
            }
            if (!blocked) {
                kept.add(h);
            }
        }
        kept.sort(Comparator.comparingInt(h -> h.span().start()));
        return kept;
    }

    private static boolean sameTarget(Lexicon.Entry a, Lexicon.Entry b) {
        return a.observation() == b.observation() && java.util.Objects.equals(a.other(), b.other());
    }

    private static Status status(String text, Span m, List<CueHit> cues) {
        boolean negated = false;
        boolean uncertain = false;
        for (CueHit c : cues) {
            Lexicon.CueType t = c.type();
            boolean inside = c.span().start() >= m.start() && c.span().end() <= m.end();
            // a cue that starts before the mention scopes over it unless a scope end lies between
            boolean before = c.span().start() < m.start()
                    && (c.span().end() > m.start() || !terminatedBetween(cues, c.span().end(), m.start()));
            boolean after = c.span().start() >= m.end() && !terminatedBetween(cues, m.end(), c.span().start())
                    && words(text, m.end(), c.span().start()) <= POST_WINDOW;
            switch (t) {
                case NEG_PRE -> negated |= inside || before;
                case NEG_POST -> negated |= inside || after;
                case UNC_PRE -> uncertain |= inside || before;
                case UNC_POST -> uncertain |= inside || after;
                default -> {
                }
            }
        }
        if (negated) {
            return Status.ABSENT;
        }
        return uncertain ? Status.UNCERTAIN : Status.PRESENT;
    }

    private static boolean terminatedBetween(List<CueHit> cues, int from, int to) {
        for (CueHit c : cues) {
            if (c.type() == Lexicon.CueType.TERMINATOR && c.span().start() >= from && c.span().end() <= to) {
                return true;
            }
        }
        return false;
    }

    private static int words(String text, int from, int to) {
        Matcher w = WORD.matcher(text);
        w.region(from, to);
        int n = 0;
        while (w.find()) {
            n++;
        }
        return n;
    }

    /** Window of text around a mention: up to {@code before} words before and {@code after} words after. */
    private static Span window(String text, Span m, int prevEnd, int nextStart, List<CueHit> cues, int before,
                               int after) {
        int from = m.start();
        Matcher w = WORD.matcher(text);
        List<int[]> wordsBefore = new ArrayList<>();
        w.region(prevEnd, m.start());
        while (w.find()) {
            wordsBefore.add(new int[] {w.start(), w.end()});
        }
        for (int i = wordsBefore.size() - 1; i >= 0 && wordsBefore.size() - i <= before; i--) {
            if (terminatedBetween(cues, wordsBefore.get(i)[0], m.start())) {
                break;
            }
            from = wordsBefore.get(i)[0];
        }
        int to = m.end();
        w.region(m.end(), nextStart);
        int n = 0;
        while (w.find() && n < after) {
            if (terminatedBetween(cues, m.end(), w.end())) {
                break;
            }
            to = w.end();
            n++;
        }
        return new Span(from, to);
    }

    private Laterality laterality(String text, Span m, int prevEnd, int nextStart, List<CueHit> cues) {
        Span w = window(text, m, prevEnd, nextStart, cues, LATERALITY_WINDOW, 3);
        Laterality found = Laterality.UNSTATED;
        int bestDistance = Integer.MAX_VALUE;
        for (Map.Entry<Laterality, Pattern> e : lexicon.laterality.entrySet()) {
            Matcher x = e.getValue().matcher(text).useTransparentBounds(true);
            x.region(w.start(), w.end());
            while (x.find()) {
                int d = x.end() <= m.start() ? m.start() - x.end() : Math.max(0, x.start() - m.end());
                if (d < bestDistance) {
                    bestDistance = d;
                    found = e.getKey();
                } else if (d == bestDistance) {
                    found = found.merge(e.getKey());
                }
            }
        }
        return found;
    }

    private Severity severity(String text, Span m, int prevEnd, int nextStart, List<CueHit> cues) {
        Span w = window(text, m, prevEnd, nextStart, cues, SEVERITY_WINDOW, 2);
        Severity found = Severity.UNSTATED;
        for (Map.Entry<Severity, Pattern> e : lexicon.severity.entrySet()) {
            Matcher x = e.getValue().matcher(text).useTransparentBounds(true);
            x.region(w.start(), w.end());
            if (x.find()) {
                found = found.max(e.getKey());
            }
        }
        return found;
    }
}
