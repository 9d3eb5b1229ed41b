package org.raddraft.dicom;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Arrays;

/**
 * A storage SCU that sends data sets as given, byte for byte (hostile ones included: no toolkit would
 * encode them, and DCMTK's storescu crashes on deep nesting). Proposes CR Image Storage (context 1)
 * and Verification (context 3), both in Implicit VR Little Endian. Built on {@link Pdus}.
 */
public final class RawScu implements AutoCloseable {

    /** A C-STORE or C-ECHO response: status and Error Comment (null when none). */
    public record Answer(int status, String errorComment) {
        public String statusHex() {
            return String.format("%04X", status);
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private int messageId;

    private RawScu(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
    }

    /**
     * Connects (from {@code local}, e.g. 127.0.0.2, or null for any) and associates.
     *
     * @throws IOException when the association is rejected (the message says A-ASSOCIATE-RJ) or the
     *                     connection closed
     */
    public static RawScu associate(int port, InetAddress local, String callingAe, String calledAe, int timeoutMs)
            throws IOException {
        Socket s = connect(port, local, timeoutMs);
        RawScu scu = new RawScu(s);
        try {
            s.getOutputStream().write(associateRequest(calledAe, callingAe));
            byte[] pdu = scu.readPdu();
            if (pdu[0] == 0x03) {
                throw new IOException("A-ASSOCIATE-RJ result " + pdu[7] + " source " + pdu[8] + " reason " + pdu[9]);
            }
            if (pdu[0] != 0x02) {
                throw new IOException("PDU type " + pdu[0] + " instead of A-ASSOCIATE-AC");
            }
            return scu;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    static Socket connect(int port, InetAddress local, int timeoutMs) throws IOException {
        Socket s = new Socket();
        if (local != null) {
            s.bind(new InetSocketAddress(local, 0));
        }
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), timeoutMs);
        s.setSoTimeout(timeoutMs);
        return s;
    }

    /** Sends the data set in P-DATA-TF PDUs of {@code fragment} bytes and reads the C-STORE-RSP. */
    public Answer store(String sopInstanceUid, byte[] dataSet, int fragment) throws IOException {
        int id = ++messageId;
        socket.getOutputStream().write(Pdus.pData(new Pdus.Pdv(1, true, true,
                Pdus.cStoreRq(id, Pdus.CR_IMAGE_STORAGE, sopInstanceUid))));
        // an empty data set still goes as one (empty) last fragment: without any data PDV the SCP rightly
        // waits for the data set the command announced (until its idle timeout), which is no answer to fuzz
        for (int from = 0; from < dataSet.length || from == 0; from += fragment) {
            int to = Math.min(dataSet.length, from + fragment);
            socket.getOutputStream().write(Pdus.pData(new Pdus.Pdv(1, false, to == dataSet.length,
                    Arrays.copyOfRange(dataSet, from, to))));
        }
        socket.getOutputStream().flush();
        return response();
    }

    public Answer echo() throws IOException {
        socket.getOutputStream().write(Pdus.pData(new Pdus.Pdv(3, true, true, Pdus.cEchoRq(++messageId))));
        return response();
    }

    /** A-RELEASE-RQ, then waits for the A-RELEASE-RP. */
    public void release() throws IOException {
        socket.getOutputStream().write(Pdus.releaseRequest());
        byte[] rp = readPdu();
        if (rp[0] != 0x06) {
            throw new IOException("PDU type " + rp[0] + " instead of A-RELEASE-RP");
        }
    }

    private Answer response() throws IOException {
        ByteArrayOutputStream command = new ByteArrayOutputStream();
        while (true) {
            byte[] pdu = readPdu();
            if (pdu[0] == 0x07) {
                throw new IOException("A-ABORT source " + pdu[8] + " reason " + pdu[9]);
            }
            if (pdu[0] != 0x04) {
                throw new IOException("PDU type " + pdu[0] + " instead of P-DATA-TF");
            }
            boolean last = false;
            for (int at = 6; at < pdu.length; ) {
                int length = ((pdu[at] & 0xff) << 24) | ((pdu[at + 1] & 0xff) << 16) | ((pdu[at + 2] & 0xff) << 8)
                        | (pdu[at + 3] & 0xff);
                int control = pdu[at + 5];
                command.write(pdu, at + 6, length - 2);
                last = (control & 3) == 3;
                at += 4 + length;
            }
            if (last) {
                DimseMessages.Response r = DimseMessages.parseResponse(command.toByteArray());
                return new Answer(r.status(), r.errorComment());
            }
        }
    }

    private byte[] readPdu() throws IOException {
        byte[] header = new byte[6];
        in.readFully(header);
        int length = ((header[2] & 0xff) << 24) | ((header[3] & 0xff) << 16) | ((header[4] & 0xff) << 8)
                | (header[5] & 0xff);
        byte[] pdu = Arrays.copyOf(header, 6 + length);
        in.readFully(pdu, 6, length);
        return pdu;
    }

    /** A-ASSOCIATE-RQ with contexts 1 (CR Image Storage) and 3 (Verification), Implicit VR LE, max PDU 16 KiB. */
    static byte[] associateRequest(String calledAe, String callingAe) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {0, 1, 0, 0});
        b.writeBytes(Pdus.ascii(String.format("%-16s", calledAe)));
        b.writeBytes(Pdus.ascii(String.format("%-16s", callingAe)));
        b.writeBytes(new byte[32]);
        Pdus.item(b, 0x10, Pdus.ascii("1.2.840.10008.3.1.1.1"));
        for (int id : new int[] {1, 3}) {
            ByteArrayOutputStream pc = new ByteArrayOutputStream();
            pc.writeBytes(new byte[] {(byte) id, 0, 0, 0});
            Pdus.item(pc, 0x30, Pdus.ascii(id == 1 ? Pdus.CR_IMAGE_STORAGE : Pdus.VERIFICATION));
            Pdus.item(pc, 0x40, Pdus.ascii(Pdus.IMPLICIT_VR_LE));
            Pdus.item(b, 0x20, pc.toByteArray());
        }
        ByteArrayOutputStream user = new ByteArrayOutputStream();
        Pdus.item(user, 0x51, new byte[] {0, 0, 0x40, 0});
        Pdus.item(user, 0x52, Pdus.ascii("1.2.3.4"));
        Pdus.item(b, 0x50, user.toByteArray());
        return Pdus.pdu(0x01, b.toByteArray());
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
