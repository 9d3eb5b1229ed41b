package org.raddraft.dicom;

import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomDictionary;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Follows the element structure of a little endian data set (PS3.5 section 7) as it streams to disk,
 * reading element headers and skipping values, so that a received data set is known to be complete
 * and well formed without parsing it again from the file: it must end exactly after an element at
 * the top level, with every sequence and item closed where its length or delimiter says, and every
 * explicit VR must be a VR. Values are skipped, except those of the top-level elements asked for in
 * the constructor (small ones: the attributes the SCP indexes), which are kept as they pass, so the
 * file need not be parsed again ({@link DicomAttributes#fromValues}).
 *
 * <p>Sequences and items are followed whatever their length: undefined lengths item by item, defined
 * lengths too (a sequence is known by its VR SQ, or in Implicit VR by the data dictionary, as PixelMed
 * knows it), and each element must end within the item or sequence that holds it. Sequences may nest
 * at most {@link #MAX_NESTING} deep: parsers that recurse (PixelMed's) overflow the stack on a few
 * thousand levels, and no image object needs more than a handful. Encapsulated Pixel Data fragments
 * are skipped whole. The walker itself keeps an explicit stack and never recurses.
 */
final class DataSetWalker {

    /** Deepest nesting of sequences accepted (PS3.5 sets none; real image objects use fewer than 10). */
    static final int MAX_NESTING = 64;

    private static final int UNDEFINED_LENGTH = 0xFFFFFFFF;
    private static final int ITEM = 0xFFFEE000;
    private static final int ITEM_DELIMITATION = 0xFFFEE00D;
    private static final int SEQUENCE_DELIMITATION = 0xFFFEE0DD;
    private static final int PIXEL_DATA = 0x7FE00010;
    private static final long UNDEFINED = -1;
    /** Longer values of the elements to keep are not kept (no attribute the SCP needs is this long). */
    private static final int MAX_KEPT_LENGTH = 1024;

    private enum Kind { SEQUENCE, ITEM, FRAGMENTS }

    /**
     * What encloses the next element header: a sequence (items follow), an item's data set, or the
     * fragments of encapsulated Pixel Data; {@code end} is the data set offset it ends at, or
     * {@link #UNDEFINED} when a delimiter ends it.
     */
    private record Frame(Kind kind, boolean implicitVr, long end) {
    }

    private final Deque<Frame> open = new ArrayDeque<>();
    private final boolean implicitVr;
    private final Set<Integer> keep;
    private final Map<Integer, byte[]> kept = new HashMap<>();
    private byte[] keeping;
    private final byte[] header = new byte[12];
    private int headerBytes;
    private long valueRemaining;
    /** Bytes of the data set consumed so far. */
    private long position;
    private int sequences;
    private boolean pixelData;
    /** Whether the value being skipped is the top-level Pixel Data's. */
    private boolean inPixelData;
    private boolean tooDeep;
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
                position += n;
                offset += n;
                continue;
            }
            if (headerBytes == 0 && !closeEndedFrames()) {
                return;
            }
            int need = headerLength();
            int n = Math.min(need - headerBytes, end - offset);
            System.arraycopy(b, offset, header, headerBytes, n);
            headerBytes += n;
            position += n;
            offset += n;
            if (headerBytes == need && headerLength() == need) {
                element();
                headerBytes = 0;
            }
        }
    }

    /**
     * Value bytes the walker will skip next without looking at them (0 while it reads a header or
     * keeps a value): a reader of a file may seek past them and call {@link #skipped}.
     */
    long skippableValue() {
        return keeping == null ? valueRemaining : 0;
    }

    /** {@code n} bytes of {@link #skippableValue()} were passed over without {@link #accept}. */
    void skipped(long n) {
        if (n < 0 || n > skippableValue()) {
            throw new IllegalArgumentException("cannot skip " + n + " of " + skippableValue() + " value bytes");
        }
        valueRemaining -= n;
        position += n;
    }

    /** Whether the walker stopped at an error (nothing more it is given is looked at). */
    boolean failed() {
        return error != null;
    }

    /** Whether the data set nests sequences deeper than {@link #MAX_NESTING}. */
    boolean tooDeep() {
        return tooDeep;
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
        if (error == null && headerBytes == 0 && valueRemaining == 0) {
            closeEndedFrames();
        }
        if (error != null) {
            String message = "malformed data set: " + error;
            throw tooDeep ? new DicomLimitException(message) : new DicomFormatException(message);
        }
        if (headerBytes > 0 || valueRemaining > 0) {
            throw new DicomFormatException("data set truncated inside an element"
                    + (inPixelData && valueRemaining > 0 ? " (Pixel Data)" : ""));
        }
        if (!open.isEmpty()) {
            throw new DicomFormatException("data set truncated inside a sequence");
        }
    }

    /**
     * Pops the items and sequences of defined length that end here; false (with the error set) when
     * one ends while an undefined-length one inside it is still open.
     */
    private boolean closeEndedFrames() {
        while (!open.isEmpty()) {
            Frame f = open.peek();
            if (f.end == UNDEFINED) {
                if (position >= innermostEnd()) {
                    error = (f.kind == Kind.ITEM ? "item" : "sequence") + " of undefined length not closed"
                            + " where its enclosing item ends";
                    return false;
                }
                return true;
            }
            if (position < f.end) {
                return true;
            }
            pop();
        }
        return true;
    }

    /** Where the innermost enclosing item or sequence of defined length ends (Long.MAX_VALUE: none). */
    private long innermostEnd() {
        for (Frame f : open) {
            if (f.end != UNDEFINED) {
                return f.end;
            }
        }
        return Long.MAX_VALUE;
    }

    private void pop() {
        if (open.pop().kind == Kind.SEQUENCE) {
            sequences--;
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
        inPixelData = false;
        int tag = (u16(0) << 16) | u16(2);
        Frame frame = open.peek();
        boolean implicit = implicitHere() || isDelimiterGroup();
        int length = implicit || headerBytes == 12 ? u32(headerBytes - 4) : u16(6);
        if (position > innermostEnd()) {
            error = String.format("(%04X,%04X) crosses the end of its item", tag >>> 16, tag & 0xffff);
            return;
        }
        if (frame != null && frame.kind != Kind.ITEM) {
            if (tag == ITEM && frame.kind == Kind.FRAGMENTS) {
                value(tag, length);
            } else if (tag == ITEM) {
                enter(tag, length, Kind.ITEM, frame.implicitVr);
            } else if (tag == SEQUENCE_DELIMITATION && frame.end == UNDEFINED) {
                pop();
            } else {
                error = String.format("(%04X,%04X) where an item was expected", tag >>> 16, tag & 0xffff);
            }
            return;
        }
        if (tag == ITEM_DELIMITATION && frame != null && frame.end == UNDEFINED) {
            pop();
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
            inPixelData = true;
        }
        if (length == UNDEFINED_LENGTH) {
            // encapsulated Pixel Data holds fragments; anything else of undefined length a sequence, and an
            // undefined-length UN one encoded in Implicit VR (PS3.5 section 6.2.2)
            boolean ob = !implicit && header[4] == 'O' && (header[5] == 'B' || header[5] == 'W');
            boolean un = !implicit && header[4] == 'U' && header[5] == 'N';
            enter(tag, length, tag == PIXEL_DATA || ob ? Kind.FRAGMENTS : Kind.SEQUENCE, implicit || un);
            return;
        }
        if (implicit ? isSequenceInDictionary(tag) : header[4] == 'S' && header[5] == 'Q') {
            enter(tag, length, Kind.SEQUENCE, implicit);
            return;
        }
        if (frame == null && keep.contains(tag) && length >= 0 && length <= MAX_KEPT_LENGTH) {
            keeping = new byte[length];
            kept.put(tag, keeping);
        }
        value(tag, length);
    }

    /** A value of defined length, skipped; it must end within its enclosing item. */
    private void value(int tag, int length) {
        long size = length & 0xffffffffL;
        if (length == UNDEFINED_LENGTH || position + size > innermostEnd()) {
            error = String.format("(%04X,%04X) length %s overruns its item", tag >>> 16, tag & 0xffff,
                    length == UNDEFINED_LENGTH ? "undefined" : Long.toString(size));
            keeping = null;
            return;
        }
        valueRemaining = size;
    }

    /** Opens a sequence, item or fragment list, of defined length or not. */
    private void enter(int tag, int length, Kind kind, boolean implicit) {
        long end = length == UNDEFINED_LENGTH ? UNDEFINED : position + (length & 0xffffffffL);
        if (end != UNDEFINED && end > innermostEnd()) {
            error = String.format("(%04X,%04X) length %d overruns its item", tag >>> 16, tag & 0xffff,
                    length & 0xffffffffL);
            return;
        }
        if (kind == Kind.SEQUENCE && ++sequences > MAX_NESTING) {
            tooDeep = true;
            error = "sequences nested deeper than " + MAX_NESTING + " levels";
            return;
        }
        open.push(new Frame(kind, implicit, end));
    }

    /**
     * Walks the data set of a Part 10 file (Explicit or Implicit VR Little Endian, as its meta header
     * says; the values are seeked past, not read) before a parser that recurses sees it.
     *
     * @throws DicomLimitException when its sequences nest deeper than {@link #MAX_NESTING}; other
     *                             faults are left to the parser, which has its own wording for them
     */
    static void screen(Path part10File) throws DicomLimitException {
        try (FileChannel ch = FileChannel.open(part10File, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            Meta meta = meta(ch, buffer);
            if (meta == null) {
                return;
            }
            DataSetWalker walker = forTransferSyntax(meta.transferSyntax(), Set.of());
            ch.position(meta.dataSetStart());
            buffer.clear();
            while (!walker.failed()) {
                long skip = Math.min(walker.skippableValue(), ch.size() - ch.position());
                if (skip > buffer.capacity()) {
                    ch.position(ch.position() + skip);
                    walker.skipped(skip);
                }
                buffer.clear();
                int n = ch.read(buffer);
                if (n < 0) {
                    break;
                }
                walker.accept(buffer.array(), 0, n);
            }
            if (walker.tooDeep()) {
                throw new DicomLimitException("data set refused: sequences nested deeper than " + MAX_NESTING + " levels");
            }
        } catch (IOException e) {
            // unreadable: the parser reports it in its own words
        }
    }

    record Meta(long dataSetStart, String transferSyntax) {
    }

    /** Where a Part 10 file's data set starts and its transfer syntax; null when it does not look like Part 10. */
    static Meta meta(Path part10File) throws IOException {
        try (FileChannel ch = FileChannel.open(part10File, StandardOpenOption.READ)) {
            return meta(ch, ByteBuffer.allocate(64 * 1024));
        }
    }

    /**
     * Where the data set starts after the 128-byte preamble, "DICM" and group 0002 (Explicit VR
     * Little Endian, PS3.10 section 7.1), and its Transfer Syntax UID; null when the file does not
     * look like Part 10 or its meta header is not within the first {@code buffer} bytes.
     */
    private static Meta meta(FileChannel ch, ByteBuffer buffer) throws IOException {
        buffer.clear();
        while (buffer.hasRemaining() && ch.read(buffer) > 0) {
            // fill
        }
        buffer.flip();
        byte[] b = buffer.array();
        int limit = buffer.limit();
        if (limit < 132 || b[128] != 'D' || b[129] != 'I' || b[130] != 'C' || b[131] != 'M') {
            return null;
        }
        String ts = null;
        int at = 132;
        while (at + 8 <= limit && (b[at] & 0xff) == 0x02 && b[at + 1] == 0) {
            int element = (b[at + 2] & 0xff) | (b[at + 3] & 0xff) << 8;
            boolean longLength = hasLongLength(b[at + 4], b[at + 5]);
            if (longLength && at + 12 > limit) {
                return null;
            }
            long length = longLength ? (b[at + 8] & 0xffL) | (b[at + 9] & 0xffL) << 8 | (b[at + 10] & 0xffL) << 16
                    | (b[at + 11] & 0xffL) << 24 : (b[at + 6] & 0xff) | (b[at + 7] & 0xff) << 8;
            int value = at + (longLength ? 12 : 8);
            if (value + length > limit) {
                return null;
            }
            if (element == 0x0010) {
                ts = new String(b, value, (int) length, StandardCharsets.US_ASCII).replace('\0', ' ').trim();
            }
            at = value + (int) length;
        }
        return ts == null ? null : new Meta(at, ts);
    }

    /** How PixelMed reads an Implicit VR element: as a sequence when the dictionary says SQ. */
    private static boolean isSequenceInDictionary(int tag) {
        if ((tag >>> 16 & 1) == 1) {
            return false; // private: not in the dictionary
        }
        byte[] vr = DicomDictionary.StandardDictionary.getValueRepresentationFromTag(
                new AttributeTag(tag >>> 16, tag & 0xffff));
        return vr != null && vr.length == 2 && vr[0] == 'S' && vr[1] == 'Q';
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
