package org.raddraft.dicom;

/**
 * Decodes a single-component lossless JPEG (ITU-T T.81 process 14, Huffman, any predictor 1-7, any
 * point transform, no restart intervals): DICOM transfer syntaxes 1.2.840.10008.1.2.4.57
 * and .70, the ones radiographs most often arrive in. PixelMed's decoder takes about a second for a
 * 2048 x 2048 frame on this project's machines; this one reads each code through a lookup table of
 * the next {@value #LOOKAHEAD} bits. Anything else (colour, restart markers, arithmetic coding) is
 * {@link UnsupportedCoding}, and the caller falls back to PixelMed.
 */
final class JpegLosslessDecoder {

    private static final int LOOKAHEAD = 9;

    private final byte[] data;
    private int pos;
    private final HuffmanTable[] tables = new HuffmanTable[4];
    private int precision;
    private int lines;
    private int width;
    private int expectedLines = -1;
    private int expectedWidth = -1;
    private int restartInterval;

    private JpegLosslessDecoder(byte[] data) {
        this.data = data;
    }

    /**
     * @param jpeg one frame's JPEG stream (SOI to EOI)
     * @return the samples, row by row, as unsigned values of the frame's precision
     */
    static int[] decode(byte[] jpeg) throws UnsupportedCoding, DicomFormatException {
        return decode(jpeg, -1, -1);
    }

    /**
     * @param rows    Rows of the image, which the frame header must match before anything is allocated
     *                (a 1 KB stream can declare 65535 x 65535); -1 to take the header's
     * @param columns Columns of the image, likewise
     */
    static int[] decode(byte[] jpeg, int rows, int columns) throws UnsupportedCoding, DicomFormatException {
        try {
            JpegLosslessDecoder decoder = new JpegLosslessDecoder(jpeg);
            decoder.expectedLines = rows;
            decoder.expectedWidth = columns;
            return decoder.run();
        } catch (ArrayIndexOutOfBoundsException e) {
            throw new DicomFormatException("lossless JPEG data ends early or is corrupt", e);
        }
    }

    private int[] run() throws UnsupportedCoding, DicomFormatException {
        if (u16() != 0xFFD8) {
            throw new DicomFormatException("not a JPEG stream (no SOI marker)");
        }
        while (true) {
            int marker = nextMarker();
            int length = u16();
            int end = pos + length - 2;
            switch (marker) {
                case 0xFFC3 -> frameHeader();
                case 0xFFC4 -> {
                    while (pos < end) {
                        huffmanTable();
                    }
                }
                case 0xFFDD -> restartInterval = u16();
                case 0xFFDA -> {
                    return scan();
                }
                default -> {
                    if (marker >= 0xFFC0 && marker <= 0xFFCF && marker != 0xFFC4 && marker != 0xFFC8 && marker != 0xFFCC) {
                        throw new UnsupportedCoding(String.format("JPEG process of marker %04X", marker));
                    }
                    if (marker == 0xFFCC) {
                        throw new UnsupportedCoding("arithmetic coding");
                    }
                }
            }
            pos = end;
        }
    }

    private void frameHeader() throws UnsupportedCoding {
        precision = data[pos++] & 0xff;
        lines = u16();
        width = u16();
        int components = data[pos++] & 0xff;
        if (components != 1) {
            throw new UnsupportedCoding(components + " components");
        }
        pos += 3;
    }

    private void huffmanTable() throws UnsupportedCoding {
        int tcTh = data[pos++] & 0xff;
        if (tcTh >> 4 != 0 || (tcTh & 15) > 3) {
            throw new UnsupportedCoding("Huffman table class/id " + tcTh);
        }
        int[] counts = new int[17];
        int total = 0;
        for (int i = 1; i <= 16; i++) {
            counts[i] = data[pos++] & 0xff;
            total += counts[i];
        }
        int[] symbols = new int[total];
        for (int i = 0; i < total; i++) {
            symbols[i] = data[pos++] & 0xff;
        }
        tables[tcTh & 15] = new HuffmanTable(counts, symbols);
    }

    private int[] scan() throws UnsupportedCoding, DicomFormatException {
        if (precision == 0 || width == 0) {
            throw new DicomFormatException("lossless JPEG without a SOF3 frame header");
        }
        int components = data[pos++] & 0xff;
        if (components != 1) {
            throw new UnsupportedCoding(components + " components in the scan");
        }
        pos++; // component selector
        HuffmanTable table = tables[(data[pos++] & 0xff) >> 4];
        int predictor = data[pos++] & 0xff;
        pos++; // Se
        int pointTransform = data[pos++] & 0x0f;
        if (table == null || predictor < 1 || predictor > 7) {
            throw new DicomFormatException("lossless JPEG scan without its Huffman table or with predictor " + predictor);
        }
        if (lines == 0) {
            throw new UnsupportedCoding("number of lines given by a DNL marker");
        }
        if (restartInterval != 0) {
            throw new UnsupportedCoding("restart interval of " + restartInterval + " samples");
        }
        if (expectedLines >= 0 && (lines != expectedLines || width != expectedWidth)) {
            throw new DicomLimitException("the lossless JPEG frame is " + width + " x " + lines
                    + ", Columns x Rows is " + expectedWidth + " x " + expectedLines);
        }
        int mask = (1 << 16) - 1;
        int first = 1 << (precision - pointTransform - 1);
        int[] out = new int[Math.multiplyExact(lines, width)];
        BitReader bits = new BitReader();
        for (int y = 0; y < lines; y++) {
            int row = y * width;
            for (int x = 0; x < width; x++) {
                int prediction;
                if (y == 0) {
                    // the first line: its first sample from the precision, the others from the left (H.1.2.1)
                    prediction = x == 0 ? first : out[row + x - 1];
                } else if (x == 0) {
                    prediction = out[row - width];
                } else {
                    int a = out[row + x - 1];
                    int b = out[row - width + x];
                    int c = out[row - width + x - 1];
                    prediction = switch (predictor) {
                        case 1 -> a;
                        case 2 -> b;
                        case 3 -> c;
                        case 4 -> a + b - c;
                        case 5 -> a + ((b - c) >> 1);
                        case 6 -> b + ((a - c) >> 1);
                        default -> (a + b) >> 1;
                    };
                }
                out[row + x] = (prediction + bits.difference(table)) & mask;
            }
        }
        bits.checkNotPastTheData();
        if (pointTransform > 0) {
            for (int i = 0; i < out.length; i++) {
                out[i] <<= pointTransform;
            }
        }
        return out;
    }

    private int nextMarker() throws DicomFormatException {
        while (pos + 1 < data.length) {
            if ((data[pos] & 0xff) == 0xFF && (data[pos + 1] & 0xff) != 0xFF && (data[pos + 1] & 0xff) != 0) {
                int marker = u16();
                if (marker == 0xFFD9) {
                    throw new DicomFormatException("lossless JPEG ends (EOI) before its scan");
                }
                return marker;
            }
            pos++;
        }
        throw new DicomFormatException("lossless JPEG ends before its scan");
    }

    private int u16() {
        int v = (data[pos] & 0xff) << 8 | data[pos + 1] & 0xff;
        pos += 2;
        return v;
    }

    /** Canonical Huffman codes (T.81 Annex C), with a table for codes up to LOOKAHEAD bits long. */
    private static final class HuffmanTable {
        final int[] maxCode = new int[18];
        final int[] valueOffset = new int[17];
        final int[] symbols;
        /** For each LOOKAHEAD-bit prefix: (code length << 8) | symbol, or 0 when the code is longer. */
        final int[] fast = new int[1 << LOOKAHEAD];

        HuffmanTable(int[] counts, int[] symbols) {
            this.symbols = symbols;
            int code = 0;
            int k = 0;
            for (int length = 1; length <= 16; length++) {
                valueOffset[length] = k - code;
                for (int i = 0; i < counts[length]; i++, k++, code++) {
                    if (length <= LOOKAHEAD) {
                        int shift = LOOKAHEAD - length;
                        for (int j = 0; j < 1 << shift; j++) {
                            fast[(code << shift) | j] = length << 8 | symbols[k];
                        }
                    }
                }
                maxCode[length] = counts[length] == 0 ? -1 : code - 1;
                code <<= 1;
            }
            maxCode[17] = Integer.MAX_VALUE;
        }
    }

    /** The entropy-coded bits after the scan header: byte stuffing undone, stops at a marker. */
    private final class BitReader {
        private long buffer;
        private int count;
        /** Zero bytes fed in place of data at a marker or the end: the scan may not consume any of them. */
        private int padding;

        private void fill() {
            while (count <= 56) {
                int b = 0;
                if (pos < data.length) {
                    b = data[pos] & 0xff;
                    if (b == 0xFF) {
                        int next = pos + 1 < data.length ? data[pos + 1] & 0xff : 0xD9;
                        if (next == 0) {
                            pos += 2;
                        } else {
                            b = 0; // a marker: the scan's data ends here
                            padding++;
                        }
                    } else {
                        pos++;
                    }
                } else {
                    padding++;
                }
                buffer |= (long) b << (56 - count);
                count += 8;
            }
        }

        private int bits(int n) {
            if (count < n) {
                fill();
            }
            int v = (int) (buffer >>> (64 - n));
            buffer <<= n;
            count -= n;
            return v;
        }

        private int category(HuffmanTable t) throws DicomFormatException {
            if (count < 16) {
                fill();
            }
            int entry = t.fast[(int) (buffer >>> (64 - LOOKAHEAD))];
            if (entry != 0) {
                bits(entry >> 8);
                return entry & 0xff;
            }
            int code = bits(1);
            int length = 1;
            while (code > t.maxCode[length]) {
                code = code << 1 | bits(1);
                if (++length > 16) {
                    throw new DicomFormatException("invalid Huffman code in lossless JPEG data");
                }
            }
            return t.symbols[code + t.valueOffset[length]];
        }

        /** One difference: its category's code, then that many bits (T.81 H.1.2.2; category 16 is 32768). */
        int difference(HuffmanTable t) throws DicomFormatException {
            int ssss = category(t);
            if (ssss == 0) {
                return 0;
            }
            if (ssss == 16) {
                return 32768;
            }
            int v = bits(ssss);
            return v < 1 << (ssss - 1) ? v - (1 << ssss) + 1 : v;
        }

        /** The scan's codes ended before its data did, not after (a truncated or corrupt stream). */
        void checkNotPastTheData() throws DicomFormatException {
            if (padding * 8 > count) {
                throw new DicomFormatException("lossless JPEG data ends early or is corrupt: "
                        + (padding * 8 - count) + " bits missing");
            }
        }
    }
}
