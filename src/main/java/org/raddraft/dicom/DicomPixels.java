package org.raddraft.dicom;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.OtherByteAttribute;
import com.pixelmed.dicom.OtherByteAttributeMultipleCompressedFrames;
import com.pixelmed.dicom.TagFromName;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes the first frame of a Part 10 file into raw stored values, decompressing any
 * {@link AcceptedTransferSyntax}: grey-scale JPEG lossless and RLE with RadDraft's own decoders
 * ({@link JpegLosslessDecoder}, {@link RleDecoder}: 10-20x faster than PixelMed's, which took about a
 * second per 2048 x 2048 radiograph), everything else (JPEG 2000 through jai-imageio-jpeg2000, JPEG
 * baseline, colour) through PixelMed/JDK.
 */
public final class DicomPixels {

    private static final Logger LOG = LoggerFactory.getLogger(DicomPixels.class);
    private static final String RLE = "1.2.840.10008.1.2.5";
    private static final Set<String> JPEG_LOSSLESS = Set.of("1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70");

    /** Default of {@code image.max-pixels}: 50 megapixels, twice the largest projection radiographs. */
    public static final long DEFAULT_MAX_PIXELS = 50_000_000L;
    /** The most {@code image.max-pixels} may be: one frame's values must fit a Java array. */
    public static final long MAX_PIXELS_LIMIT = 1_000_000_000L;
    private static volatile long maxPixels = DEFAULT_MAX_PIXELS;

    private DicomPixels() {
    }

    /**
     * The largest image (Rows x Columns x Samples per Pixel) any decode accepts, from
     * {@code image.max-pixels}; set once at start-up. Larger images are refused before a byte is
     * allocated for them ({@link DicomLimitException}).
     */
    public static void limitPixels(long max) {
        if (max < 1 || max > MAX_PIXELS_LIMIT) {
            throw new IllegalArgumentException("image.max-pixels must be 1.." + MAX_PIXELS_LIMIT + ", got " + max);
        }
        maxPixels = max;
    }

    /**
     * @throws DicomFormatException when the file cannot be read or decompressed, has no Pixel Data,
     *                              or is not grey-scale or RGB
     */
    public static PixelFrame decode(Path part10File) throws DicomFormatException {
        AttributeList list = read(part10File, false);
        checkDimensions(list);
        int[] decoded = ownDecoders(list);
        if (decoded == null && list.get(TagFromName.PixelData) instanceof OtherByteAttributeMultipleCompressedFrames) {
            list = read(part10File, true);
        }
        return frameOf(list, decoded);
    }

    static AttributeList read(Path part10File, boolean decompress) throws DicomFormatException {
        DataSetWalker.screen(part10File);
        AttributeList list = new AttributeList();
        list.setDecompressPixelData(decompress);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(part10File), 256 * 1024);
             DicomInputStream din = new DicomInputStream(in)) {
            list.read(din);
        } catch (IOException | DicomException | RuntimeException e) {
            throw DicomFormatException.unreadable("cannot decode pixel data", e);
        } catch (StackOverflowError | OutOfMemoryError e) {
            throw DicomLimitException.exhausted(decompress ? "pixel data" : "data set", e);
        }
        return list;
    }

    /**
     * Before anything is allocated for the image: Rows, Columns, Samples per Pixel and Bits Allocated
     * in range, their product within {@link #limitPixels the maximum} (exact arithmetic: 65535 x 65535
     * overflows an int), and native Pixel Data at least as long as one frame needs.
     *
     * @throws DicomLimitException naming what is wrong, in RadDraft's words
     */
    static void checkDimensions(AttributeList list) throws DicomFormatException {
        Attribute pixelData = list.get(TagFromName.PixelData);
        if (pixelData == null) {
            throw new DicomFormatException("Pixel Data (7FE0,0010) missing");
        }
        long rows = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.Rows, 0) & 0xffffL;
        long columns = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.Columns, 0) & 0xffffL;
        int samples = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.SamplesPerPixel, 1);
        int bitsAllocated = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.BitsAllocated, 0);
        if (rows == 0 || columns == 0 || (samples != 1 && samples != 3) || bitsAllocated < 1 || bitsAllocated > 16) {
            throw new DicomFormatException("unsupported image pixel module: rows=" + rows + " columns=" + columns
                    + " samplesPerPixel=" + samples + " bitsAllocated=" + bitsAllocated);
        }
        long values;
        long bits;
        try {
            values = Math.multiplyExact(Math.multiplyExact(rows, columns), samples);
            bits = Math.multiplyExact(values, bitsAllocated);
        } catch (ArithmeticException e) {
            throw new DicomLimitException("image of " + rows + " x " + columns + " is too large to decode");
        }
        long max = maxPixels;
        if (values > max) {
            throw new DicomLimitException("image of " + rows + " x " + columns + (samples > 1 ? " x " + samples : "")
                    + " values exceeds image.max-pixels (" + max + ")");
        }
        if (!(pixelData instanceof OtherByteAttributeMultipleCompressedFrames)) {
            long needed = (bits + 7) / 8;
            long available = pixelData.getVL() & 0xffffffffL;
            if (available < needed) {
                throw new DicomLimitException("Pixel Data holds " + available + " bytes, Rows x Columns x Samples x"
                        + " Bits Allocated need " + needed);
            }
        }
    }

    /** The first frame's samples from RadDraft's own decoders, or null when PixelMed has to decompress it. */
    static int[] ownDecoders(AttributeList list) throws DicomFormatException {
        if (!(list.get(TagFromName.PixelData) instanceof OtherByteAttributeMultipleCompressedFrames encapsulated)) {
            return null;
        }
        byte[][] frames = encapsulated.getFrames();
        if (frames == null || frames.length == 0 || frames[0] == null) {
            // PixelMed leaves no frames for an item list without fragments (issue 24 fuzzing: a NullPointerException)
            throw new DicomFormatException("encapsulated Pixel Data (7FE0,0010) holds no frame");
        }
        if (Attribute.getSingleIntegerValueOrDefault(list, TagFromName.SamplesPerPixel, 1) != 1) {
            return null;
        }
        String ts = Attribute.getSingleStringValueOrEmptyString(list, TagFromName.TransferSyntaxUID);
        int rows = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.Rows, 0);
        int columns = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.Columns, 0);
        int bitsAllocated = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.BitsAllocated, 0);
        try {
            byte[] frame = frames[0];
            if (JPEG_LOSSLESS.contains(ts)) {
                int[] samples = JpegLosslessDecoder.decode(frame, rows, columns);
                if (samples.length != rows * columns) {
                    throw new DicomFormatException("the lossless JPEG frame holds " + samples.length
                            + " samples, Rows x Columns is " + rows * columns);
                }
                return samples;
            }
            if (RLE.equals(ts) && (bitsAllocated == 8 || bitsAllocated == 16)) {
                return RleDecoder.decode(frame, rows * columns, bitsAllocated);
            }
        } catch (DicomLimitException e) {
            throw e; // a frame that lies about its size is not handed to PixelMed to allocate for
        } catch (UnsupportedCoding | DicomFormatException e) {
            // PixelMed gets the last word: it reads more variants, and a corrupt frame fails there with its reason
            LOG.debug("pixel data decoded by PixelMed: {}", e.getMessage());
        }
        return null;
    }

    static PixelFrame frameOf(AttributeList list, int[] decoded) throws DicomFormatException {
        Attribute pixelData = list.get(TagFromName.PixelData);
        if (pixelData == null) {
            throw new DicomFormatException("Pixel Data (7FE0,0010) missing");
        }
        int rows = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.Rows, 0);
        int columns = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.Columns, 0);
        int bitsAllocated = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.BitsAllocated, 0);
        int bitsStored = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.BitsStored, bitsAllocated);
        boolean signed = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.PixelRepresentation, 0) == 1;
        int samples = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.SamplesPerPixel, 1);
        int planar = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.PlanarConfiguration, 0);
        String photometric = Attribute.getSingleStringValueOrDefault(list, TagFromName.PhotometricInterpretation, "")
                .trim();
        if (rows <= 0 || columns <= 0 || bitsAllocated <= 0 || bitsStored <= 0 || bitsStored > bitsAllocated
                || bitsAllocated > 16) {
            throw new DicomFormatException("unsupported image pixel module: rows=" + rows + " columns=" + columns
                    + " bitsAllocated=" + bitsAllocated + " bitsStored=" + bitsStored);
        }
        boolean grey = photometric.startsWith("MONOCHROME") && samples == 1;
        if (!grey && samples != 3) {
            throw new DicomFormatException("unsupported photometric interpretation " + photometric);
        }
        int pixels = rows * columns;
        int[] raw = decoded != null ? decoded : rawValues(pixelData, bitsAllocated, pixels * samples);
        int[] values = new int[pixels];
        if (grey) {
            int mask = bitsStored == 32 ? -1 : (1 << bitsStored) - 1;
            int sign = 1 << (bitsStored - 1);
            for (int i = 0; i < pixels; i++) {
                int v = raw[i] & mask;
                values[i] = signed && (v & sign) != 0 ? v - (1 << bitsStored) : v;
            }
        } else {
            // colour (e.g. a Secondary Capture): luma, so later stages always see one channel
            for (int i = 0; i < pixels; i++) {
                int r = planar == 0 ? raw[3 * i] : raw[i];
                int g = planar == 0 ? raw[3 * i + 1] : raw[pixels + i];
                int b = planar == 0 ? raw[3 * i + 2] : raw[2 * pixels + i];
                values[i] = (int) Math.round(0.299 * r + 0.587 * g + 0.114 * b);
            }
        }
        double slope = Attribute.getSingleDoubleValueOrDefault(list, TagFromName.RescaleSlope, 1.0);
        double intercept = Attribute.getSingleDoubleValueOrDefault(list, TagFromName.RescaleIntercept, 0.0);
        return new PixelFrame(rows, columns, bitsStored, "MONOCHROME1".equals(photometric), values,
                slope == 0 ? 1.0 : slope, intercept,
                firstDouble(list, TagFromName.WindowCenter), firstDouble(list, TagFromName.WindowWidth));
    }

    private static int[] rawValues(Attribute pixelData, int bitsAllocated, int count) throws DicomFormatException {
        int[] out = new int[count];
        try {
            if (bitsAllocated <= 8 && !(pixelData instanceof OtherByteAttribute)) {
                // 8-bit pixels in an OW element (img2dcm, implicit VR): two pixels per little-endian word
                short[] s = pixelData.getShortValues();
                check(s.length * 2, count, pixelData);
                for (int i = 0; i < count; i++) {
                    out[i] = (s[i / 2] >> (8 * (i % 2))) & 0xff;
                }
            } else if (bitsAllocated <= 8) {
                byte[] b = pixelData.getByteValues();
                check(b.length, count, pixelData);
                for (int i = 0; i < count; i++) {
                    out[i] = b[i] & 0xff;
                }
            } else if (pixelData instanceof OtherByteAttribute) {
                byte[] b = pixelData.getByteValues();
                check(b.length / 2, count, pixelData);
                for (int i = 0; i < count; i++) {
                    out[i] = (b[2 * i] & 0xff) | (b[2 * i + 1] & 0xff) << 8;
                }
            } else {
                short[] s = pixelData.getShortValues();
                check(s.length, count, pixelData);
                for (int i = 0; i < count; i++) {
                    out[i] = s[i] & 0xffff;
                }
            }
        } catch (DicomException e) {
            throw DicomFormatException.unreadable("cannot read pixel values", e);
        }
        return out;
    }

    private static void check(int available, int needed, Attribute pixelData) throws DicomFormatException {
        if (available < needed) {
            throw new DicomFormatException("Pixel Data holds " + available + " values, first frame needs " + needed
                    + " (" + pixelData.getClass().getSimpleName() + ")");
        }
    }

    private static Double firstDouble(AttributeList list, com.pixelmed.dicom.AttributeTag tag) {
        double[] v = Attribute.getDoubleValues(list, tag);
        return v == null || v.length == 0 ? null : v[0];
    }
}
