package org.raddraft.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.raddraft.ingest.ScopeGate.InstanceFacts;

class ScopeGateTest {

    private final ScopeGate gate = new ScopeGate(18);

    private static InstanceFacts chest(String modality, String bodyPart, String view, String age) {
        return new InstanceFacts(modality, bodyPart, view, "XR CHEST 2 VIEWS", null, age, null, null);
    }

    @Test
    void adultChestPaAndLateralIsInScope() {
        var d = gate.decide(List.of(chest("CR", "CHEST", "PA", "054Y"), chest("CR", "CHEST", "LL", "054Y")));
        assertTrue(d.inScope(), d.reason());
    }

    @Test
    void extremityIsOutOfScopeWithReason() {
        var d = gate.decide(List.of(new InstanceFacts("CR", "EXTREMITY", "AP", "", null, null, null, null)));
        assertFalse(d.inScope());
        assertEquals("body part EXTREMITY is not chest", d.reason());
    }

    @Test
    void aReasonNeverRepeatsTextThatIsNotACodeString() {
        // a sender that writes free text (here a name) into Modality, Body Part or View Position: the reason
        // goes to the log, admin studies and the study row, so it names the element only
        for (InstanceFacts f : List.of(chest("Doe^Jane", "CHEST", "PA", null), chest("CR", "Doe^Jane", "PA", null),
                chest("CR", "CHEST", "DOE JANE 1970", null))) {
            var d = gate.decide(List.of(f));
            assertFalse(d.inScope());
            assertFalse(d.reason().toUpperCase().contains("DOE"), d.reason());
            assertTrue(d.reason().contains("(not a valid code string)"), d.reason());
        }
        assertTrue(gate.decide(List.of(chest("CT", "CHEST", "PA", null))).reason().contains("modality CT"));
    }

    @Test
    void otherModalityIsOutOfScope() {
        var d = gate.decide(List.of(chest("CT", "CHEST", "PA", null)));
        assertFalse(d.inScope());
        assertEquals("modality CT is not CR or DX", d.reason());
    }

    @Test
    void childIsOutOfScopeEvenWithChestViews() {
        var d = gate.decide(List.of(chest("DX", "CHEST", "AP", "011Y")));
        assertFalse(d.inScope());
        assertEquals("patient age 11 years is below 18", d.reason());
        assertEquals("patient age 9 years is below 18", gate.decide(List.of(chest("DX", "CHEST", "AP", "9"))).reason());
        assertTrue(gate.decide(List.of(chest("DX", "CHEST", "AP", "62"))).inScope(), "bare years are read as years");
        var months = gate.decide(List.of(chest("DX", "CHEST", "AP", "030M")));
        assertEquals("patient age 2 years is below 18", months.reason());
    }

    @Test
    void ageFromBirthDateWhenPatientAgeMissing() {
        var d = gate.decide(List.of(new InstanceFacts("DX", "CHEST", "PA", null, null, null, "20100301", "20260301")));
        assertEquals("patient age 16 years is below 18", d.reason());
        var adult = gate.decide(List.of(new InstanceFacts("DX", "CHEST", "PA", null, null, null, "19700301", "20260301")));
        assertTrue(adult.inScope());
    }

    @Test
    void missingBodyPartAcceptedWhenDescriptionSaysChest() {
        var d = gate.decide(List.of(new InstanceFacts("DX", null, "PA", "XR CHEST PA", null, null, null, null)));
        assertTrue(d.inScope(), d.reason());
        var no = gate.decide(List.of(new InstanceFacts("DX", null, "PA", "No Finding", null, null, null, null)));
        assertFalse(no.inScope());
        assertEquals("body part missing and study/series description do not say chest", no.reason());
    }

    @Test
    void viewFromSeriesDescriptionWhenViewPositionMissing() {
        var d = gate.decide(List.of(new InstanceFacts("CR", "CHEST", null, null, "CHEST PA", null, null, null)));
        assertTrue(d.inScope(), d.reason());
        assertEquals("LATERAL", ScopeGate.draftingView(new InstanceFacts("CR", "CHEST", null, null, "CHEST LAT", null,
                null, null)));
        var unknown = gate.decide(List.of(new InstanceFacts("CR", "CHEST", "", null, "CHEST", null, null, null)));
        assertEquals("view position missing is not PA, AP or lateral", unknown.reason());
        var oblique = gate.decide(List.of(chest("CR", "CHEST", "OBL", null)));
        assertEquals("view position OBL is not PA, AP or lateral", oblique.reason());
    }

    @Test
    void lateralOnlyStudyIsOutOfScopeUntilAFrontalArrives() {
        var lateral = gate.decide(List.of(chest("CR", "CHEST", "LL", "054Y")));
        assertFalse(lateral.inScope());
        assertEquals("lateral view only: drafting needs a frontal (PA or AP) view", lateral.reason());
        assertTrue(gate.decide(List.of(chest("CR", "CHEST", "LL", "054Y"), chest("DX", "CHEST", "AP", "054Y"))).inScope());
        assertFalse(gate.decide(List.of(chest("CR", "CHEST", "LL", "054Y"), chest("CR", "HAND", "PA", "054Y"))).inScope(),
                "a frontal counts only when it qualifies itself");
    }

    @Test
    void oneQualifyingImageIsEnoughAmongOtherObjects() {
        var d = gate.decide(List.of(chest("SR", "CHEST", null, null), chest("CR", "CHEST", "PA", "040Y")));
        assertTrue(d.inScope(), d.reason());
    }
}
