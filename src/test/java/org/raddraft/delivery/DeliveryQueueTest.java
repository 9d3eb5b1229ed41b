package org.raddraft.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.store.Database;
import org.raddraft.testing.TestClock;

/** The outbox work list on a real H2 database, with a clock the test moves. */
class DeliveryQueueTest {

    @TempDir
    Path home;
    Database db;
    long draftId;
    final TestClock clock = new TestClock(Instant.parse("2026-12-02T10:00:00Z"));
    DeliveryQueue queue;

    @BeforeEach
    void open() throws SQLException {
        db = Database.open("jdbc:h2:file:" + home.resolve("db/t"), "sa", "");
        draftId = OutboxTest.insertDraft(db);
        DeliveryChannels.record(db, Map.of("FHIR", "", "HL7", "ris.example:2575"));
        queue = new DeliveryQueue(db, clock, 10, 3, Duration.ofSeconds(30), Duration.ofSeconds(100));
    }

    @AfterEach
    void close() {
        db.close();
    }

    void enqueue(boolean correction) throws SQLException {
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            Outbox.enqueue(c, draftId, correction);
            c.commit();
        }
        // enqueue stamps the wall clock: move the test clock past it
        clock.set(Instant.now().plusSeconds(1).truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
    }

    String state(long id) throws SQLException {
        return OutboxListing.rows(db).stream().filter(r -> r.id() == id).findFirst().orElseThrow().state();
    }

    @Test
    void aClaimedRowIsNotClaimedAgainWhileItsPeerHasNotAnswered() throws SQLException {
        enqueue(false);
        List<OutboxItem> first = queue.claimDue();
        assertEquals(1, first.size());
        assertEquals(1, first.get(0).attempts());
        assertEquals(List.of(), queue.claimDue(), "in flight");
        queue.sent(first.get(0), "RD1");
        assertEquals("SENT", state(first.get(0).id()));
        assertEquals(List.of(), queue.claimDue());
    }

    /** Several nodes on one database (issue 25): a row another node claimed is left to it until its lease ran out. */
    @Test
    void anotherNodeTakesARowOverOnlyAfterItsLeaseRanOut() throws SQLException {
        DeliveryQueue a = new DeliveryQueue(db, clock, 10, 3, Duration.ofSeconds(30), Duration.ofSeconds(100))
                .leasedBy("node-a", Duration.ofSeconds(60));
        DeliveryQueue b = new DeliveryQueue(db, clock, 10, 3, Duration.ofSeconds(30), Duration.ofSeconds(100))
                .leasedBy("node-b", Duration.ofSeconds(60));
        enqueue(false);
        assertEquals(1, a.claimDue().size());
        assertEquals(List.of(), b.claimDue(), "node-a is sending it");
        clock.advance(Duration.ofSeconds(61)); // node-a died while its peer had not answered
        List<OutboxItem> taken = b.claimDue();
        assertEquals(1, taken.size());
        assertEquals(2, taken.get(0).attempts(), "node-a's attempt counts");
        b.sent(taken.get(0), "RD1");
        try (Connection c = db.connection(); java.sql.ResultSet rs = c.createStatement().executeQuery(
                "SELECT state, sent_by, lease_node FROM outbox")) {
            rs.next();
            assertEquals("SENT", rs.getString(1));
            assertEquals("node-b", rs.getString(2));
            assertEquals(null, rs.getString(3), "a settled row holds no lease");
        }
    }

    @Test
    void aCorrectionWaitsUntilTheReportItCorrectsIsSettled() throws SQLException {
        enqueue(false);
        enqueue(true);
        List<OutboxItem> due = queue.claimDue();
        assertEquals(List.of(1), due.stream().map(OutboxItem::revision).toList());
        queue.failed(due.get(0), new java.net.ConnectException("Connection refused"));
        clock.advance(Duration.ofSeconds(3600));
        due = queue.claimDue();
        assertEquals(List.of(1), due.stream().map(OutboxItem::revision).toList(), "revision 1 again, not 2");
        queue.sent(due.get(0), "RD1");
        assertEquals(List.of(2), queue.claimDue().stream().map(OutboxItem::revision).toList());
    }

    @Test
    void failedAttemptsBackOffExponentiallyThenTheRowIsDead() throws SQLException {
        enqueue(false);
        OutboxItem item = queue.claimDue().get(0);
        queue.failed(item, new java.net.ConnectException("Connection refused"));
        assertEquals("RETRYING", state(item.id()));
        assertEquals(List.of(), queue.claimDue(), "not before the backoff");
        clock.advance(Duration.ofSeconds(35));  // 30 s +- 15 %
        item = queue.claimDue().get(0);
        assertEquals(2, item.attempts());
        queue.failed(item, new java.net.ConnectException("Connection refused"));
        clock.advance(Duration.ofSeconds(50));
        assertEquals(List.of(), queue.claimDue(), "the second wait is about 60 s");
        clock.advance(Duration.ofSeconds(20));
        item = queue.claimDue().get(0);
        queue.failed(item, new java.net.ConnectException("Connection refused"));
        assertEquals("DEAD", state(item.id()), "after max-attempts (3)");
        String error = OutboxListing.rows(db).get(0).last_error();
        assertTrue(error.startsWith("gave up after 3 attempts: ConnectException: Connection refused"), error);
    }

    /**
     * Issue 21 #6: HAPI refused a birth date with the value in its message, and that message went to
     * the log and to last_error. A library's exception is now named by its class only, in both.
     */
    @Test
    void aLibrarysMessageWithPatientDataReachesNeitherLastErrorNorTheLog() throws SQLException {
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> log =
                new ch.qos.logback.core.read.ListAppender<>();
        log.start();
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
                .getLogger(DeliveryQueue.class);
        logger.addAppender(log);
        try {
            enqueue(false);
            OutboxItem item = queue.claimDue().get(0);
            Exception hapi = new org.apache.camel.CamelExecutionException("bean failed", null,
                    new ca.uhn.hl7v2.model.DataTypeException("Failed validation rule for value \"1980-02-03\""));
            queue.failed(item, hapi);
            String retrying = OutboxListing.rows(db).get(0).last_error();
            assertEquals("DataTypeException", retrying);
            clock.advance(Duration.ofSeconds(35));
            queue.dead(queue.claimDue().get(0), new IllegalStateException("PID-7: 1980-02-03"));
            String dead = OutboxListing.rows(db).get(0).last_error();
            assertEquals("refused: IllegalStateException", dead);
            assertEquals(2, log.list.size());
            for (var e : log.list) {
                assertFalse(e.getFormattedMessage().contains("1980"), e.getFormattedMessage());
                assertTrue(e.getThrowableProxy() == null, "no stack trace with the library's message in the log");
            }
        } finally {
            logger.detachAppender(log);
        }
    }

    @Test
    void backoffDoublesWithJitterUpToTheLongestWait() {
        for (int i = 0; i < 50; i++) {
            long first = queue.backoffMillis(1);
            long second = queue.backoffMillis(2);
            long capped = queue.backoffMillis(8);
            assertTrue(first >= 25_500 && first <= 34_500, "30 s +- 15 %: " + first);
            assertTrue(second >= 51_000 && second <= 69_000, "60 s +- 15 %: " + second);
            assertTrue(capped <= 100_000, "never above the longest wait: " + capped);
        }
    }

    @Test
    void aPermanentRefusalIsDeadAtOnceAndAnAdminRequeueMakesItDueAgain() throws SQLException {
        enqueue(false);
        OutboxItem item = queue.claimDue().get(0);
        queue.dead(item, new DeliveryException.Permanent("the RIS rejected RD1 (AR)", "unknown order"));
        assertEquals("DEAD", state(item.id()));
        assertEquals("refused: the RIS rejected RD1 (AR): unknown order", OutboxListing.rows(db).get(0).last_error());
        assertEquals(1, OutboxListing.backlog(db, clock).dead());

        assertEquals(1, OutboxListing.requeueDead(db, clock, item.id()).size());
        assertEquals("PENDING", state(item.id()));
        OutboxItem again = queue.claimDue().get(0);
        assertEquals(1, again.attempts(), "fresh attempts after a requeue");
        assertEquals(List.of(), OutboxListing.requeueDead(db, clock, item.id()), "only DEAD rows are requeued");
    }

    @Test
    void requeueDeadSendsEveryDeadRowAgainAndLeavesTheOthers() throws SQLException {
        DeliveryChannels.record(db, Map.of("FHIR", "http://fhir.example/fhir", "HL7", "ris.example:2575"));
        enqueue(false);
        List<OutboxItem> both = queue.claimDue();
        assertEquals(2, both.size());
        queue.dead(both.get(0), new DeliveryException.Permanent("refused", "no"));
        queue.sent(both.get(1), "RD2");
        List<OutboxListing.OutboxRow> requeued = OutboxListing.requeueDead(db, clock, null);
        assertEquals(List.of(both.get(0).id()), requeued.stream().map(OutboxListing.OutboxRow::id).toList());
        assertEquals("PENDING", state(both.get(0).id()));
        assertEquals("SENT", state(both.get(1).id()));
        assertTrue(OutboxListing.rows(db).get(0).last_error().startsWith("requeued by an admin; it had failed: refused"));
    }
}
