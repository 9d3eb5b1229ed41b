package org.raddraft.dicom;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DimseRequestReaderTest {

    private static final String SOP = "1.2.826.0.1.3680043.10.99.7";
    private static final int CONTEXT = 1;

    /** Collects a data set in memory. */
    static final class Recorder implements DataSetTarget {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int finished;
        boolean abandoned;

        @Override
        public void write(byte[] b, int off, int len) {
            bytes.write(b, off, len);
        }

        @Override
        public void finish() {
            finished++;
        }

        @Override
        public void abandon() {
            abandoned = true;
        }
    }

    private Recorder recorder;
    private String openedWithTransferSyntax;

    private DimseRequestReader<Recorder> reader(InputStream in) {
        return new DimseRequestReader<>(new PduInput(in), id -> id == CONTEXT ? Pdus.IMPLICIT_VR_LE : null,
                (command, ts) -> {
                    openedWithTransferSyntax = ts;
                    recorder = new Recorder();
                    return recorder;
                });
    }

    private DimseRequestReader<Recorder> reader(byte[]... pdus) {
        return reader(trickle(concat(pdus)));
    }

    @Test
    void commandAndDataSetInOnePdu() throws Exception {
        byte[] data = bytes(1000);
        DimseRequestReader<Recorder> r = reader(Pdus.pData(
                new Pdus.Pdv(CONTEXT, true, true, Pdus.cStoreRq(7, Pdus.CR_IMAGE_STORAGE, SOP)),
                new Pdus.Pdv(CONTEXT, false, true, data)));
        DimseRequestReader.Request<Recorder> rq = r.next();
        assertEquals(DimseMessages.C_STORE_RQ, rq.command().commandField());
        assertEquals(7, rq.command().messageId());
        assertEquals(SOP, rq.command().affectedSopInstanceUid());
        assertEquals(CONTEXT, rq.presentationContextId());
        assertEquals(Pdus.IMPLICIT_VR_LE, openedWithTransferSyntax);
        assertArrayEquals(data, rq.dataSet().bytes.toByteArray());
        assertEquals(1, rq.dataSet().finished);
        assertTrue(rq.startNanos() > 0);
    }

    @Test
    void fragmentsAcrossPdusAreJoinedInOrder() throws Exception {
        byte[] command = Pdus.cStoreRq(1, Pdus.CR_IMAGE_STORAGE, SOP);
        byte[] data = bytes(700_000); // larger than the reader's buffer
        int cut = command.length / 2;
        DimseRequestReader<Recorder> r = reader(
                Pdus.pData(new Pdus.Pdv(CONTEXT, true, false, Arrays.copyOfRange(command, 0, cut))),
                Pdus.pData(new Pdus.Pdv(CONTEXT, true, true, Arrays.copyOfRange(command, cut, command.length))),
                Pdus.pData(new Pdus.Pdv(CONTEXT, false, false, Arrays.copyOfRange(data, 0, 3)),
                        new Pdus.Pdv(CONTEXT, false, false, Arrays.copyOfRange(data, 3, 300_000))),
                Pdus.pData(new Pdus.Pdv(CONTEXT, false, true, Arrays.copyOfRange(data, 300_000, data.length))));
        DimseRequestReader.Request<Recorder> rq = r.next();
        assertEquals(SOP, rq.command().affectedSopInstanceUid());
        assertArrayEquals(data, rq.dataSet().bytes.toByteArray());
        assertEquals(1, rq.dataSet().finished);
    }

    @Test
    void aMessageMayEndInTheMiddleOfAPdu() throws Exception {
        DimseRequestReader<Recorder> r = reader(Pdus.pData(
                new Pdus.Pdv(CONTEXT, true, true, Pdus.cEchoRq(1)),
                new Pdus.Pdv(CONTEXT, true, true, Pdus.cEchoRq(2))));
        assertEquals(1, r.next().command().messageId());
        assertEquals(2, r.next().command().messageId());
        assertNull(recorder, "no data set to open for a C-ECHO");
    }

    @Test
    void releaseRequestBetweenMessagesEndsTheAssociation() throws Exception {
        DimseRequestReader<Recorder> r = reader(
                Pdus.pData(new Pdus.Pdv(CONTEXT, true, true, Pdus.cEchoRq(1))),
                Pdus.releaseRequest());
        assertEquals(DimseMessages.C_ECHO_RQ, r.next().command().commandField());
        assertNull(r.next());
    }

    @Test
    void releaseRequestInsideAMessageIsUnexpected() {
        DimseRequestReader<Recorder> r = reader(
                Pdus.pData(new Pdus.Pdv(CONTEXT, true, true, Pdus.cStoreRq(1, Pdus.CR_IMAGE_STORAGE, SOP))),
                Pdus.releaseRequest());
        PduException e = assertThrows(PduException.class, r::next);
        assertEquals(PduException.UNEXPECTED_PDU, e.abortReason());
    }

    @Test
    void abortFromPeerDropsThePartialDataSet() {
        DimseRequestReader<Recorder> r = reader(
                Pdus.pData(new Pdus.Pdv(CONTEXT, true, true, Pdus.cStoreRq(1, Pdus.CR_IMAGE_STORAGE, SOP)),
                        new Pdus.Pdv(CONTEXT, false, false, bytes(100))),
                Pdus.abort(0, 0));
        PeerAbortException e = assertThrows(PeerAbortException.class, r::next);
        assertTrue(e.getMessage().contains("source 0"), e.getMessage());
        r.abandon();
        assertTrue(recorder.abandoned);
        assertEquals(0, recorder.finished);
    }

    @Test
    void pdvItemLongerThanItsPduIsInvalid() {
        byte[] pdu = Pdus.pData(new Pdus.Pdv(CONTEXT, true, true, Pdus.cEchoRq(1)));
        pdu[9] += 10; // PDV item length now runs past the PDU
        PduException e = assertThrows(PduException.class, () -> reader(pdu).next());
        assertEquals(PduException.INVALID_PDU_PARAMETER_VALUE, e.abortReason());
        assertTrue(e.getMessage().startsWith("PDV item length"), e.getMessage());
    }

    @Test
    void unrecognizedPduType() {
        PduException e = assertThrows(PduException.class, () -> reader(Pdus.pdu(0x7a, new byte[4])).next());
        assertEquals(PduException.UNRECOGNIZED_PDU, e.abortReason());
    }

    @Test
    void associateRequestOnAnEstablishedAssociationIsUnexpected() {
        byte[] rq = Pdus.associateRequest("RADDRAFT", "PACS", Pdus.VERIFICATION, 16384);
        PduException e = assertThrows(PduException.class, () -> reader(rq).next());
        assertEquals(PduException.UNEXPECTED_PDU, e.abortReason());
    }

    @Test
    void pdvOnAContextThatWasNotAcceptedIsInvalid() {
        PduException e = assertThrows(PduException.class,
                () -> reader(Pdus.pData(new Pdus.Pdv(3, true, true, Pdus.cEchoRq(1)))).next());
        assertTrue(e.getMessage().contains("presentation context 3"), e.getMessage());
    }

    @Test
    void dataSetBeforeItsCommandIsUnexpected() {
        PduException e = assertThrows(PduException.class,
                () -> reader(Pdus.pData(new Pdus.Pdv(CONTEXT, false, true, bytes(10)))).next());
        assertEquals(PduException.UNEXPECTED_PDU, e.abortReason());
    }

    @Test
    void connectionClosedMidPduIsAnEndOfFile() {
        byte[] pdu = Pdus.pData(new Pdus.Pdv(CONTEXT, true, true, Pdus.cEchoRq(1)));
        DimseRequestReader<Recorder> r = reader(Arrays.copyOf(pdu, pdu.length - 5));
        assertThrows(EOFException.class, r::next);
    }

    @Test
    void maxPduLengthIsReadFromTheAssociateRequest() {
        assertEquals(32768, AssociateRequests.maxPduLength(
                Pdus.associateRequest("RADDRAFT", "PACS", Pdus.VERIFICATION, 32768)));
        assertEquals("PACS", AssociateRequests.callingAe(
                Pdus.associateRequest("RADDRAFT", "PACS", Pdus.VERIFICATION, 32768)));
        assertEquals(0, AssociateRequests.maxPduLength(Arrays.copyOf(new byte[] {1}, 74)), "absent: no limit");
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + i / 256);
        }
        return b;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }

    /** Returns reads of at most 4099 bytes, so that headers straddle the reader's buffer refills. */
    private static InputStream trickle(byte[] bytes) {
        return new ByteArrayInputStream(bytes) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 4099));
            }
        };
    }
}
