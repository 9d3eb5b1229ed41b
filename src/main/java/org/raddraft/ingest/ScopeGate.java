package org.raddraft.ingest;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.Period;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.Set;
import org.raddraft.store.Database;

/**
 * Decides whether a study is something the drafting model is meant for: CR/DX, chest, PA/AP/lateral
 * views, adult. A study is in scope when at least one instance qualifies, one of them is a frontal
 * (PA or AP) view, and no instance shows the patient younger than the minimum age. Every
 * out-of-scope decision carries a reason an admin can read.
 */
public class ScopeGate {

    static final Set<String> MODALITIES = Set.of("CR", "DX");
    /** BodyPartExamined defined terms (PS3.16 CID 4031) meaning chest, plus common local spellings. */
    static final Set<String> CHEST_BODY_PARTS = Set.of("CHEST", "THORAX", "LUNG", "PORT CHEST");
    static final Set<String> CHEST_WORDS = Set.of("CHEST", "THORAX", "CXR", "LUNG", "THORAC");
    static final Set<String> VIEWS = Set.of("PA", "AP", "LL", "RL", "LAT", "LATERAL", "RLD", "LLD");

    /** The attributes of one instance that the gate looks at. */
    public record InstanceFacts(String modality, String bodyPart, String viewPosition, String studyDescription,
            String seriesDescription, String patientAge, String patientBirthDate, String studyDate) {
    }

    public record Decision(boolean inScope, String reason) {
    }

    private final int minAgeYears;

    public ScopeGate(int minAgeYears) {
        this.minAgeYears = minAgeYears;
    }

    public Decision decide(List<InstanceFacts> instances) {
        if (instances.isEmpty()) {
            return new Decision(false, "study has no instances");
        }
        Set<String> reasons = new LinkedHashSet<>();
        int qualifying = 0;
        boolean frontal = false;
        for (InstanceFacts f : instances) {
            OptionalInt age = ageYears(f);
            if (age.isPresent() && age.getAsInt() < minAgeYears) {
                return new Decision(false, "patient age " + age.getAsInt() + " years is below " + minAgeYears);
            }
            String why = whyNot(f);
            if (why == null) {
                qualifying++;
                frontal |= !"LATERAL".equals(view(f));
            } else {
                reasons.add(why);
            }
        }
        if (qualifying == 0) {
            return new Decision(false, String.join("; ", reasons));
        }
        // the model drafts from a frontal view (the lateral only adds to it): without one there is
        // nothing to draft, and retrying would not change that; a frontal sent later re-opens the study
        return frontal ? new Decision(true, null)
                : new Decision(false, "lateral view only: drafting needs a frontal (PA or AP) view");
    }

    private static String whyNot(InstanceFacts f) {
        String modality = upper(f.modality());
        if (!MODALITIES.contains(modality)) {
            return "modality " + (modality.isEmpty() ? "missing" : shown(modality)) + " is not CR or DX";
        }
        String bodyPart = upper(f.bodyPart());
        if (bodyPart.isEmpty()) {
            if (!mentionsChest(f.studyDescription()) && !mentionsChest(f.seriesDescription())) {
                return "body part missing and study/series description do not say chest";
            }
        } else if (!CHEST_BODY_PARTS.contains(bodyPart)) {
            return "body part " + shown(bodyPart) + " is not chest";
        }
        String view = view(f);
        if (view == null) {
            return "view position " + (upper(f.viewPosition()).isEmpty() ? "missing" : shown(upper(f.viewPosition())))
                    + " is not PA, AP or lateral";
        }
        return null;
    }

    /**
     * A code string as the reason may quote it (the reason reaches the log, {@code admin studies} and the
     * study row): only a code string as defined terms are written (upper case, digits, underscore, at most 16,
     * no space); anything else a sender wrote there is not repeated, since it could be any text, a patient's
     * name included.
     */
    static String shown(String codeString) {
        return codeString.matches("[A-Z0-9_]{1,16}") ? codeString : "(not a valid code string)";
    }

    /** The view an instance contributes to drafting (PA, AP or LATERAL), or null when it does not qualify. */
    public static String draftingView(InstanceFacts f) {
        return whyNot(f) == null ? view(f) : null;
    }

    /** PA, AP or LATERAL; from ViewPosition, else from the series description; null when neither says. */
    static String view(InstanceFacts f) {
        String vp = upper(f.viewPosition());
        if (!vp.isEmpty()) {
            return VIEWS.contains(vp) ? (vp.equals("PA") || vp.equals("AP") ? vp : "LATERAL") : null;
        }
        for (String word : upper(f.seriesDescription()).split("[^A-Z]+")) {
            if (word.equals("PA") || word.equals("AP")) {
                return word;
            }
            if (word.equals("LAT") || word.equals("LATERAL")) {
                return "LATERAL";
            }
        }
        return null;
    }

    private static boolean mentionsChest(String description) {
        String d = upper(description);
        return CHEST_WORDS.stream().anyMatch(d::contains);
    }

    /** From PatientAge (nnnY/M/W/D), else from PatientBirthDate and StudyDate; empty when unknown. */
    static OptionalInt ageYears(InstanceFacts f) {
        String age = upper(f.patientAge());
        // AS is nnnD/W/M/Y; some modalities write bare years ("62"), which we read as years.
        if (age.matches("\\d{1,3}[DWMY]?")) {
            char unit = Character.isDigit(age.charAt(age.length() - 1)) ? 'Y' : age.charAt(age.length() - 1);
            int n = Integer.parseInt(age.replaceAll("\\D", ""));
            return OptionalInt.of(switch (unit) {
                case 'Y' -> n;
                case 'M' -> n / 12;
                case 'W' -> n / 52;
                default -> n / 365;
            });
        }
        try {
            DateTimeFormatter da = DateTimeFormatter.BASIC_ISO_DATE;
            if (f.patientBirthDate() != null && f.studyDate() != null) {
                return OptionalInt.of(Period.between(LocalDate.parse(f.patientBirthDate().trim(), da),
                        LocalDate.parse(f.studyDate().trim(), da)).getYears());
            }
        } catch (RuntimeException unparseable) {
            // an unreadable date is treated as an unknown age
        }
        return OptionalInt.empty();
    }

    private static String upper(String s) {
        return s == null ? "" : s.trim().toUpperCase(Locale.ROOT);
    }

    static List<InstanceFacts> factsOf(Database db, long studyId) throws SQLException {
        List<InstanceFacts> facts = new ArrayList<>();
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement("""
                SELECT modality, body_part_examined, view_position, study_description, series_description,
                       patient_age, patient_birth_date, study_date FROM instance WHERE study_id = ? ORDER BY id""")) {
            ps.setLong(1, studyId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    facts.add(new InstanceFacts(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8)));
                }
            }
        }
        return facts;
    }
}
