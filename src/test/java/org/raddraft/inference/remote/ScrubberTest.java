package org.raddraft.inference.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class ScrubberTest {

    private final Scrubber scrubber = new Scrubber(List.of("Müller-Lüdenscheidt^Anna Maria^^Dr.", "Müller-Lüdenscheidt",
            "Anna Maria", "Dr.", "PID-884213", "19580312", "ACC77120", "20261201", "A"));

    @Test
    void removesEveryPartOfThePatientsOwnName() {
        String s = scrubber.scrub("Pt Anna Maria MÜLLER-LÜDENSCHEIDT, known to Mrs müller-lüdenscheidt's GP; Anna reports cough");
        String low = s.toLowerCase(Locale.ROOT);
        assertFalse(low.contains("müller"), s);
        assertFalse(low.contains("anna maria"), s);
        assertFalse(s.contains("Anna"), s);
        assertTrue(s.contains("cough"), s);
    }

    @Test
    void removesIdsAccessionAndTheBirthDateInTheSpellingsPeopleUse() {
        String s = scrubber.scrub("MRN PID-884213 acc ACC77120, DOB 12.03.1958 (1958-03-12, 3/12/1958, 19580312)");
        for (String v : List.of("884213", "77120", "1958", "12.03", "3/12")) {
            assertFalse(s.contains(v), v + " left in: " + s);
        }
    }

    @Test
    void removesOtherDatesAndLongIdentifiersButKeepsClinicalNumbers() {
        String s = scrubber.scrub("Fall on 3 March 2026, seen 2026-02-28; ref 55512345; SpO2 91%, 2 cm nodule, T10-T12, COVID-19.");
        assertFalse(s.contains("March"), s);
        assertFalse(s.contains("2026"), s);
        assertFalse(s.contains("55512345"), s);
        assertTrue(s.contains("SpO2 91%") && s.contains("2 cm nodule") && s.contains("T10-T12") && s.contains("COVID-19"), s);
    }

    @Test
    void anInitialAloneIsNotRemovedEverywhere() {
        assertEquals("A small effusion.", scrubber.scrub("A small effusion."));
    }
}
