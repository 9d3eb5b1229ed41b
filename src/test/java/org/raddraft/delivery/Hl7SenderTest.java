package org.raddraft.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ca.uhn.hl7v2.model.v251.group.ORU_R01_ORDER_OBSERVATION;
import ca.uhn.hl7v2.model.v251.message.ORU_R01;
import ca.uhn.hl7v2.model.v251.segment.OBR;
import ca.uhn.hl7v2.model.v251.segment.OBX;
import ca.uhn.hl7v2.model.v251.segment.PID;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.raddraft.dicom.PatientModule;
import org.raddraft.testing.MllpPeer;

/**
 * The HL7 v2 channel against a real MLLP listener (HAPI's server: it parses and validates the
 * ORU^R01 before the test checks it field by field), with each kind of answer a RIS gives.
 */
class Hl7SenderTest {

    static final Hl7Sender.Header HEADER = new Hl7Sender.Header("RADDRAFT", "RADIOLOGY", "RIS", "HOSPITAL", "P");
    MllpPeer ris;
    Hl7Sender sender;

    @BeforeEach
    void start() throws Exception {
        ris = new MllpPeer().start();
        sender = new Hl7Sender("127.0.0.1", ris.port, Duration.ofSeconds(2), HEADER, Clock.systemUTC());
    }

    @AfterEach
    void stop() throws Exception {
        ris.close();
    }

    static FinalReport report(long outboxId, boolean correction) {
        return new FinalReport(outboxId, 7, correction ? 2 : 1, correction, 3, "1.2.3.4", "A23000000", "20240206",
                false, new PatientModule("PHANTOM^Ann^Marie^Dr^III", "PH-23-000000", "RADDRAFT-PHANTOM", "19750206", "F"),
                "Heart size is normal.\nNo pleural effusion | no pneumothorax ^ & ~ \\ done.\n\n",
                "No acute cardiopulmonary process.", "dr.jones", "Jones^Ann^^Dr", OffsetDateTime.parse("2026-12-02T10:15:30Z"),
                "reference-cxr", "2.2.0", true);
    }

    @Test
    void anAcceptedOruR01CarriesTheReportFieldByField() throws Exception {
        assertEquals("RD41", sender.send(report(41, false)));

        List<MllpPeer.Received> got = ris.received();
        assertEquals(1, got.size());
        ORU_R01 m = got.get(0).message();
        assertEquals("ORU", m.getMSH().getMessageType().getMessageCode().getValue());
        assertEquals("R01", m.getMSH().getMessageType().getTriggerEvent().getValue());
        assertEquals("ORU_R01", m.getMSH().getMessageType().getMessageStructure().getValue());
        assertEquals("2.5.1", m.getMSH().getVersionID().getVersionID().getValue());
        assertEquals("RD41", m.getMSH().getMessageControlID().getValue());
        assertEquals("RADDRAFT", m.getMSH().getSendingApplication().getNamespaceID().getValue());
        assertEquals("RIS", m.getMSH().getReceivingApplication().getNamespaceID().getValue());
        assertEquals("P", m.getMSH().getProcessingID().getProcessingID().getValue());

        PID pid = m.getPATIENT_RESULT().getPATIENT().getPID();
        assertEquals("PH-23-000000", pid.getPatientIdentifierList(0).getIDNumber().getValue());
        assertEquals("RADDRAFT-PHANTOM", pid.getPatientIdentifierList(0).getAssigningAuthority().getNamespaceID().getValue());
        assertEquals("PHANTOM", pid.getPatientName(0).getFamilyName().getSurname().getValue());
        assertEquals("Ann", pid.getPatientName(0).getGivenName().getValue());
        assertEquals("Marie", pid.getPatientName(0).getSecondAndFurtherGivenNamesOrInitialsThereof().getValue());
        assertEquals("Dr", pid.getPatientName(0).getPrefixEgDR().getValue());
        assertEquals("III", pid.getPatientName(0).getSuffixEgJRorIII().getValue());
        assertEquals("19750206", pid.getDateTimeOfBirth().getTime().getValue());
        assertEquals("F", pid.getAdministrativeSex().getValue());

        ORU_R01_ORDER_OBSERVATION order = m.getPATIENT_RESULT().getORDER_OBSERVATION();
        OBR obr = order.getOBR();
        assertEquals("A23000000", obr.getPlacerField1().getValue(), "OBR-18 accession");
        assertEquals("A23000000", obr.getFillerOrderNumber().getEntityIdentifier().getValue());
        assertEquals("36643-5", obr.getUniversalServiceIdentifier().getIdentifier().getValue());
        assertEquals("LN", obr.getUniversalServiceIdentifier().getNameOfCodingSystem().getValue());
        assertEquals("F", obr.getResultStatus().getValue(), "OBR-25");
        assertEquals("RAD", obr.getDiagnosticServSectID().getValue());
        var interpreter = obr.getPrincipalResultInterpreter().getNDLName();
        assertEquals("dr.jones", interpreter.getIDNumber().getValue(), "OBR-32");
        assertEquals("Jones Ann Dr", interpreter.getFamilyName().getValue() + " " + interpreter.getGivenName().getValue()
                + " " + interpreter.getPrefixEgDR().getValue(), "OBR-32 names the radiologist from the display name");
        assertEquals("20261202101530+0000", obr.getResultsRptStatusChngDateTime().getTime().getValue());
        assertTrue(order.getNTE().getComment(0).getValue().contains("reference-cxr 2.2.0"));

        List<String> lines = new ArrayList<>();
        for (int i = 0; i < order.getOBSERVATIONReps(); i++) {
            OBX obx = order.getOBSERVATION(i).getOBX();
            assertEquals(Integer.toString(i + 1), obx.getSetIDOBX().getValue());
            assertEquals("TX", obx.getValueType().getValue());
            assertEquals("F", obx.getObservationResultStatus().getValue());
            assertEquals("dr.jones", obx.getResponsibleObserver(0).getIDNumber().getValue());
            assertEquals("Jones", obx.getResponsibleObserver(0).getFamilyName().getSurname().getValue());
            lines.add(obx.getObservationIdentifier().getIdentifier().getValue() + " "
                    + obx.getObservationValue(0).getData().encode());
        }
        assertEquals(List.of("59776-5 Heart size is normal.", "59776-5 No pleural effusion \\F\\ no pneumothorax \\S\\ \\T\\ \\R\\ \\E\\ done.",
                "19005-8 No acute cardiopulmonary process."), lines, "OBX TX per line, HL7 delimiters escaped");
        assertEquals("No pleural effusion | no pneumothorax ^ & ~ \\ done.",
                ((ca.uhn.hl7v2.model.v251.datatype.TX) order.getOBSERVATION(1).getOBX().getObservationValue(0).getData()).getValue());
    }

    @Test
    void aCorrectionIsOBR25C() throws Exception {
        sender.send(report(42, true));
        ORU_R01 m = ris.received().get(0).message();
        assertEquals("C", m.getPATIENT_RESULT().getORDER_OBSERVATION().getOBR().getResultStatus().getValue());
        assertEquals("C", m.getPATIENT_RESULT().getORDER_OBSERVATION().getOBSERVATION(0).getOBX()
                .getObservationResultStatus().getValue());
    }

    @Test
    void applicationErrorAEIsTransientWithTheRisReason() {
        ris.answering(m -> MllpPeer.Answer.error("database busy"));
        DeliveryException e = assertThrows(DeliveryException.class, () -> sender.send(report(43, false)));
        assertFalse(e instanceof DeliveryException.Permanent, e.toString());
        assertTrue(e.getMessage().contains("AE") && e.getMessage().contains("database busy"), e.getMessage());
        assertFalse(e.summary().contains("database busy"), "the peer's words stay out of the log line");
    }

    @Test
    void rejectARIsPermanentWithTheRisReason() {
        ris.answering(m -> MllpPeer.Answer.reject("unknown accession"));
        DeliveryException e = assertThrows(DeliveryException.Permanent.class, () -> sender.send(report(44, false)));
        assertTrue(e.getMessage().contains("AR") && e.getMessage().contains("unknown accession"), e.getMessage());
    }

    @Test
    void noAckWithinTheTimeoutIsTransient() {
        ris.answering(m -> MllpPeer.Answer.acceptAfter(4000));
        DeliveryException e = assertThrows(DeliveryException.class, () -> sender.send(report(45, false)));
        assertFalse(e instanceof DeliveryException.Permanent);
        assertTrue(e.getMessage().startsWith("no ACK from the RIS within 2000 ms for RD45"), e.getMessage());
    }

    @Test
    void aRisThatIsDownRefusesTheConnection() {
        ris.stop();
        Exception e = assertThrows(Exception.class, () -> sender.send(report(46, false)));
        assertInstanceOf(ConnectException.class, e);
    }

    static FinalReport withPatient(long outboxId, PatientModule p, String studyDate) {
        FinalReport r = report(outboxId, false);
        return new FinalReport(r.outboxId(), r.draftId(), r.revision(), r.correction(), r.studyId(), r.studyInstanceUid(),
                r.accessionNumber(), studyDate, r.singleView(), p, r.findings(), r.impression(), r.reviewer(),
                r.reviewerName(), r.reviewedAt(), r.modelName(), r.modelVersion(), r.notForClinicalUse());
    }

    /**
     * Issue 21 #6: a birth date written {@code 1980-02-03} made HAPI throw with the value in its message
     * (logged, stored, retried ~50 times). It is sent as DICOM means it; a date that is none is left out.
     */
    @Test
    void aNonConformantBirthDateIsSentRewrittenAndAnInvalidDateLeftOut() throws Exception {
        PatientModule iso = new PatientModule("PHANTOM^Ann", "PH-1", "RADDRAFT-PHANTOM", "1980-02-03", "F");
        assertEquals("RD47", sender.send(withPatient(47, iso, "2024-02-06")));
        ORU_R01 m = ris.received().get(0).message();
        assertEquals("19800203", m.getPATIENT_RESULT().getPATIENT().getPID().getDateTimeOfBirth().getTime().getValue());
        assertEquals("20240206", m.getPATIENT_RESULT().getORDER_OBSERVATION().getOBR().getObservationDateTime()
                .getTime().getValue());

        PatientModule none = new PatientModule("PHANTOM^Ann", "PH-1", "RADDRAFT-PHANTOM", "1980-02-30", "F");
        assertEquals("RD48", sender.send(withPatient(48, none, "yesterday")));
        m = ris.received().get(1).message();
        assertEquals(null, m.getPATIENT_RESULT().getPATIENT().getPID().getDateTimeOfBirth().getTime().getValue());
        assertEquals(null, m.getPATIENT_RESULT().getORDER_OBSERVATION().getOBR().getObservationDateTime()
                .getTime().getValue());
    }

    /**
     * Issue 21 #9: HAPI escapes the delimiters and CR but passes LF, which interface engines turn into a
     * segment break: a Patient ID {@code X<LF>OBX|9|TX|...} would add an observation. Every value on the
     * wire is free of control characters.
     */
    @Test
    void controlCharactersInDicomValuesCannotInjectASegment() throws Exception {
        PatientModule evil = new PatientModule("EVIL^Ann\nOBX|9|TX|x^^LN||injected name", "PH-1\nOBX|9|TX|x^^LN||injected id",
                "ISSUER\u000b\u0085", "19800203", "F\r\nZZZ|1");
        FinalReport r = withPatient(49, evil, "20240206");
        r = new FinalReport(r.outboxId(), r.draftId(), r.revision(), r.correction(), r.studyId(), r.studyInstanceUid(),
                "ACC\n1", r.studyDate(), r.singleView(), evil, "Line one\u2028OBX|9|TX|x^^LN||injected text",
                r.impression(), r.reviewer(), r.reviewerName(), r.reviewedAt(), r.modelName(), r.modelVersion(),
                r.notForClinicalUse());
        String wire = new ca.uhn.hl7v2.DefaultHapiContext().getPipeParser()
                .encode(new OruMessage(HEADER, Clock.systemUTC()).build(r));
        for (String segment : wire.split("\r")) {
            for (char c : segment.toCharArray()) {
                assertTrue(c >= 0x20 && (c < 0x7f || c > 0x9f) && c != 0x2028 && c != 0x2029,
                        "control character " + (int) c + " in " + segment);
            }
        }
        List<String> names = new ArrayList<>();
        for (String segment : wire.split("[\r\n\u000b\u0085\u2028\u2029]")) {
            names.add(segment.length() >= 3 ? segment.substring(0, 3) : segment);
        }
        assertFalse(names.contains("ZZZ"), wire);
        assertEquals(List.of("MSH", "PID", "ORC", "OBR", "NTE", "OBX", "OBX", "OBX"), names, wire);
        assertEquals("RD49", sender.send(r), "and the RIS accepts it");
    }

    @Test
    void thePatientModuleIsReadFromTheDicomFile() throws Exception {
        Path file;
        try (var files = Files.walk(Path.of("testdata/phantoms/dicom/ph-23-000000"))) {
            file = files.filter(f -> f.toString().endsWith(".dcm")).sorted().findFirst().orElseThrow();
        }
        PatientModule p = PatientModule.read(file);
        assertEquals(new PatientModule("PHANTOM^0000", "PH-23-000000", "RADDRAFT-PHANTOM", "19750206", "M"), p);
    }
}
