package org.raddraft.dicom;

/**
 * Decodes one frame of DICOM RLE Lossless (PS3.5 Annex G, transfer syntax 1.2.840.10008.1.2.5) with one
 * sample per pixel: a header of segment offsets, then one PackBits segment per byte of the sample,
 * most significant byte first. PixelMed takes half a second or more for a 2048 x 2048 frame.
 */
final class RleDecoder {

    private RleDecoder() {
    }

    /**
     * @return the samples, row by row, as unsigned values of {@code bitsAllocated} (8 or 16) bits
     * @throws UnsupportedCoding for more than one sample per pixel (the caller falls back to PixelMed)
     */
    static int[] decode(byte[] frame, int pixels, int bitsAllocated)
            throws DicomFormatException, UnsupportedCoding {
        if (frame.length < 64) {
            throw new DicomFormatException("RLE frame shorter than its 64-byte header");
        }
        int segments = int32(frame, 0);
        int bytesPerSample = bitsAllocated / 8;
        if (segments != bytesPerSample) {
            throw new UnsupportedCoding("RLE with " + segments + " segments for " + bitsAllocated
                    + "-bit samples");
        }
        int[] out = new int[pixels];
        for (int s = 0; s < segments; s++) {
            int start = int32(frame, 4 + 4 * s);
            int end = s + 1 < segments ? int32(frame, 8 + 4 * s) : frame.length;
            if (start < 64 || start > end || end > frame.length) {
                throw new DicomFormatException("RLE segment " + (s + 1) + " offsets out of the frame");
            }
            int shift = 8 * (segments - 1 - s);
            unpack(frame, start, end, out, shift);
        }
        return out;
    }

    /** PackBits: n >= 0 copies the next n + 1 bytes, -127..-1 repeats the next byte 1 - n times, -128 is nothing. */
    private static void unpack(byte[] in, int from, int to, int[] out, int shift) throws DicomFormatException {
        int i = from;
        int o = 0;
        while (i < to && o < out.length) {
            int n = in[i++];
            if (n >= 0) {
                int copy = Math.min(n + 1, Math.min(to - i, out.length - o));
                for (int k = 0; k < copy; k++) {
                    out[o++] |= (in[i++] & 0xff) << shift;
                }
            } else if (n != -128) {
                if (i >= to) {
                    break;
                }
                int v = (in[i++] & 0xff) << shift;
                int repeat = Math.min(1 - n, out.length - o);
                for (int k = 0; k < repeat; k++) {
                    out[o++] |= v;
                }
            }
        }
        if (o < out.length) {
            throw new DicomFormatException("RLE segment holds " + o + " of the frame's " + out.length + " bytes");
        }
    }

    private static int int32(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }
}
