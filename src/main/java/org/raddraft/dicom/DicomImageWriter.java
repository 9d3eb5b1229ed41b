package org.raddraft.dicom;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeFactory;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.OtherByteAttributeMultipleCompressedFrames;
import com.pixelmed.dicom.OtherWordAttribute;
import com.pixelmed.dicom.SOPClass;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.UnsignedShortAttribute;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Writes single-frame CR or DX (For Presentation) Part 10 files, used by the phantom generator
 * for test data and the demo. Supports Explicit VR Little Endian, Implicit VR Little Endian,
 * RLE Lossless and JPEG Lossless (process 14, selection value 1); the two compressed encoders are
 * implemented here because PixelMed only decodes them.
 */
public final class DicomImageWriter {

    public static final String EXPLICIT_VR_LE = "1.2.840.10008.1.2.1";
    public static final String IMPLICIT_VR_LE = "1.2.840.10008.1.2";
    public static final String RLE_LOSSLESS = "1.2.840.10008.1.2.5";
    public static final String JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70";
    public static final List<String> TRANSFER_SYNTAXES =
            List.of(EXPLICIT_VR_LE, IMPLICIT_VR_LE, RLE_LOSSLESS, JPEG_LOSSLESS_SV1);

    /**
     * Pixel module of one image.
     *
     * @param pixels      stored values, row-major, unsigned in 16-bit containers (0..2^bitsStored-1)
     * @param photometric MONOCHROME1 or MONOCHROME2
     */
    public record Image(int rows, int columns, int bitsStored, String photometric, short[] pixels,
                        double pixelSpacingMm, double windowCenter, double windowWidth,
                        double rescaleIntercept, double rescaleSlope) {
        public Image {
            if (bitsStored < 8 || bitsStored > 16) throw new IllegalArgumentException("bitsStored " + bitsStored);
            if (pixels.length != rows * columns) throw new IllegalArgumentException("pixel count");
            if (!photometric.equals("MONOCHROME1") && !photometric.equals("MONOCHROME2")) {
                throw new IllegalArgumentException("photometric " + photometric);
            }
        }
    }

    /** Patient, study, series and instance identification. */
    public record Header(String modality, String studyInstanceUid, String seriesInstanceUid, String sopInstanceUid,
                         String patientName, String patientId, String patientBirthDate, String patientSex,
                         String patientAge, String studyDate, String studyTime, String accessionNumber,
                         String studyId, String studyDescription, String seriesDescription, int seriesNumber,
                         int instanceNumber, String viewPosition, String patientOrientation, String imageComments) {
        public Header {
            if (!modality.equals("CR") && !modality.equals("DX")) throw new IllegalArgumentException("modality " + modality);
        }
    }

    private DicomImageWriter() {
    }

    /** Writes the image as a Part 10 file in the given transfer syntax (see {@link #TRANSFER_SYNTAXES}). */
    public static void write(Path file, Header h, Image img, String transferSyntaxUid) throws IOException {
        if (!TRANSFER_SYNTAXES.contains(transferSyntaxUid)) {
            throw new IllegalArgumentException("unsupported transfer syntax " + transferSyntaxUid);
        }
        try {
            AttributeList l = attributes(h, img);
            if (transferSyntaxUid.equals(RLE_LOSSLESS) || transferSyntaxUid.equals(JPEG_LOSSLESS_SV1)) {
                byte[] frame = transferSyntaxUid.equals(RLE_LOSSLESS)
                        ? Rle.encode(img.pixels(), img.columns(), img.rows())
                        : JpegLossless.encode(img.pixels(), img.columns(), img.rows(), img.bitsStored());
                l.put(new OtherByteAttributeMultipleCompressedFrames(TagFromName.PixelData, new byte[][]{frame}));
                put(l, TagFromName.LossyImageCompression, "00");
            } else {
                OtherWordAttribute pd = new OtherWordAttribute(TagFromName.PixelData);
                pd.setValues(img.pixels());
                l.put(pd);
            }
            FileMetaInformation.addFileMetaInformation(l, transferSyntaxUid, "RADDRAFT");
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            l.write(tmp.toFile(), transferSyntaxUid, true, true);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (DicomException e) {
            throw new IOException("cannot encode " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads a file back through PixelMed (decompressing if needed) and returns its stored pixel
     * values; used to verify that every written transfer syntax round-trips.
     */
    public static short[] decodeStoredPixels(Path file) throws IOException {
        try {
            AttributeList l = new AttributeList();
            l.read(file.toFile());
            Attribute pd = l.getPixelData();
            return pd.getShortValues();
        } catch (DicomException e) {
            throw new IOException("cannot decode " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads one top-level attribute as a string (empty when absent); for tests and checks. */
    public static String attribute(Path file, String keyword) throws IOException {
        try {
            AttributeList l = new AttributeList();
            l.read(file.toFile(), TagFromName.PixelData);
            AttributeTag t = AttributeList.getDictionary().getTagFromName(keyword);
            if (t == null) throw new IllegalArgumentException("unknown keyword " + keyword);
            return Attribute.getDelimitedStringValuesOrEmptyString(l, t);
        } catch (DicomException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static AttributeList attributes(Header h, Image img) throws DicomException {
        AttributeList l = new AttributeList();
        boolean dx = h.modality().equals("DX");
        put(l, TagFromName.SpecificCharacterSet, "ISO_IR 100");
        put(l, TagFromName.ImageType, "ORIGINAL", "PRIMARY");
        put(l, TagFromName.SOPClassUID, dx ? SOPClass.DigitalXRayImageStorageForPresentation
                : SOPClass.ComputedRadiographyImageStorage);
        put(l, TagFromName.SOPInstanceUID, h.sopInstanceUid());
        put(l, TagFromName.StudyDate, h.studyDate());
        put(l, TagFromName.SeriesDate, h.studyDate());
        put(l, TagFromName.ContentDate, h.studyDate());
        put(l, TagFromName.StudyTime, h.studyTime());
        put(l, TagFromName.SeriesTime, h.studyTime());
        put(l, TagFromName.ContentTime, h.studyTime());
        put(l, TagFromName.AccessionNumber, h.accessionNumber());
        put(l, TagFromName.Modality, h.modality());
        if (dx) put(l, TagFromName.PresentationIntentType, "FOR PRESENTATION");
        put(l, TagFromName.Manufacturer, "RadDraft");
        put(l, TagFromName.InstitutionName, "RadDraft Synthetic Phantoms");
        put(l, TagFromName.ReferringPhysicianName, "");
        put(l, TagFromName.StationName, "PHANTOM01");
        put(l, TagFromName.StudyDescription, h.studyDescription());
        put(l, TagFromName.SeriesDescription, h.seriesDescription());
        put(l, TagFromName.ManufacturerModelName, "raddraft-phantom");
        put(l, TagFromName.PatientName, h.patientName());
        put(l, TagFromName.PatientID, h.patientId());
        put(l, TagFromName.IssuerOfPatientID, "RADDRAFT-PHANTOM");
        put(l, TagFromName.PatientBirthDate, h.patientBirthDate());
        put(l, TagFromName.PatientSex, h.patientSex());
        put(l, TagFromName.PatientAge, h.patientAge());
        put(l, TagFromName.BodyPartExamined, "CHEST");
        put(l, TagFromName.ViewPosition, h.viewPosition());
        if (dx) {
            cs(l, new AttributeTag(0x0018, 0x7004), "SCINTILLATOR"); // Detector Type
            put(l, TagFromName.ImagerPixelSpacing, ds(img.pixelSpacingMm()), ds(img.pixelSpacingMm()));
        }
        put(l, TagFromName.StudyInstanceUID, h.studyInstanceUid());
        put(l, TagFromName.SeriesInstanceUID, h.seriesInstanceUid());
        put(l, TagFromName.StudyID, h.studyId());
        put(l, TagFromName.SeriesNumber, Integer.toString(h.seriesNumber()));
        put(l, TagFromName.InstanceNumber, Integer.toString(h.instanceNumber()));
        put(l, TagFromName.PatientOrientation, h.patientOrientation().split("\\\\"));
        if (dx) put(l, TagFromName.ImageLaterality, "U");
        put(l, TagFromName.ImageComments, h.imageComments());
        us(l, TagFromName.SamplesPerPixel, 1);
        put(l, TagFromName.PhotometricInterpretation, img.photometric());
        us(l, TagFromName.Rows, img.rows());
        us(l, TagFromName.Columns, img.columns());
        put(l, TagFromName.PixelSpacing, ds(img.pixelSpacingMm()), ds(img.pixelSpacingMm()));
        us(l, TagFromName.BitsAllocated, 16);
        us(l, TagFromName.BitsStored, img.bitsStored());
        us(l, TagFromName.HighBit, img.bitsStored() - 1);
        us(l, TagFromName.PixelRepresentation, 0);
        if (dx) {
            cs(l, new AttributeTag(0x0028, 0x1040), "LOG"); // Pixel Intensity Relationship
            Attribute sign = new com.pixelmed.dicom.SignedShortAttribute(new AttributeTag(0x0028, 0x1041));
            sign.addValue(img.photometric().equals("MONOCHROME1") ? 1 : -1); // higher value = less beam (MONOCHROME2)
            l.put(sign);
        }
        put(l, TagFromName.WindowCenter, ds(img.windowCenter()));
        put(l, TagFromName.WindowWidth, ds(img.windowWidth()));
        put(l, TagFromName.RescaleIntercept, ds(img.rescaleIntercept()));
        put(l, TagFromName.RescaleSlope, ds(img.rescaleSlope()));
        put(l, TagFromName.RescaleType, "US");
        put(l, TagFromName.LossyImageCompression, "00");
        put(l, TagFromName.BurnedInAnnotation, "NO");
        return l;
    }

    private static String ds(double v) {
        String s = Double.toString(Math.round(v * 10000) / 10000.0);
        if (s.endsWith(".0")) s = s.substring(0, s.length() - 2);
        return s;
    }

    private static void put(AttributeList l, AttributeTag t, String... values) throws DicomException {
        Attribute a = AttributeFactory.newAttribute(t);
        for (String v : values) a.addValue(v);
        l.put(a);
    }

    private static void cs(AttributeList l, AttributeTag t, String v) throws DicomException {
        Attribute a = new com.pixelmed.dicom.CodeStringAttribute(t);
        a.addValue(v);
        l.put(a);
    }

    private static void us(AttributeList l, AttributeTag t, int v) throws DicomException {
        Attribute a = new UnsignedShortAttribute(t);
        a.addValue(v);
        l.put(a);
    }

    // ------------------------------------------------------------------ RLE Lossless (PS3.5 Annex G)

    static final class Rle {
        static byte[] encode(short[] px, int w, int h) {
            ByteArrayOutputStream[] seg = {new ByteArrayOutputStream(), new ByteArrayOutputStream()};
            byte[] hi = new byte[w], lo = new byte[w];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int v = px[y * w + x] & 0xFFFF;
                    hi[x] = (byte) (v >>> 8);
                    lo[x] = (byte) v;
                }
                packBits(hi, seg[0]);
                packBits(lo, seg[1]);
            }
            byte[] s0 = even(seg[0].toByteArray()), s1 = even(seg[1].toByteArray());
            byte[] out = new byte[64 + s0.length + s1.length];
            putInt(out, 0, 2);
            putInt(out, 4, 64);
            putInt(out, 8, 64 + s0.length);
            System.arraycopy(s0, 0, out, 64, s0.length);
            System.arraycopy(s1, 0, out, 64 + s0.length, s1.length);
            return out;
        }

        /** PackBits on one row: runs of 3..128 equal bytes, literals of 1..128 bytes. */
        static void packBits(byte[] b, ByteArrayOutputStream out) {
            int i = 0, n = b.length;
            while (i < n) {
                int run = 1;
                while (i + run < n && run < 128 && b[i + run] == b[i]) run++;
                if (run >= 3) {
                    out.write(-(run - 1));
                    out.write(b[i]);
                    i += run;
                    continue;
                }
                int start = i, len = 0;
                while (i < n && len < 128) {
                    if (i + 2 < n && b[i] == b[i + 1] && b[i] == b[i + 2]) break;
                    i++;
                    len++;
                }
                out.write(len - 1);
                out.write(b, start, len);
            }
        }

        private static byte[] even(byte[] b) {
            return b.length % 2 == 0 ? b : Arrays.copyOf(b, b.length + 1);
        }

        private static void putInt(byte[] b, int off, int v) {
            b[off] = (byte) v;
            b[off + 1] = (byte) (v >>> 8);
            b[off + 2] = (byte) (v >>> 16);
            b[off + 3] = (byte) (v >>> 24);
        }
    }

    // ------------------------------------------------------------------ JPEG Lossless, SV1 (ITU T.81 H)

    static final class JpegLossless {
        static byte[] encode(short[] px, int w, int h, int precision) {
            int[] cat = new int[w * h];
            int[] diff = new int[w * h];
            long[] freq = new long[257];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int k = y * w + x;
                    int v = px[k] & 0xFFFF;
                    int pred;
                    if (x == 0 && y == 0) pred = 1 << (precision - 1);
                    else if (y == 0) pred = px[k - 1] & 0xFFFF;
                    else if (x == 0) pred = px[k - w] & 0xFFFF;
                    else pred = px[k - 1] & 0xFFFF;
                    int d = (v - pred) & 0xFFFF;
                    if (d >= 32768) d -= 65536;
                    int s = d == -32768 ? 16 : d == 0 ? 0 : 32 - Integer.numberOfLeadingZeros(Math.abs(d));
                    cat[k] = s;
                    diff[k] = d;
                    freq[s]++;
                }
            }
            int[][] table = huffman(freq); // {bits[17], huffval[], codeLen[17], code[17]}
            int[] bits = table[0], huffval = table[1], len = table[2], code = table[3];
            ByteArrayOutputStream out = new ByteArrayOutputStream(w * h);
            marker(out, 0xD8);
            marker(out, 0xC3); // SOF3
            u16(out, 11);
            out.write(precision);
            u16(out, h);
            u16(out, w);
            out.write(1);
            out.write(1);
            out.write(0x11);
            out.write(0);
            marker(out, 0xC4); // DHT
            u16(out, 2 + 1 + 16 + huffval.length);
            out.write(0x00);
            for (int i = 1; i <= 16; i++) out.write(bits[i]);
            for (int v : huffval) out.write(v);
            marker(out, 0xDA); // SOS
            u16(out, 8);
            out.write(1);
            out.write(1);
            out.write(0x00);
            out.write(1); // Ss = predictor 1
            out.write(0); // Se
            out.write(0); // Ah/Al (point transform 0)
            BitWriter bw = new BitWriter(out);
            for (int k = 0; k < cat.length; k++) {
                int s = cat[k];
                bw.put(code[s], len[s]);
                if (s > 0 && s < 16) {
                    int d = diff[k];
                    int extra = d > 0 ? d : d - 1;
                    bw.put(extra & ((1 << s) - 1), s);
                }
            }
            bw.flush();
            marker(out, 0xD9);
            byte[] b = out.toByteArray();
            return b.length % 2 == 0 ? b : Arrays.copyOf(b, b.length + 1);
        }

        /** Optimal code lengths limited to 16 bits (ITU T.81 K.2/K.3), then canonical codes (C.2). */
        static int[][] huffman(long[] f) {
            long[] freq = Arrays.copyOf(f, 257);
            freq[256] = 1; // reserved so that no code is all ones
            int[] codesize = new int[257];
            int[] others = new int[257];
            Arrays.fill(others, -1);
            while (true) {
                int v1 = -1, v2 = -1;
                for (int i = 0; i < 257; i++) {
                    if (freq[i] > 0 && (v1 < 0 || freq[i] <= freq[v1])) v1 = i;
                }
                for (int i = 0; i < 257; i++) {
                    if (i != v1 && freq[i] > 0 && (v2 < 0 || freq[i] <= freq[v2])) v2 = i;
                }
                if (v2 < 0) break;
                freq[v1] += freq[v2];
                freq[v2] = 0;
                codesize[v1]++;
                while (others[v1] >= 0) {
                    v1 = others[v1];
                    codesize[v1]++;
                }
                others[v1] = v2;
                codesize[v2]++;
                while (others[v2] >= 0) {
                    v2 = others[v2];
                    codesize[v2]++;
                }
            }
            int[] bits = new int[33];
            for (int i = 0; i < 257; i++) if (codesize[i] > 0) bits[codesize[i]]++;
            for (int i = 32; i > 16; i--) {
                while (bits[i] > 0) {
                    int j = i - 2;
                    while (bits[j] == 0) j--;
                    bits[i] -= 2;
                    bits[i - 1]++;
                    bits[j + 1] += 2;
                    bits[j]--;
                }
            }
            int i = 16;
            while (bits[i] == 0) i--;
            bits[i]--; // drop the reserved code point
            java.util.List<Integer> vals = new java.util.ArrayList<>();
            for (int size = 1; size <= 32; size++) {
                for (int v = 0; v < 256; v++) if (codesize[v] == size) vals.add(v);
            }
            int[] huffval = vals.stream().mapToInt(Integer::intValue).toArray();
            int[] len = new int[17], code = new int[17];
            int c = 0, k = 0;
            for (int l = 1; l <= 16; l++) {
                for (int m = 0; m < bits[l]; m++) {
                    len[huffval[k]] = l;
                    code[huffval[k]] = c++;
                    k++;
                }
                c <<= 1;
            }
            return new int[][]{Arrays.copyOf(bits, 17), huffval, len, code};
        }

        private static void marker(ByteArrayOutputStream o, int m) {
            o.write(0xFF);
            o.write(m);
        }

        private static void u16(ByteArrayOutputStream o, int v) {
            o.write(v >>> 8);
            o.write(v);
        }

        private static final class BitWriter {
            final ByteArrayOutputStream out;
            long acc;
            int n;

            BitWriter(ByteArrayOutputStream out) {
                this.out = out;
            }

            void put(int value, int count) {
                acc = (acc << count) | (value & ((1L << count) - 1));
                n += count;
                while (n >= 8) {
                    int b = (int) (acc >>> (n - 8)) & 0xFF;
                    out.write(b);
                    if (b == 0xFF) out.write(0);
                    n -= 8;
                }
            }

            void flush() {
                if (n > 0) put((1 << (8 - n)) - 1, 8 - n);
            }
        }
    }
}
