package org.raddraft.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A structure-aware mutator of DICOM data sets for fuzzing (issue 24): it starts from
 * {@link HostileDicom#plain} carrying the known patient values below, parses it into its top-level
 * elements (Implicit VR Little Endian, defined lengths) and applies one to three seeded mutations
 * that know where lengths, dimensions, sequences, character sets, pixel data and the meta header's
 * transfer syntax are: truncation, lying element and item lengths, undefined lengths in odd places,
 * huge or zero Rows/Columns/BitsAllocated, deep and unterminated nesting, pixel data shorter or
 * longer than declared, lying encapsulated fragments, bad character sets, deleted, duplicated and
 * out-of-order elements, and flipped bytes. The same seed gives the same case.
 */
public final class DicomMutator {

    /** The patient values every case carries, for the "no patient data in logs" checks. */
    public static final String PATIENT_NAME = "QUIXOTE^ALONSO";
    public static final String PATIENT_ID = "QX-40417";
    public static final String BIRTH_DATE = "19170311";
    public static final String ACCESSION = "QXACC9921";
    public static final List<String> PATIENT_VALUES = List.of("QUIXOTE", "ALONSO", PATIENT_ID, BIRTH_DATE, ACCESSION);

    static final String[] TRANSFER_SYNTAXES = {HostileDicom.IMPLICIT_VR_LE, "1.2.840.10008.1.2.1",
        "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.70",
        "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.5", "1.2.3.4", "", PATIENT_NAME};
    static final String[] CHARACTER_SETS = {"ISO_IR 100", "ISO_IR 192", "ISO 2022 IR 87", "ISO 2022 IR 9999",
        "GB18030", "\\\\\\", "ISO_IR 100\\ISO 2022 IR 149", "\u00ff\u00fe" + PATIENT_NAME};
    static final int[] DIMENSION_TAGS = {0x00280002, 0x00280010, 0x00280011, 0x00280100, 0x00280101, 0x00280102,
        0x00280103, 0x00280008};
    static final int[] SMALL_VALUES = {0, 1, 2, 7, 8, 15, 16, 17, 32, 33, 64, 255, 256, 4096, 32767, 32768, 65535};
    static final int[] LIES = {0, 1, 2, 3, 0x7FFFFFFF, 0xFFFFFFFF, 0xFFFFFFFE, 0x10000, 0x00FFFFFF};
    static final int PIXEL_DATA = 0x7FE00010;

    /** One case: the data set as sent over C-STORE, the Part 10 file holding it, and what was done. */
    public record Case(HostileDicom.Uids uids, byte[] dataSet, byte[] part10, String description) {
    }

    /** One top-level element; {@code length} is what the header says, the value what follows it. */
    private static final class Element {
        int tag;
        long length;
        byte[] value;

        Element(int tag, byte[] value) {
            this.tag = tag;
            this.value = value;
            this.length = value.length;
        }
    }

    private DicomMutator() {
    }

    /** The case {@code index} of the run seeded {@code seed}. */
    public static Case mutate(long seed, int index) {
        Random r = new Random(seed * 1_000_003L + index);
        HostileDicom.Uids uids = HostileDicom.Uids.fresh(index);
        List<Element> elements = base(uids);
        StringBuilder what = new StringBuilder();
        String ts = HostileDicom.IMPLICIT_VR_LE;
        int truncateAt = -1;
        int flips = 0;
        int count = 1 + r.nextInt(3);
        for (int m = 0; m < count; m++) {
            int kind = r.nextInt(11);
            what.append(m == 0 ? "" : ",");
            switch (kind) {
                case 0 -> {
                    truncateAt = r.nextInt(100_000);
                    what.append("truncate");
                }
                case 1 -> {
                    Element e = elements.get(r.nextInt(elements.size()));
                    int lie = LIES[r.nextInt(LIES.length)];
                    e.length = r.nextBoolean() ? Integer.toUnsignedLong(lie) : Math.max(0, e.value.length + r.nextInt(201) - 100);
                    what.append("length(").append(Integer.toHexString(e.tag)).append(")");
                }
                case 2 -> {
                    Element e = elements.get(r.nextInt(elements.size()));
                    byte[] v = new byte[r.nextInt(66)];
                    r.nextBytes(v);
                    e.value = v;
                    e.length = v.length;
                    what.append("value(").append(Integer.toHexString(e.tag)).append(")");
                }
                case 3 -> {
                    int tag = DIMENSION_TAGS[r.nextInt(DIMENSION_TAGS.length)];
                    int v = SMALL_VALUES[r.nextInt(SMALL_VALUES.length)];
                    put(elements, tag, new byte[] {(byte) v, (byte) (v >> 8)});
                    what.append("dimension(").append(Integer.toHexString(tag)).append("=").append(v).append(")");
                }
                case 4 -> {
                    Element px = find(elements, PIXEL_DATA);
                    if (px != null) {
                        int n = r.nextBoolean() ? r.nextInt(px.value.length + 1) : px.value.length + r.nextInt(300_000);
                        px.value = java.util.Arrays.copyOf(px.value, n);
                        px.length = n;
                    }
                    what.append("pixels(").append(px == null ? "none" : px.value.length).append(")");
                }
                case 5 -> {
                    int depth = 1 + r.nextInt(r.nextBoolean() ? 8 : 200);
                    put(elements, 0x00400275, nesting(r, depth));
                    find(elements, 0x00400275).length = r.nextInt(3) == 0 ? r.nextInt(64) : 0xFFFFFFFFL;
                    what.append("nesting(").append(depth).append(")");
                }
                case 6 -> {
                    put(elements, 0x00080005, even(CHARACTER_SETS[r.nextInt(CHARACTER_SETS.length)]));
                    what.append("charset");
                }
                case 7 -> {
                    ts = TRANSFER_SYNTAXES[r.nextInt(TRANSFER_SYNTAXES.length)];
                    what.append("ts(").append(ts.equals(PATIENT_NAME) ? "name" : ts).append(")");
                }
                case 8 -> {
                    Element px = find(elements, PIXEL_DATA);
                    if (px != null) {
                        px.value = fragments(r);
                        px.length = 0xFFFFFFFFL;
                    }
                    if (r.nextBoolean()) {
                        ts = "1.2.840.10008.1.2.4." + (r.nextBoolean() ? "70" : "50");
                    }
                    what.append("encapsulated");
                }
                case 9 -> {
                    int i = r.nextInt(elements.size());
                    int op = r.nextInt(3);
                    if (op == 0) {
                        elements.remove(i);
                    } else if (op == 1) {
                        Element e = elements.get(i);
                        elements.add(i, new Element(e.tag, e.value.clone()));
                    } else if (elements.size() > 1) {
                        int j = r.nextInt(elements.size());
                        Element e = elements.get(i);
                        elements.set(i, elements.get(j));
                        elements.set(j, e);
                    }
                    what.append("order(").append(op).append(")");
                }
                default -> {
                    flips = 1 + r.nextInt(20);
                    what.append("flip(").append(flips).append(")");
                }
            }
        }
        byte[] dataSet = write(elements);
        for (int i = 0; i < flips && dataSet.length > 0; i++) {
            dataSet[r.nextInt(dataSet.length)] ^= (byte) (1 << r.nextInt(8));
        }
        if (truncateAt >= 0) {
            dataSet = java.util.Arrays.copyOf(dataSet, Math.min(dataSet.length, truncateAt % (dataSet.length + 1)));
        }
        return new Case(uids, dataSet, HostileDicom.part10(dataSet, uids.sop(), ts), what.toString());
    }

    /** {@link HostileDicom#plain} with the known patient name, ID, birth date and accession number. */
    static List<Element> base(HostileDicom.Uids uids) {
        byte[] plain = HostileDicom.plain(uids);
        List<Element> elements = new ArrayList<>();
        for (int at = 0; at + 8 <= plain.length; ) {
            int tag = (u16(plain, at) << 16) | u16(plain, at + 2);
            int length = (int) u32(plain, at + 4);
            elements.add(new Element(tag, java.util.Arrays.copyOfRange(plain, at + 8, at + 8 + length)));
            at += 8 + length;
        }
        put(elements, 0x00080050, even(ACCESSION));
        put(elements, 0x00100010, even(PATIENT_NAME));
        put(elements, 0x00100020, even(PATIENT_ID));
        put(elements, 0x00100030, even(BIRTH_DATE));
        return elements;
    }

    /** Sequences and items {@code depth} deep, lengths undefined, with some delimiters left out or lying. */
    private static byte[] nesting(Random r, int depth) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < depth; i++) {
            header(b, 0x00400275, r.nextInt(10) == 0 ? r.nextInt(4096) : 0xFFFFFFFF);
            header(b, 0xFFFEE000, r.nextInt(10) == 0 ? r.nextInt(4096) : 0xFFFFFFFF);
            if (r.nextInt(4) == 0) {
                header(b, 0x00100010, 14);
                b.writeBytes(even(PATIENT_NAME));
            }
        }
        for (int i = 0; i < depth; i++) {
            if (r.nextInt(20) != 0) {
                header(b, 0xFFFEE00D, 0);
            }
            if (r.nextInt(20) != 0) {
                header(b, 0xFFFEE0DD, 0);
            }
        }
        return b.toByteArray();
    }

    /** An encapsulated Pixel Data value: offset table, fragments whose lengths may lie, maybe no delimiter. */
    private static byte[] fragments(Random r) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        header(b, 0xFFFEE000, 0);
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
            byte[] frag = new byte[r.nextInt(512)];
            r.nextBytes(frag);
            if (frag.length > 1 && r.nextBoolean()) {
                frag[0] = (byte) 0xFF;
                frag[1] = (byte) 0xD8; // a JPEG start-of-image, so decoders get further
            }
            int length = r.nextInt(4) == 0 ? LIES[r.nextInt(LIES.length)] : frag.length + (frag.length & 1);
            header(b, 0xFFFEE000, length);
            b.writeBytes(frag);
            if ((frag.length & 1) == 1) {
                b.write(0);
            }
        }
        if (r.nextInt(4) != 0) {
            header(b, 0xFFFEE0DD, 0);
        }
        return b.toByteArray();
    }

    private static byte[] write(List<Element> elements) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (Element e : elements) {
            header(b, e.tag, (int) e.length);
            b.writeBytes(e.value);
        }
        return b.toByteArray();
    }

    private static Element find(List<Element> elements, int tag) {
        return elements.stream().filter(e -> e.tag == tag).findFirst().orElse(null);
    }

    /** Replaces the element's value, or inserts it in tag order. */
    private static void put(List<Element> elements, int tag, byte[] value) {
        Element e = find(elements, tag);
        if (e != null) {
            e.value = value;
            e.length = value.length;
            return;
        }
        int i = 0;
        while (i < elements.size() && Integer.compareUnsigned(elements.get(i).tag, tag) < 0) {
            i++;
        }
        elements.add(i, new Element(tag, value));
    }

    private static byte[] even(String s) {
        byte[] v = s.getBytes(StandardCharsets.ISO_8859_1);
        return v.length % 2 == 0 ? v : java.util.Arrays.copyOf(v, v.length + 1);
    }

    private static void header(ByteArrayOutputStream b, int tag, int length) {
        b.write(tag >>> 16);
        b.write(tag >>> 24);
        b.write(tag);
        b.write(tag >>> 8);
        b.write(length);
        b.write(length >>> 8);
        b.write(length >>> 16);
        b.write(length >>> 24);
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    private static long u32(byte[] b, int at) {
        return (b[at] & 0xffL) | (b[at + 1] & 0xffL) << 8 | (b[at + 2] & 0xffL) << 16 | (b[at + 3] & 0xffL) << 24;
    }
}
