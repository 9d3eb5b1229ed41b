package org.raddraft.dicom;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Encodes the few small element lists the SCP writes for every C-STORE (the DIMSE response command
 * set, the Part 10 meta header) straight to little endian bytes (PS3.5 section 7.1). Doing this with
 * PixelMed's attribute classes cost more than the rest of the C-STORE's bookkeeping together while
 * the JIT has not compiled them yet, which for a freshly started daemon is a long while.
 */
final class ElementWriter {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream(512);
    private final boolean explicitVr;

    private ElementWriter(boolean explicitVr) {
        this.explicitVr = explicitVr;
    }

    static ElementWriter implicitVr() {
        return new ElementWriter(false);
    }

    static ElementWriter explicitVr() {
        return new ElementWriter(true);
    }

    /** UI: padded with NUL to even length. */
    ElementWriter ui(int tag, String uid) {
        return string(tag, "UI", uid, (byte) 0);
    }

    /** Text VRs (AE, LO, SH): padded with a space to even length. */
    ElementWriter text(int tag, String vr, String value) {
        return string(tag, vr, value, (byte) ' ');
    }

    ElementWriter us(int tag, int value) {
        header(tag, "US", 2);
        out.write(value);
        out.write(value >> 8);
        return this;
    }

    ElementWriter ul(int tag, long value) {
        header(tag, "UL", 4);
        putInt((int) value);
        return this;
    }

    /** OB with explicit VR: 2 reserved bytes and a 32-bit length. */
    ElementWriter ob(int tag, byte[] value) {
        putShort(tag >>> 16);
        putShort(tag & 0xffff);
        out.writeBytes("OB".getBytes(StandardCharsets.US_ASCII));
        putShort(0);
        putInt(value.length);
        out.writeBytes(value);
        return this;
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }

    /** The elements written, preceded by their group length element {@code (gggg,0000)} (UL). */
    byte[] withGroupLength(int group) {
        ElementWriter all = new ElementWriter(explicitVr);
        all.ul(group << 16, out.size());
        all.out.writeBytes(out.toByteArray());
        return all.toByteArray();
    }

    private ElementWriter string(int tag, String vr, String value, byte pad) {
        byte[] b = value.getBytes(StandardCharsets.US_ASCII);
        int length = b.length + (b.length & 1);
        header(tag, vr, length);
        out.writeBytes(b);
        if (length > b.length) {
            out.write(pad);
        }
        return this;
    }

    /** Tag, then VR and 16-bit length (explicit), or 32-bit length (implicit). */
    private void header(int tag, String vr, int length) {
        putShort(tag >>> 16);
        putShort(tag & 0xffff);
        if (explicitVr) {
            out.writeBytes(vr.getBytes(StandardCharsets.US_ASCII));
            putShort(length);
        } else {
            putInt(length);
        }
    }

    private void putShort(int v) {
        out.write(v);
        out.write(v >> 8);
    }

    private void putInt(int v) {
        putShort(v & 0xffff);
        putShort(v >>> 16);
    }
}
