package org.raddraft.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.Dcmtk;
import org.raddraft.testing.TlsKeys;

/** DICOM TLS configured the way an admin does it: raddraft.properties + the password in the environment. */
class TlsIT {

    @Test
    void storescuOverTlsStoresAStudyAndPlaintextFailsCleanly(@TempDir Path tmp) throws Exception {
        Path home = tmp.resolve("home");
        TlsKeys keys = TlsKeys.make(Files.createDirectories(home.resolve("tls")));
        Map<String, String> tls = Map.of("dicom.tls.enabled", "true", "dicom.tls.keystore", "tls/server.p12",
                "dicom.tls.truststore", "tls/trust.p12");
        try (DaemonProcess d = new DaemonProcess(home, tls).env("DICOM_TLS_KEYSTORE_PASSWORD", keys.password()).start()) {
            String uid = "1.2.826.0.1.3680043.10.3.1";
            Path pa = Dcmtk.image(tmp, "pa", 64, 1, "StudyInstanceUID=" + uid, "BodyPartExamined=CHEST", "ViewPosition=PA");
            Path lat = Dcmtk.image(tmp, "lat", 64, 2, "StudyInstanceUID=" + uid, "BodyPartExamined=CHEST", "ViewPosition=LL");
            var plain = Dcmtk.storescu(d.dicomPort, "PACS", "RADDRAFT", List.of("-to", "10"), pa);
            assertNotEquals(0, plain.exitCode(), plain.toString());
            var r = Dcmtk.storescu(d.dicomPort, "PACS", "RADDRAFT", keys.storescuOptions(), pa, lat);
            assertEquals(2, r.storedFiles().size(), r.toString());
            assertTrue(d.log().contains("tls-handshake-failed") || d.http("/metrics").contains("tls-handshake-failed"),
                    "the plaintext attempt is counted as a failed handshake");
            assertTrue(!d.log().contains(keys.password()), "the keystore password is never logged");
        }
    }
}
