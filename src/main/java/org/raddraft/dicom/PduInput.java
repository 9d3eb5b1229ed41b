package org.raddraft.dicom;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * The inbound byte stream of an established association, read through one large buffer: PDU and
 * PDV item headers are decoded from the buffer, and PDV fragments are handed on as slices of it
 * ({@link #transfer}), so a data set goes from socket to file without a byte array per PDV. One
 * socket read usually brings in many PDUs, where PixelMed reads each header and PDU separately,
 * unbuffered.
 */
final class PduInput {

    static final int BUFFER_SIZE = 256 * 1024;

    /** Where {@link #transfer} hands the bytes of a fragment, possibly in several slices. */
    interface Sink {
        void write(byte[] bytes, int offset, int length);
    }

    private final InputStream in;
    private final byte[] buffer = new byte[BUFFER_SIZE];
    private int position;
    private int limit;

    PduInput(InputStream in) {
        this.in = in;
    }

    int readUnsignedByte() throws IOException {
        require(1);
        return buffer[position++] & 0xff;
    }

    /** A big-endian unsigned 32-bit field (PDU and PDV item lengths). */
    long readUnsignedInt() throws IOException {
        require(4);
        long v = ((buffer[position] & 0xffL) << 24) | ((buffer[position + 1] & 0xff) << 16)
                | ((buffer[position + 2] & 0xff) << 8) | (buffer[position + 3] & 0xff);
        position += 4;
        return v;
    }

    /** Hands the next {@code length} bytes to {@code sink}. */
    void transfer(long length, Sink sink) throws IOException {
        while (length > 0) {
            if (position == limit) {
                fill();
            }
            int n = (int) Math.min(length, limit - position);
            sink.write(buffer, position, n);
            position += n;
            length -= n;
        }
    }

    void readInto(ByteArrayOutputStream out, long length) throws IOException {
        transfer(length, out::write);
    }

    void skip(long length) throws IOException {
        transfer(length, (b, off, len) -> { });
    }

    /** Makes at least {@code n} (small) bytes available from {@code position}. */
    private void require(int n) throws IOException {
        if (limit - position >= n) {
            return;
        }
        System.arraycopy(buffer, position, buffer, 0, limit - position);
        limit -= position;
        position = 0;
        while (limit < n) {
            int r = in.read(buffer, limit, buffer.length - limit);
            if (r < 0) {
                throw new EOFException(limit == 0 ? "peer closed the connection" : "connection closed mid-PDU");
            }
            limit += r;
        }
    }

    private void fill() throws IOException {
        int r = in.read(buffer, 0, buffer.length);
        if (r < 0) {
            throw new EOFException("connection closed mid-PDU");
        }
        position = 0;
        limit = r;
    }
}
