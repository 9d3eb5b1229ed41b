package org.raddraft.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.raddraft.testing.Browser;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.Dcmtk;

/**
 * Issue 21, "Patient safety on the review page", in headless Chromium against the daemon process: a
 * radiologist sees whose study they sign. The worklist names the patient next to the accession; the
 * draft shows name, ID, sex, birth date and age, study date and description and the indication from
 * (0040,1002), (0032,1030) and (0008,1080) in a header that stays in view while the page is scrolled
 * and the impression edited; the header's read is audited; nothing of it reaches the daemon's log.
 */
class PatientHeaderBrowserIT {

    static final Path PHANTOMS = DaemonProcess.APP.resolve("testdata/phantoms/dicom");
    static final String NAME = "TESTPATIENT^Alice^Marie";
    static final String PATIENT_ID = "MRN-21-SAFE";
    static final String REQUESTED = "Fever three days QZXREQ";
    static final String REASON = "Cough QZXREASON";
    static final String ADMITTING = "Suspected pneumonia QZXADMIT";
    static DaemonProcess daemon;
    static Browser browser;
    static String radiologist;

    @BeforeAll
    static void start() throws Exception {
        daemon = new DaemonProcess(Files.createTempDirectory("raddraft-ui-patient"), Map.of()).start();
        radiologist = daemon.newAccount("dr-header", "radiologist");
        Path study = Files.createTempDirectory("raddraft-ui-patient-study");
        List<Path> files;
        try (var list = Files.list(PHANTOMS.resolve("ph-23-000004"))) {
            files = list.sorted().toList();
        }
        List<Path> copies = new java.util.ArrayList<>();
        for (Path f : files) {
            Path copy = study.resolve(f.getFileName());
            Files.copy(f, copy);
            Dcmtk.ok("dcmodify", "-nb", "-i", "(0010,0010)=" + NAME, "-i", "(0010,0020)=" + PATIENT_ID,
                    "-i", "(0010,0040)=F", "-i", "(0010,0030)=19800203", "-i", "(0008,1030)=XR CHEST 2 VIEWS QZXDESC",
                    "-i", "(0040,0275)[0].(0040,1002)=" + REQUESTED, "-i", "(0032,1030)=" + REASON,
                    "-i", "(0008,1080)=" + ADMITTING, copy);
            copies.add(copy);
        }
        assertEquals(2, Dcmtk.storeAsIs(daemon.dicomPort, "PACS", copies).size());
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1))
                .until(() -> worklist().size() == 1);
        browser = new Browser(1100, 600); // short: the page scrolls
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.close();
        }
        daemon.close();
    }

    static List<JsonNode> worklist() throws Exception {
        HttpResponse<String> r = daemon.request("GET", "/fhir/DiagnosticReport?status=preliminary", radiologist,
                Map.of("Accept", "application/fhir+json"), null);
        assertEquals(200, r.statusCode(), r.body());
        List<JsonNode> out = new java.util.ArrayList<>();
        for (JsonNode e : ReviewPageBrowserIT.JSON.readTree(r.body()).path("entry")) {
            if (e.path("resource").path("resourceType").asText().equals("DiagnosticReport")) {
                out.add(e.get("resource"));
            }
        }
        return out;
    }

    static String text(String id) {
        return browser.driver.findElement(By.id(id)).getText();
    }

    @Test
    void theRadiologistSeesWhoseStudyTheySignWhileEditing() throws Exception {
        JsonNode report = worklist().get(0);
        String accession = report.path("identifier").get(0).path("value").asText();
        browser.driver.get(daemon.baseUrl() + "/ui/");
        browser.waitUpTo(Duration.ofSeconds(20)).until(ExpectedConditions.visibilityOfElementLocated(By.id("username")))
                .sendKeys("dr-header");
        browser.driver.findElement(By.id("password")).sendKeys(DaemonProcess.TEST_PASSWORD);
        browser.driver.findElement(By.id("login-button")).click();
        browser.waitUpTo(Duration.ofSeconds(20)).until(d -> d.findElements(By.cssSelector("#worklist tbody tr")).size() == 1);

        WebElement row = browser.driver.findElements(By.cssSelector("#worklist tbody tr")).get(0);
        assertEquals("TESTPATIENT, Alice Marie", row.findElement(By.cssSelector("td.patient")).getText(),
                "the worklist names the patient");
        assertTrue(row.getText().contains(accession), row.getText());

        row.click();
        browser.waitUpTo(Duration.ofSeconds(30)).until(d -> !text("patient-id").isEmpty());
        assertEquals("TESTPATIENT, Alice Marie", text("patient-name"));
        assertEquals(PATIENT_ID + " (RADDRAFT-PHANTOM)", text("patient-id"), "the ID with its issuer");
        assertEquals("female", text("patient-sex"));
        assertTrue(text("patient-birth").startsWith("1980-02-03 ("), text("patient-birth"));
        assertTrue(text("study-date").matches("\\d{4}-\\d{2}-\\d{2}"), text("study-date"));
        assertEquals("XR CHEST 2 VIEWS QZXDESC", text("study-description"));
        assertEquals(REQUESTED + "; " + REASON + "; " + ADMITTING, text("study-indication"));

        // scroll to the bottom and edit: the header stays at the top of the window
        WebElement impression = browser.driver.findElement(By.id("impression"));
        browser.driver.executeScript("window.scrollTo(0, document.body.scrollHeight);");
        impression.sendKeys(" Edited while the header shows the patient.");
        assertTrue(impression.getAttribute("value").endsWith("Edited while the header shows the patient."));
        Object scrolled = browser.driver.executeScript("return window.scrollY;");
        assertTrue(((Number) scrolled).doubleValue() > 50, "the page scrolled (" + scrolled + ")");
        Object top = browser.driver.executeScript(
                "const r = document.getElementById('patient-header').getBoundingClientRect();"
                        + "return [r.top, r.bottom, window.innerHeight];");
        List<?> rect = (List<?>) top;
        double headerTop = ((Number) rect.get(0)).doubleValue();
        double headerBottom = ((Number) rect.get(1)).doubleValue();
        assertTrue(headerTop >= 0 && headerTop < 2 && headerBottom > 20, "the header is in view at the top: " + rect);
        assertTrue(browser.driver.findElement(By.id("patient-name")).isDisplayed());
        browser.screenshot(DaemonProcess.APP.resolve("target/screenshots/review-patient-header.png"));

        // the read is audited, and nothing of the header is in the log
        String uid = report.path("imagingStudy").get(0).path("identifier").path("value").asText().substring(8);
        Dcmtk.Result trail = daemon.admin("audit", "--study", uid);
        assertEquals(0, trail.exitCode(), trail.output());
        assertTrue(trail.output().contains("study-header") && trail.output().contains("dr-header"), trail.output());
        String log = daemon.log();
        for (String value : List.of("TESTPATIENT", PATIENT_ID, "QZXREQ", "QZXREASON", "QZXADMIT", "QZXDESC", "19800203")) {
            assertFalse(log.contains(value), "the daemon's log has " + value);
        }
    }

    /** The header's endpoint behind the same rule as the images: radiologists (and integration accounts) only. */
    @Test
    void theHeaderIsForReviewersOnlyAndAnUnknownStudyIsNotFound() throws Exception {
        JsonNode report = worklist().get(0);
        String path = "/ui/studies/" + report.path("imagingStudy").get(0).path("identifier").path("value").asText()
                .substring(8) + "/header";
        assertEquals(401, daemon.request("GET", path, null, Map.of(), null).statusCode(), "anonymous");
        assertEquals(403, daemon.request("GET", path, daemon.token("admin"), Map.of(), null).statusCode(),
                "admins reach no patient data");
        HttpResponse<String> r = daemon.request("GET", path, radiologist, Map.of(), null);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode h = ReviewPageBrowserIT.JSON.readTree(r.body());
        assertEquals(PATIENT_ID, h.path("patientId").asText());
        assertEquals("1980-02-03", h.path("birthDate").asText());
        assertEquals(3, h.path("indications").size(), r.body());
        assertEquals("private, no-store", r.headers().firstValue("Cache-Control").orElse(""));
        assertEquals(404, daemon.request("GET", "/ui/studies/1.2.3.999/header", radiologist, Map.of(), null).statusCode());
    }
}
