package org.raddraft.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Hostile DICOM data sets, written byte by byte (no toolkit writes these, and DCMTK's storescu
 * crashes on deep nesting): sequences nested thousands deep, image dimensions far beyond the pixel
 * data, lengths that lie, unknown character sets. Data sets are Implicit VR Little Endian (what
 * {@code Pdus.associateRequest} proposes); {@link #part10} wraps one in a Part 10 file.
 * Each is otherwise a plausible chest CR, so that only the hostile part decides its fate.
 */
public final class HostileDicom {

    public static final String CR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.1";
    public static final String IMPLICIT_VR_LE = "1.2.840.10008.1.2";
    /** Request Attributes Sequence (0040,0275): any SQ in the dictionary would do. */
    private static final int NESTED_SQ = 0x00400275;
    private static final int ITEM = 0xFFFEE000;
    private static final int ITEM_DELIMITATION = 0xFFFEE00D;
    private static final int SEQUENCE_DELIMITATION = 0xFFFEE0DD;
    private static final int UNDEFINED = 0xFFFFFFFF;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private HostileDicom() {
    }

    /** The UIDs of one instance: study, series, SOP instance. */
    public record Uids(String study, String series, String sop) {

        /** Fresh UIDs under a test root, from {@code n} and the clock. */
        public static Uids fresh(int n) {
            String base = "2.25." + System.nanoTime() + n;
            return new Uids(base + ".1", base + ".2", base + ".3");
        }
    }

    /** A 16 x 16 12-bit chest CR, nothing hostile: the control case. */
    public static byte[] plain(Uids uids) {
        return image(uids, null, 16, 16, 512, null);
    }

    /**
     * Sequences (0040,0275) nested {@code depth} deep, undefined lengths, inside an otherwise plain
     * image; {@code charset} null or e.g. "ISO 2022 IR 87" (which makes a receiver parse the file with
     * a full toolkit).
     */
    public static byte[] deepNesting(Uids uids, int depth, String charset) {
        HostileDicom nested = new HostileDicom();
        for (int i = 0; i < depth; i++) {
            nested.header(NESTED_SQ, UNDEFINED);
            nested.header(ITEM, UNDEFINED);
        }
        for (int i = 0; i < depth; i++) {
            nested.header(ITEM_DELIMITATION, 0);
            nested.header(SEQUENCE_DELIMITATION, 0);
        }
        return image(uids, charset, 16, 16, 512, nested.out.toByteArray());
    }

    /** The same nesting with every sequence and item of defined length (the walker must descend into these too). */
    public static byte[] deepNestingDefinedLengths(Uids uids, int depth) {
        byte[] inner = new byte[0];
        for (int i = 0; i < depth; i++) {
            HostileDicom item = new HostileDicom();
            item.header(ITEM, inner.length);
            item.out.writeBytes(inner);
            HostileDicom sq = new HostileDicom();
            sq.header(NESTED_SQ, item.out.size());
            sq.out.writeBytes(item.out.toByteArray());
            inner = sq.out.toByteArray();
        }
        return image(uids, null, 16, 16, 512, inner);
    }

    /** Rows x Columns as declared (up to 65535 each), 16 bits allocated, with only {@code pixelBytes} of Pixel Data. */
    public static byte[] hugeImage(Uids uids, int rows, int columns, int pixelBytes) {
        return image(uids, null, rows, columns, pixelBytes, null);
    }

    /** Patient's Name (0010,0010) claims {@code claimed} bytes but the data set ends after a few. */
    public static byte[] lyingElementLength(Uids uids, int claimed) {
        byte[] plain = plain(uids);
        HostileDicom tail = new HostileDicom();
        tail.header(0x7FE10010, claimed); // a private element after Pixel Data, its value cut short
        tail.out.writeBytes("SHORT".getBytes(StandardCharsets.US_ASCII));
        tail.out.write(0);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(plain);
        b.writeBytes(tail.out.toByteArray());
        return b.toByteArray();
    }

    /** An item whose defined length runs past the end of its defined-length sequence. */
    public static byte[] lyingItemLength(Uids uids) {
        HostileDicom sq = new HostileDicom();
        sq.header(NESTED_SQ, 16);
        sq.header(ITEM, 4000); // claims more than the 8 bytes its sequence has left
        sq.header(0x00080100, 0);
        return image(uids, null, 16, 16, 512, sq.out.toByteArray());
    }

    /** A Specific Character Set no toolkit knows, and bytes in the name that fit none. */
    public static byte[] badCharacterSet(Uids uids) {
        return image(uids, "ISO 2022 IR 9999\\\u00ff\u00fe", 16, 16, 512, null);
    }

    /** Rows x Columns x 16 bits need far more than the Pixel Data holds (a well-formed data set otherwise). */
    public static byte[] shortPixelData(Uids uids) {
        return image(uids, null, 512, 512, 64, null);
    }

    /** Preamble, "DICM", group 0002 (Explicit VR LE) and the Implicit VR LE data set. */
    public static byte[] part10(byte[] dataSet, String sopInstance) {
        return part10(dataSet, sopInstance, IMPLICIT_VR_LE);
    }

    /** The same with any Transfer Syntax UID in the meta header, true or not (the fuzzer's lie). */
    public static byte[] part10(byte[] dataSet, String sopInstance, String transferSyntax) {
        HostileDicom meta = new HostileDicom();
        meta.explicit(0x00020001, "OB", new byte[] {0, 1});
        meta.explicit(0x00020002, "UI", uid(CR_IMAGE_STORAGE));
        meta.explicit(0x00020003, "UI", uid(sopInstance));
        meta.explicit(0x00020010, "UI", uid(transferSyntax));
        byte[] group = meta.out.toByteArray();
        HostileDicom file = new HostileDicom();
        file.out.writeBytes(new byte[128]);
        file.out.writeBytes("DICM".getBytes(StandardCharsets.US_ASCII));
        file.explicit(0x00020000, "UL", le32(group.length));
        file.out.writeBytes(group);
        file.out.writeBytes(dataSet);
        return file.out.toByteArray();
    }

    private static byte[] image(Uids uids, String charset, int rows, int columns, int pixelBytes, byte[] nested) {
        HostileDicom d = new HostileDicom();
        if (charset != null) {
            d.string(0x00080005, charset);
        }
        d.value(0x00080016, uid(CR_IMAGE_STORAGE));
        d.value(0x00080018, uid(uids.sop()));
        d.string(0x00080020, "20261201");
        d.string(0x00080050, "ATK" + Math.abs(uids.sop().hashCode() % 100000));
        d.string(0x00080060, "CR");
        d.string(0x00081030, "XR CHEST PA");
        d.string(0x00100010, "ATTACK^TEST");
        d.string(0x00100020, "ATK-1");
        d.string(0x00101010, "050Y");
        d.string(0x00180015, "CHEST");
        d.string(0x00185101, "PA");
        d.value(0x0020000D, uid(uids.study()));
        d.value(0x0020000E, uid(uids.series()));
        d.us(0x00280002, 1);
        d.string(0x00280004, "MONOCHROME2");
        d.us(0x00280010, rows);
        d.us(0x00280011, columns);
        d.us(0x00280100, 16);
        d.us(0x00280101, 12);
        d.us(0x00280102, 11);
        d.us(0x00280103, 0);
        if (nested != null) {
            d.out.writeBytes(nested);
        }
        byte[] pixels = new byte[pixelBytes + (pixelBytes & 1)];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i % 2 == 0 ? i * 7 : (i / 64) & 0x0f);
        }
        d.value(0x7FE00010, pixels);
        return d.out.toByteArray();
    }

    private void string(int tag, String value) {
        byte[] v = value.getBytes(StandardCharsets.ISO_8859_1);
        if (v.length % 2 == 1) {
            v = java.util.Arrays.copyOf(v, v.length + 1);
            v[v.length - 1] = ' ';
        }
        value(tag, v);
    }

    private void us(int tag, int value) {
        value(tag, new byte[] {(byte) value, (byte) (value >> 8)});
    }

    private void value(int tag, byte[] v) {
        header(tag, v.length);
        out.writeBytes(v);
    }

    /** Tag and 32-bit length (Implicit VR, items and delimiters). */
    private void header(int tag, int length) {
        out.write(tag >>> 16);
        out.write(tag >>> 24);
        out.write(tag);
        out.write(tag >>> 8);
        out.writeBytes(le32(length));
    }

    private void explicit(int tag, String vr, byte[] v) {
        out.write(tag >>> 16);
        out.write(tag >>> 24);
        out.write(tag);
        out.write(tag >>> 8);
        out.writeBytes(vr.getBytes(StandardCharsets.US_ASCII));
        if (vr.equals("OB")) {
            out.write(0);
            out.write(0);
            out.writeBytes(le32(v.length));
        } else {
            out.write(v.length);
            out.write(v.length >> 8);
        }
        out.writeBytes(v);
    }

    private static byte[] uid(String uid) {
        byte[] v = uid.getBytes(StandardCharsets.US_ASCII);
        return v.length % 2 == 0 ? v : java.util.Arrays.copyOf(v, v.length + 1);
    }

    private static byte[] le32(int v) {
        return new byte[] {(byte) v, (byte) (v >> 8), (byte) (v >> 16), (byte) (v >> 24)};
    }
}
