package org.raddraft.dicom;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Builds upper layer PDUs and DIMSE command sets byte by byte, as a peer would send them (PS3.8, PS3.7). */
final class Pdus {

    static final String VERIFICATION = "1.2.840.10008.1.1";
    static final String CR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.1";
    static final String IMPLICIT_VR_LE = "1.2.840.10008.1.2";

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private Pdus() {
    }

    /** A PDV item: length, context ID, control header (bit 0 command, bit 1 last), fragment. */
    record Pdv(int contextId, boolean command, boolean last, byte[] fragment) {
    }

    static byte[] pData(Pdv... pdvs) {
        ByteArrayOutputStream items = new ByteArrayOutputStream();
        for (Pdv p : pdvs) {
            u32(items, p.fragment.length + 2);
            items.write(p.contextId);
            items.write((p.command ? 1 : 0) | (p.last ? 2 : 0));
            items.writeBytes(p.fragment);
        }
        return pdu(0x04, items.toByteArray());
    }

    static byte[] pdu(int type, byte[] body) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(type);
        b.write(0);
        u32(b, body.length);
        b.writeBytes(body);
        return b.toByteArray();
    }

    static byte[] releaseRequest() {
        return pdu(0x05, new byte[4]);
    }

    static byte[] abort(int source, int reason) {
        return pdu(0x07, new byte[] {0, 0, (byte) source, (byte) reason});
    }

    static byte[] cStoreRq(int messageId, String sopClass, String sopInstance) {
        Pdus c = new Pdus();
        c.ui(0x0002, sopClass);
        c.us(0x0100, DimseMessages.C_STORE_RQ);
        c.us(0x0110, messageId);
        c.us(0x0700, 0);
        c.us(0x0800, 0x0000); // a data set follows
        c.ui(0x1000, sopInstance);
        return c.withGroupLength();
    }

    static byte[] cEchoRq(int messageId) {
        Pdus c = new Pdus();
        c.ui(0x0002, VERIFICATION);
        c.us(0x0100, DimseMessages.C_ECHO_RQ);
        c.us(0x0110, messageId);
        c.us(0x0800, DimseMessages.NO_DATA_SET);
        return c.withGroupLength();
    }

    /** A-ASSOCIATE-RQ proposing one presentation context (ID 1) in Implicit VR Little Endian. */
    static byte[] associateRequest(String calledAe, String callingAe, String abstractSyntax, int maxPduLength) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0);
        b.write(1); // protocol version
        b.write(0);
        b.write(0);
        b.writeBytes(ae(calledAe));
        b.writeBytes(ae(callingAe));
        b.writeBytes(new byte[32]);
        item(b, 0x10, ascii("1.2.840.10008.3.1.1.1"));
        ByteArrayOutputStream pc = new ByteArrayOutputStream();
        pc.writeBytes(new byte[] {1, 0, 0, 0});
        item(pc, 0x30, ascii(abstractSyntax));
        item(pc, 0x40, ascii(IMPLICIT_VR_LE));
        item(b, 0x20, pc.toByteArray());
        ByteArrayOutputStream user = new ByteArrayOutputStream();
        ByteArrayOutputStream max = new ByteArrayOutputStream();
        u32(max, maxPduLength);
        item(user, 0x51, max.toByteArray());
        item(user, 0x52, ascii("1.2.3.4"));
        item(b, 0x50, user.toByteArray());
        return pdu(0x01, b.toByteArray());
    }

    private void ui(int element, String uid) {
        byte[] v = ascii(uid.length() % 2 == 0 ? uid : uid + "\0");
        tag(element, v.length);
        out.writeBytes(v);
    }

    private void us(int element, int value) {
        tag(element, 2);
        out.write(value & 0xff);
        out.write(value >> 8);
    }

    private void tag(int element, int length) {
        out.write(0);
        out.write(0);
        out.write(element & 0xff);
        out.write(element >> 8);
        for (int i = 0; i < 4; i++) {
            out.write(length >> (8 * i));
        }
    }

    private byte[] withGroupLength() {
        byte[] rest = out.toByteArray();
        Pdus g = new Pdus();
        g.tag(0x0000, 4);
        for (int i = 0; i < 4; i++) {
            g.out.write(rest.length >> (8 * i));
        }
        g.out.writeBytes(rest);
        return g.out.toByteArray();
    }

    static void item(ByteArrayOutputStream b, int type, byte[] value) {
        b.write(type);
        b.write(0);
        b.write(value.length >> 8);
        b.write(value.length);
        b.writeBytes(value);
    }

    private static byte[] ae(String ae) {
        return ascii(String.format("%-16s", ae));
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static void u32(ByteArrayOutputStream b, int v) {
        b.write(v >>> 24);
        b.write(v >>> 16);
        b.write(v >>> 8);
        b.write(v);
    }
}
