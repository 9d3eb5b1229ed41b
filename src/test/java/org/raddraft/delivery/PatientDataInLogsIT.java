package org.raddraft.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.dicom.RawScu;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.DicomMutator;
import org.raddraft.testing.MllpPeer;

/**
 * No patient data in logs (issue 24): studies with a known patient name, ID, birth date and accession
 * numbers go through the whole loop on the real daemon (C-STORE, drafting, approval, HL7 delivery to a
 * real MLLP peer) and through its failure paths: mutated data sets refused or failing to draft (the
 * fuzzer's cases carry the same values), a RIS that is down, one that rejects, and a restart's
 * recovery. Then every log line, every C-STORE Error Comment, every stored error or reason column
 * and /metrics are searched for those values: none may appear.
 */
class PatientDataInLogsIT {

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    static Path tmp;

    @Test
    void knownPatientValuesAppearInNoLogLineErrorCommentStoredReasonOrMetric() throws Exception {
        MllpPeer ris = new MllpPeer(); // not started yet: the RIS is down for the first approval
        List<String> texts = new ArrayList<>();
        try (DaemonProcess daemon = new DaemonProcess(tmp.resolve("home"), Hl7DeliveryIT.deliveryConfig(ris.port)).start()) {
            int refused = 0;
            for (int i = 0; i < 60; i++) {
                DicomMutator.Case c = DicomMutator.mutate(24, i);
                try (RawScu scu = RawScu.associate(daemon.dicomPort, null, "PACS", "RADDRAFT", 20_000)) {
                    RawScu.Answer a = scu.store(c.uids().sop(), c.dataSet(), 16_000);
                    texts.add("C-STORE " + i + " " + a.statusHex() + ": " + a.errorComment());
                    refused += a.status() == 0 ? 0 : 1;
                } catch (IOException e) {
                    texts.add("C-STORE " + i + " aborted: " + e.getMessage());
                    refused++;
                }
            }
            assertTrue(refused > 10, "the mutated data sets reach the refusal paths: " + refused + " of 60");

            Approvals approvals = new Approvals(daemon, tmp);
            List<Approvals.Study> studies = approvals.drafted(DicomMutator.ACCESSION, 3,
                    "(0010,0010)=" + DicomMutator.PATIENT_NAME, "(0010,0020)=" + DicomMutator.PATIENT_ID,
                    "(0010,0030)=" + DicomMutator.BIRTH_DATE);
            approvals.approve(studies.get(0), "Lungs clear.", "Normal.");
            approvals.awaitRow(studies.get(0), "HL7", 1, "RETRYING");
            String rejected = studies.get(1).accession();
            ris.answering(m -> rejected.equals(Hl7DeliveryIT.accession(m))
                    ? MllpPeer.Answer.reject("no such order") : MllpPeer.Answer.ACCEPT).start();
            approvals.approve(studies.get(1), "Lungs clear.", "Normal.");
            approvals.awaitRow(studies.get(1), "HL7", 1, "DEAD");
            approvals.approve(studies.get(2), "Lungs clear.", "Normal.");
            approvals.awaitRow(studies.get(2), "HL7", 1, "SENT");
            approvals.awaitRow(studies.get(0), "HL7", 1, "SENT");
            Thread.sleep(1500); // the gauges are read at most once a second
            texts.add(daemon.http("/metrics"));
            texts.add(daemon.adminJson("studies").toString());
            int exit = daemon.stop();
            assertTrue(exit == 0 || exit == 143, "clean exit on SIGTERM, got " + exit);
            daemon.start(); // start-up recovery logs what it finds
            texts.add(daemon.http("/health"));
            daemon.stop();
            texts.add(daemon.log());
            texts.addAll(storedReasons(approvals));
        } finally {
            ris.close();
        }
        List<String> hits = new ArrayList<>();
        for (String text : texts) {
            for (String line : String.valueOf(text).split("\n")) {
                for (String value : DicomMutator.PATIENT_VALUES) {
                    if (line.contains(value)) {
                        hits.add(value + " in: " + line);
                    }
                }
            }
        }
        assertEquals(List.of(), hits);
    }

    /** Every value of every column whose name says it holds an error, a reason or a detail. */
    static List<String> storedReasons(Approvals approvals) throws Exception {
        List<String> values = new ArrayList<>();
        try (Connection c = approvals.connect(); Statement st = c.createStatement()) {
            List<String[]> columns = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("""
                    SELECT TABLE_NAME, COLUMN_NAME FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = 'PUBLIC'
                    AND (COLUMN_NAME LIKE '%ERROR%' OR COLUMN_NAME LIKE '%REASON%' OR COLUMN_NAME LIKE '%DETAIL%')""")) {
                while (rs.next()) {
                    columns.add(new String[] {rs.getString(1), rs.getString(2)});
                }
            }
            assertTrue(columns.stream().anyMatch(t -> t[1].equals("LAST_ERROR")), "outbox.last_error searched");
            for (String[] t : columns) {
                try (ResultSet rs = st.executeQuery("SELECT \"" + t[1] + "\" FROM \"" + t[0] + "\"")) {
                    while (rs.next()) {
                        values.add(t[0] + "." + t[1] + ": " + rs.getString(1));
                    }
                }
            }
        }
        return values;
    }
}
