package org.raddraft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {

    @TempDir
    Path dir;

    @Test
    void defaultsComeFromTheDocumentedConfigFile() throws Exception {
        Settings s = Settings.load(null, Map.of(), new Properties());
        assertEquals("11112", s.get("dicom.port"));
        assertEquals("RADDRAFT", s.get("dicom.ae-title"));
        assertEquals(List.of(), ConfigCheck.problems(s), "the shipped defaults must be valid");
    }

    @Test
    void fileThenEnvironmentThenSystemPropertyOverride() throws Exception {
        Path f = dir.resolve("r.properties");
        Files.writeString(f, "dicom.port=4242\ndicom.ae-title=FROMFILE\nhttp.port=9000\n");
        Properties sys = new Properties();
        sys.setProperty("http.port", "9100");
        Settings s = Settings.load(f, Map.of("DICOM_AE_TITLE", "FROMENV", "HTTP_PORT", "9001"), sys);
        assertEquals("4242", s.get("dicom.port"));
        assertEquals("FROMENV", s.get("dicom.ae-title"));
        assertEquals("9100", s.get("http.port"));
    }

    @Test
    void checkConfigNamesEachProblemAndItsFix() throws Exception {
        Path f = dir.resolve("bad.properties");
        Files.writeString(f, """
                dicom.port=70000
                dicom.ae-title=THIS_AE_TITLE_IS_TOO_LONG
                dicom.allowed-peers=PACS@,OK_AE
                study.quiet-seconds=soon
                dicom.tls.enabled=true
                dicom.tls.keystore=
                log.format=xml
                """);
        List<String> p = ConfigCheck.problems(Settings.load(f, Map.of(), new Properties()));
        assertEquals(6, p.size(), String.join("\n", p));
        assertTrue(p.contains("dicom.port: 70000 is out of range; write a whole number from 0 to 65535"), p.toString());
        assertTrue(p.stream().anyMatch(x -> x.startsWith("dicom.ae-title: 'THIS_AE_TITLE_IS_TOO_LONG' is not a valid AE title")));
        assertTrue(p.contains("dicom.allowed-peers: 'PACS@' has an empty host; write AE or AE@host"), p.toString());
        assertTrue(p.contains("study.quiet-seconds: 'soon' is not a whole number; write a number from 0 to 86400"));
        assertTrue(p.stream().anyMatch(x -> x.startsWith("dicom.tls.keystore: empty but dicom.tls.enabled=true")));
        assertTrue(p.contains("log.format: 'xml' is not supported; write text or json"));
    }

    @Test
    void checkConfigRefusesADeliveryAddressItCannotUse() throws Exception {
        Path f = dir.resolve("delivery.properties");
        Files.writeString(f, "delivery.fhir.base-url=ftp://fhir.example/fhir\ndelivery.mllp.host=ris.example\ndelivery.mllp.port=0\n");
        List<String> p = ConfigCheck.problems(Settings.load(f, Map.of(), new Properties()));
        assertEquals(2, p.size(), String.join("\n", p));
        assertTrue(p.get(0).startsWith("delivery.fhir.base-url: 'ftp://fhir.example/fhir' is not an http(s) URL"), p.get(0));
        assertTrue(p.contains("delivery.mllp.port: 0 is out of range; write a whole number from 1 to 65535"), p.toString());
    }

    @Test
    void checkConfigNamesTheMissingFhirSecret() throws Exception {
        Path f = dir.resolve("fhir.properties");
        Files.writeString(f, "delivery.fhir.base-url=https://fhir.example/fhir\ndelivery.fhir.auth=bearer\n");
        List<String> p = ConfigCheck.problems(Settings.load(f, Map.of(), new Properties()));
        assertEquals(List.of("delivery.fhir.token: empty but delivery.fhir.auth=bearer; set DELIVERY_FHIR_TOKEN in the environment"), p);
        assertEquals(List.of(), ConfigCheck.problems(Settings.load(f, Map.of("DELIVERY_FHIR_TOKEN", "s3cret"), new Properties())),
                "the secret comes from the environment");
        Files.writeString(f, "delivery.fhir.auth=kerberos\n");
        assertEquals(List.of("delivery.fhir.auth: 'kerberos' is not supported; write none, bearer or basic"),
                ConfigCheck.problems(Settings.load(f, Map.of(), new Properties())));
    }

    @Test
    void checkConfigRefusesAPacsItCannotCall() throws Exception {
        Path f = dir.resolve("dicom-delivery.properties");
        Files.writeString(f, "delivery.dicom.host=pacs.example\ndelivery.dicom.port=70000\n"
                + "delivery.dicom.ae-title=A-VERY-LONG-AE-TITLE\ndelivery.dicom.uid-root=1.02.3\n"
                + "delivery.dicom.tls.enabled=yes\n");
        List<String> p = ConfigCheck.problems(Settings.load(f, Map.of(), new Properties()));
        assertEquals(4, p.size(), String.join("\n", p));
        assertTrue(p.contains("delivery.dicom.port: 70000 is out of range; write a whole number from 1 to 65535"), p.toString());
        assertTrue(p.contains("delivery.dicom.ae-title: 'A-VERY-LONG-AE-TITLE' is not a valid AE title; write 1 to 16 "
                + "printable ASCII characters without backslash"), p.toString());
        assertTrue(p.stream().anyMatch(x -> x.startsWith("delivery.dicom.uid-root: UID root '1.02.3' is not a UID")), p.toString());
        assertTrue(p.contains("delivery.dicom.tls.enabled: 'yes' is not a boolean; write true or false"), p.toString());
    }
}
