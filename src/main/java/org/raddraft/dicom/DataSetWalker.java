package org.raddraft.dicom;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Follows the element structure of a little endian data set (PS3.5 section 7) as it streams to disk,
 * reading element headers and skipping values, so that a received data set is known to be complete
 * and well formed without parsing it again from the file: it must end exactly after an element at
 * the top level, with every undefined-length sequence and item closed, and every explicit VR must be
 * a VR. Values are skipped, except those of the top-level elements asked for in the constructor
 * (small ones: the attributes the SCP indexes), which are kept as they pass, so the file need not be
 * parsed again ({@link DicomAttributes#fromValues}).
 *
 * <p>Values of defined length, sequences and items included, are skipped whole. Undefined lengths
 * (sequences, encapsulated Pixel Data, UN holding a sequence) are followed item by item.
 */
final class DataSetWalker {

    private static final int UNDEFINED_LENGTH = 0xFFFFFFFF;
    private static final int ITEM = 0xFFFEE000;
    private static final int ITEM_DELIMITATION = 0xFFFEE00D;
    private static final int SEQUENCE_DELIMITATION = 0xFFFEE0DD;
    private static final int PIXEL_DATA = 0x7FE00010;
    /** Longer values of the elements to keep are not kept (no attribute the SCP needs is this long). */
    private static final int MAX_KEPT_LENGTH = 1024;

    /** What encloses the next element header: an undefined-length sequence, or an item's data set. */
    private record Frame(boolean sequence, boolean implicitVr) {
    }

    private final Deque<Frame> open = new ArrayDeque<>();
    private final boolean implicitVr;
    private final Set<Integer> keep;
    private final Map<Integer, byte[]> kept = new HashMap<>();
    private byte[] keeping;
    private final byte[] header = new byte[12];
    private int headerBytes;
    private long valueRemaining;
    private boolean pixelData;
    private String error;

    /** @param keep tags (group << 16 | element) of the top-level elements whose values to keep */
    DataSetWalker(boolean implicitVr, Set<Integer> keep) {
        this.implicitVr = implicitVr;
        this.keep = keep;
    }

    static DataSetWalker forTransferSyntax(String transferSyntaxUid, Set<Integer> keep) {
        return new DataSetWalker(AcceptedTransferSyntax.IMPLICIT_VR_LITTLE_ENDIAN.uid().equals(transferSyntaxUid), keep);
    }

    void accept(byte[] b, int offset, int length) {
        int end = offset + length;
        while (offset < end && error == null) {
            if (valueRemaining > 0) {
                int n = (int) Math.min(valueRemaining, end - offset);
                if (keeping != null) {
                    System.arraycopy(b, offset, keeping, keeping.length - (int) valueRemaining, n);
                }
                valueRemaining -= n;
                offset += n;
                continue;
            }
            int need = headerLength();
            int n = Math.min(need - headerBytes, end - offset);
            System.arraycopy(b, offset, header, headerBytes, n);
            headerBytes += n;
            offset += n;
            if (headerBytes == need && headerLength() == need) {
                element();
                headerBytes = 0;
            }
        }
    }

    /** The values kept, by tag, of the top-level elements asked for; complete once the data set is. */
    Map<Integer, byte[]> keptValues() {
        return kept;
    }

    /** Whether a Pixel Data element was seen at the top level. */
    boolean sawPixelData() {
        return pixelData;
    }

    /** @throws DicomFormatException when the data set was malformed or ended inside an element */
    void checkComplete() throws DicomFormatException {
        if (error != null) {
            throw new DicomFormatException("malformed data set: " + error);
        }
        if (headerBytes > 0 || valueRemaining > 0) {
            throw new DicomFormatException("data set truncated inside an element"
                    + (pixelData && open.isEmpty() && valueRemaining > 0 ? " (Pixel Data)" : ""));
        }
        if (!open.isEmpty()) {
            throw new DicomFormatException("data set truncated inside a sequence");
        }
    }

    /**
     * Header length of the element being read, as far as the bytes so far tell: the tag first; then
     * tag and 32-bit length (implicit VR, items and delimiters); or the VR, and after it a 16-bit
     * length, or 2 reserved bytes and a 32-bit length.
     */
    private int headerLength() {
        if (headerBytes < 4) {
            return 4;
        }
        if (isDelimiterGroup() || implicitHere()) {
            return 8;
        }
        if (headerBytes < 6) {
            return 6;
        }
        return hasLongLength(header[4], header[5]) ? 12 : 8;
    }

    private boolean isDelimiterGroup() {
        return headerBytes >= 4 && (header[0] & 0xff) == 0xFE && (header[1] & 0xff) == 0xFF;
    }

    private boolean implicitHere() {
        Frame f = open.peek();
        return f == null ? implicitVr : f.implicitVr;
    }

    private void element() {
        keeping = null;
        int tag = (u16(0) << 16) | u16(2);
        Frame frame = open.peek();
        boolean implicit = implicitHere() || isDelimiterGroup();
        int length = implicit || headerBytes == 12 ? u32(headerBytes - 4) : u16(6);
        if (frame != null && frame.sequence) {
            if (tag == ITEM) {
                enter(length, new Frame(false, frame.implicitVr));
            } else if (tag == SEQUENCE_DELIMITATION) {
                open.pop();
            } else {
                error = String.format("(%04X,%04X) where an item was expected", tag >>> 16, tag & 0xffff);
            }
            return;
        }
        if (tag == ITEM_DELIMITATION && frame != null) {
            open.pop();
            return;
        }
        if (isDelimiterGroup()) {
            error = String.format("(%04X,%04X) outside a sequence", tag >>> 16, tag & 0xffff);
            return;
        }
        if (!implicit && !isVr(header[4], header[5])) {
            error = String.format("(%04X,%04X) has no valid VR", tag >>> 16, tag & 0xffff);
            return;
        }
        if (tag == PIXEL_DATA && frame == null) {
            pixelData = true;
        }
        if (frame == null && keep.contains(tag) && length >= 0 && length <= MAX_KEPT_LENGTH) {
            keeping = new byte[length];
            kept.put(tag, keeping);
        }
        // an undefined-length UN holds a sequence encoded in Implicit VR (PS3.5 section 6.2.2)
        boolean un = !implicit && header[4] == 'U' && header[5] == 'N';
        enter(length, new Frame(true, implicit || un));
    }

    /** A value of defined length is skipped; an undefined length opens {@code frame}. */
    private void enter(int length, Frame frame) {
        if (length == UNDEFINED_LENGTH) {
            open.push(frame);
        } else {
            valueRemaining = length & 0xffffffffL;
        }
    }

    private static boolean hasLongLength(byte a, byte b) {
        return switch ((char) a) {
            case 'O' -> b == 'B' || b == 'D' || b == 'F' || b == 'L' || b == 'V' || b == 'W';
            case 'S' -> b == 'Q' || b == 'V';
            case 'U' -> b == 'C' || b == 'N' || b == 'R' || b == 'T' || b == 'V';
            default -> false;
        };
    }

    private static boolean isVr(byte a, byte b) {
        return a >= 'A' && a <= 'Z' && b >= 'A' && b <= 'Z';
    }

    private int u16(int at) {
        return (header[at] & 0xff) | ((header[at + 1] & 0xff) << 8);
    }

    private int u32(int at) {
        return u16(at) | (u16(at + 2) << 16);
    }
}
