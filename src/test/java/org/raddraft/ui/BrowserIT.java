package org.raddraft.ui;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.raddraft.testing.Browser;
import org.raddraft.testing.DaemonProcess;

/** The browser test set-up itself: Debian's Chromium, headless and offline, loads a page from the real daemon. */
class BrowserIT {

    @Test
    void chromiumLoadsAPageFromTheDaemonProcess(@TempDir Path home) throws Exception {
        try (DaemonProcess daemon = new DaemonProcess(home, Map.of()).start();
             Browser browser = new Browser(1280, 800)) {
            browser.driver.get("http://127.0.0.1:" + daemon.httpPort + "/health/live");
            String body = browser.driver.findElement(By.tagName("body")).getText();
            assertTrue(body.contains("\"status\":\"UP\""), body);
        }
    }
}
