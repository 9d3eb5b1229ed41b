package org.raddraft.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ca.uhn.fhir.rest.client.api.IGenericClient;
import java.nio.file.Path;
import java.util.Map;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.DaemonProcess;

/** One HTTP port serves the FHIR API next to health and metrics; the RIS is HAPI's generic client. */
class FhirServerIT {

    @TempDir
    static Path tmp;
    static DaemonProcess daemon;
    static IGenericClient ris;

    @BeforeAll
    static void start() throws Exception {
        daemon = new DaemonProcess(tmp.resolve("home"), Map.of()).start();
        ris = daemon.fhir();
    }

    @AfterAll
    static void stop() throws Exception {
        daemon.close();
    }

    @Test
    void metadataIsACapabilityStatementOnTheSamePortAsHealthAndMetrics() throws Exception {
        CapabilityStatement cs = ris.capabilities().ofType(CapabilityStatement.class).execute();
        assertEquals("4.0.1", cs.getFhirVersion().toCode());
        assertEquals("RadDraft", cs.getSoftware().getName());
        assertEquals(200, daemon.httpStatus("/health/live"));
        assertTrue(daemon.http("/health").contains("\"database\":\"UP\""), daemon.http("/health"));
        assertTrue(daemon.http("/metrics").contains("raddraft_studies{state=\"DRAFTED\"}"));
        assertEquals(404, daemon.request("GET", "/nothing-here", daemon.token("integration"), Map.of(), null).statusCode());
    }
}
