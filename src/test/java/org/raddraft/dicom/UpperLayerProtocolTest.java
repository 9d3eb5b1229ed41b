package org.raddraft.dicom;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SCP's own P-DATA loop against a hand-written peer: what goes back on the wire. */
class UpperLayerProtocolTest {

    @TempDir
    Path dir;
    ScpFixture scp;
    ListAppender<ILoggingEvent> log = new ListAppender<>();

    @BeforeEach
    void start() throws Exception {
        scp = ScpFixture.start(dir);
        log.start();
        ((Logger) LoggerFactory.getLogger(AssociationHandler.class)).addAppender(log);
    }

    @AfterEach
    void stop() throws Exception {
        ((Logger) LoggerFactory.getLogger(AssociationHandler.class)).detachAppender(log);
        scp.close();
    }

    @Test
    void echoThenReleaseGetsResponseAndReleaseResponse() throws Exception {
        try (Socket s = associate()) {
            s.getOutputStream().write(Pdus.pData(new Pdus.Pdv(1, true, true, Pdus.cEchoRq(5))));
            byte[] rsp = readPdu(s);
            assertEquals(0x04, rsp[0]);
            assertEquals(1, rsp[10], "presentation context of the request");
            assertEquals(0x03, rsp[11], "command, last fragment");
            DimseMessages.Command echo = DimseMessages.parseCommand(java.util.Arrays.copyOfRange(rsp, 12, rsp.length));
            assertEquals(DimseMessages.C_ECHO_RSP, echo.commandField());
            s.getOutputStream().write(Pdus.releaseRequest());
            assertArrayEquals(new byte[] {0x06, 0, 0, 0, 0, 4, 0, 0, 0, 0}, readPdu(s));
        }
    }

    @Test
    void malformedPduIsAnsweredWithAbortAndLogged() throws Exception {
        try (Socket s = associate()) {
            byte[] pdu = Pdus.pData(new Pdus.Pdv(1, true, true, Pdus.cEchoRq(1)));
            pdu[9] += 10; // PDV item length runs past the PDU
            s.getOutputStream().write(pdu);
            byte[] abort = readPdu(s);
            assertArrayEquals(new byte[] {0x07, 0, 0, 0, 0, 4, 0, 0, 2, PduException.INVALID_PDU_PARAMETER_VALUE},
                    abort, "A-ABORT, source service provider, invalid PDU parameter value");
            assertEquals(-1, s.getInputStream().read(), "connection closed after the A-ABORT");
        }
        assertTrue(log.list.stream().anyMatch(e -> e.getFormattedMessage().contains(
                "broke the DICOM upper layer protocol (PDV item length")), log.list.toString());
    }

    @Test
    void connectionNotOpeningWithAssociateRequestIsAbortedAsUnexpectedPdu() throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), scp.port())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(Pdus.pData(new Pdus.Pdv(1, true, true, Pdus.cEchoRq(1))));
            assertArrayEquals(new byte[] {0x07, 0, 0, 0, 0, 4, 0, 0, 2, PduException.UNEXPECTED_PDU}, readPdu(s),
                    "A-ABORT, source service provider, unexpected PDU");
            assertEquals(-1, s.getInputStream().read(), "connection closed after the A-ABORT");
        }
        assertTrue(log.list.stream().anyMatch(e -> e.getFormattedMessage().contains(
                "did not start with an A-ASSOCIATE-RQ (PDU type 0x4")), log.list.toString());
    }

    private Socket associate() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), scp.port());
        s.setSoTimeout(5000);
        s.getOutputStream().write(Pdus.associateRequest(ScpFixture.AE, "PACS", Pdus.VERIFICATION, 16384));
        byte[] ac = readPdu(s);
        assertEquals(0x02, ac[0], "A-ASSOCIATE-AC");
        return s;
    }

    private static byte[] readPdu(Socket s) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        byte[] header = new byte[6];
        in.readFully(header);
        int length = ((header[2] & 0xff) << 24) | ((header[3] & 0xff) << 16) | ((header[4] & 0xff) << 8)
                | (header[5] & 0xff);
        byte[] pdu = java.util.Arrays.copyOf(header, 6 + length);
        in.readFully(pdu, 6, length);
        return pdu;
    }
}
