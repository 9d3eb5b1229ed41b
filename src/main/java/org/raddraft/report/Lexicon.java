package org.raddraft.report;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The labeller's phrases, read from {@code lexicon.txt} (see that file's header for the format).
 * Every pattern is a Java regular expression matched, at word boundaries, against the lower-cased
 * sentence.
 */
final class Lexicon {

    /** How a phrase decides its status. */
    enum Kind {
        /** Status comes from negation/uncertainty cues around it. */
        MENTION,
        /** The phrase itself says present ("no acute cardiopulmonary disease" for No Finding). */
        PRESENT,
        /** The phrase itself says absent ("heart size is normal"). */
        ABSENT,
        /** The phrase itself is hedged ("borderline cardiomegaly"). */
        UNCERTAIN
    }

    /** A phrase for an observation, or for a non-CheXpert finding when observation is null. */
    record Entry(Observation observation, String other, Kind kind, Pattern pattern) {
    }

    enum CueType { NEG_PRE, NEG_POST, UNC_PRE, UNC_POST, PSEUDO, TERMINATOR }

    record Cue(CueType type, Pattern pattern) {
    }

    final List<Entry> entries;
    final List<Cue> cues;
    final Map<Laterality, Pattern> laterality;
    final Map<Severity, Pattern> severity;

    private Lexicon(List<Entry> entries, List<Cue> cues, Map<Laterality, Pattern> laterality,
                    Map<Severity, Pattern> severity) {
        this.entries = List.copyOf(entries);
        this.cues = List.copyOf(cues);
        this.laterality = laterality;
        this.severity = severity;
    }

    static Lexicon load(String resource) {
        try (InputStream in = Lexicon.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("lexicon resource " + resource + " not found");
            }
            return read(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)), resource);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Lexicon read(BufferedReader reader, String name) throws IOException {
        List<Entry> entries = new ArrayList<>();
        List<Cue> cues = new ArrayList<>();
        Map<Laterality, List<String>> lat = new EnumMap<>(Laterality.class);
        Map<Severity, List<String>> sev = new EnumMap<>(Severity.class);
        String section = null;
        String line;
        int no = 0;
        while ((line = reader.readLine()) != null) {
            no++;
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            String where = name + ":" + no + ": ";
            if (t.startsWith("[") && t.endsWith("]")) {
                section = t.substring(1, t.length() - 1).strip();
                continue;
            }
            if (section == null) {
                throw new IllegalArgumentException(where + "phrase before any [section]");
            }
            String[] s = section.split("\\s+", 2);
            switch (s[0]) {
                case "observation", "other" -> {
                    String[] kp = t.split("\\s+", 2);
                    if (kp.length < 2) {
                        throw new IllegalArgumentException(where + "expected 'KIND PATTERN'");
                    }
                    Kind kind;
                    try {
                        kind = Kind.valueOf(kp[0].toUpperCase(Locale.ROOT));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(where + "unknown kind '" + kp[0]
                                + "' (mention, present, absent, uncertain)");
                    }
                    Observation o = null;
                    String other = null;
                    if (s[0].equals("observation")) {
                        String sec = section;
                        o = Observation.byLabel(s.length > 1 ? s[1] : "").orElseThrow(
                                () -> new IllegalArgumentException(where + "unknown observation in [" + sec + "]"));
                    } else {
                        other = s.length > 1 ? s[1] : "other";
                    }
                    entries.add(new Entry(o, other, kind, compile(kp[1], where)));
                }
                case "negation", "uncertainty", "pseudo", "scope" -> cues.add(new Cue(cueType(section, where),
                        compile(t, where)));
                case "laterality" -> lat.computeIfAbsent(Laterality.valueOf(s[1].toUpperCase(Locale.ROOT)),
                        k -> new ArrayList<>()).add(t);
                case "severity" -> sev.computeIfAbsent(Severity.valueOf(s[1].toUpperCase(Locale.ROOT)),
                        k -> new ArrayList<>()).add(t);
                default -> throw new IllegalArgumentException(where + "unknown section [" + section + "]");
            }
        }
        Map<Laterality, Pattern> latP = new EnumMap<>(Laterality.class);
        lat.forEach((k, v) -> latP.put(k, compile(String.join("|", v), name)));
        Map<Severity, Pattern> sevP = new EnumMap<>(Severity.class);
        sev.forEach((k, v) -> sevP.put(k, compile(String.join("|", v), name)));
        return new Lexicon(entries, cues, latP, sevP);
    }

    private static CueType cueType(String section, String where) {
        return switch (section) {
            case "negation pre" -> CueType.NEG_PRE;
            case "negation post" -> CueType.NEG_POST;
            case "uncertainty pre" -> CueType.UNC_PRE;
            case "uncertainty post" -> CueType.UNC_POST;
            case "pseudo negation" -> CueType.PSEUDO;
            case "scope end" -> CueType.TERMINATOR;
            default -> throw new IllegalArgumentException(where + "unknown section [" + section + "]");
        };
    }

    private static Pattern compile(String regex, String where) {
        try {
            // word boundaries that also work for patterns starting or ending with punctuation or a lookaround
            return Pattern.compile("(?:(?<![a-z0-9])|(?![a-z0-9]))(?:" + regex + ")(?:(?<![a-z0-9])|(?![a-z0-9]))");
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(where + "bad pattern: " + e.getDescription());
        }
    }
}
