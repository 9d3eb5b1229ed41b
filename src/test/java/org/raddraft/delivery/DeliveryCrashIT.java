package org.raddraft.delivery;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.MllpPeer;

/**
 * kill -9 of RadDraft while the RIS holds deliveries unacknowledged: after the restart every pending
 * report is delivered, each as one outbox row SENT and one MSH-10 at the RIS. A message the RIS had
 * received but not acknowledged before the kill is sent again with the same MSH-10 (at-least-once
 * transport; a RIS discards the repeat by its control id), never as a second report.
 */
class DeliveryCrashIT {

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    Path tmp;

    @Test
    void pendingDeliveriesCompleteExactlyOnceAfterKill9() throws Exception {
        try (MllpPeer ris = new MllpPeer().start();
             DaemonProcess daemon = new DaemonProcess(tmp.resolve("home"), Map.copyOf(Map.of(
                     "delivery.mllp.host", "127.0.0.1", "delivery.mllp.port", Integer.toString(ris.port),
                     "delivery.mllp.ack-timeout-seconds", "30", "delivery.poll-ms", "200",
                     "delivery.retry-seconds", "1", "delivery.retry-max-seconds", "2"))).start()) {
            Approvals approvals = new Approvals(daemon, tmp);
            List<Approvals.Study> studies = approvals.drafted("K", 6);
            // the RIS takes 20 s to acknowledge: the daemon dies with every delivery in flight
            ris.answering(m -> MllpPeer.Answer.acceptAfter(20_000));
            for (Approvals.Study s : studies) {
                approvals.approve(s, "Lungs clear (" + s.accession() + ").", "Normal.");
            }
            await().atMost(30, SECONDS).pollInterval(100, MILLISECONDS).until(() -> ris.received().size() == 6);
            daemon.kill9();
            for (Approvals.Study s : studies) {
                assertEquals("PENDING", approvals.outbox(s).get(0).state(), "nothing was acknowledged before the kill");
            }

            ris.answering(m -> MllpPeer.Answer.ACCEPT);
            daemon.start();
            for (Approvals.Study s : studies) {
                Approvals.Row row = approvals.awaitRow(s, "HL7", 1, "SENT");
                assertEquals(2, row.attempts(), "one attempt before the kill, one after: " + row);
            }
            Thread.sleep(1500);
            assertEquals(12, ris.received().size(), "each report sent once before and once after the kill");
            assertEquals(6, ris.distinctControlIds().size(), "six reports, six control ids: " + ris.distinctControlIds());
            for (Approvals.Study s : studies) {
                List<String> ids = ris.received().stream()
                        .filter(r -> s.accession().equals(Hl7DeliveryIT.accession(r.message())))
                        .map(MllpPeer.Received::controlId).distinct().toList();
                assertEquals(List.of("RD" + approvals.outbox(s).get(0).id()), ids, "one MSH-10 per report");
            }
            assertTrue(daemon.log().contains("RadDraft"), "the same home was restarted");
        }
    }
}
