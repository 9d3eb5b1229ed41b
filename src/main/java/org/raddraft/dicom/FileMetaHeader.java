package org.raddraft.dicom;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.TagFromName;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What the Part 10 file meta information (group 0002) of a spooled instance says about how it
 * arrived: the transfer syntax it was received in, and the calling AE that RadDraft wrote as Source
 * Application Entity Title. Start-up recovery uses it to index a file whose row was lost with the
 * same values the receiver would have recorded.
 */
public record FileMetaHeader(String transferSyntaxUid, String sourceAeTitle) {

    /** @throws DicomFormatException when the file has no readable Part 10 meta header */
    public static FileMetaHeader read(Path part10File) throws DicomFormatException {
        AttributeList meta = new AttributeList();
        try {
            meta.readOnlyMetaInformationHeader(part10File.toFile());
        } catch (IOException | DicomException | RuntimeException e) {
            throw DicomFormatException.unreadable("no readable Part 10 meta header", e);
        } catch (StackOverflowError | OutOfMemoryError e) {
            throw DicomLimitException.exhausted("Part 10 meta header", e);
        }
        String ts = Attribute.getSingleStringValueOrNull(meta, TagFromName.TransferSyntaxUID);
        if (ts == null || ts.isBlank()) {
            throw new DicomFormatException("Part 10 meta header without Transfer Syntax UID (0002,0010)");
        }
        String ae = Attribute.getSingleStringValueOrNull(meta, TagFromName.SourceApplicationEntityTitle);
        return new FileMetaHeader(ts.trim(), ae == null || ae.isBlank() ? null : ae.trim());
    }

    /**
     * Whether two Part 10 files hold the same data set, byte for byte, in the same transfer syntax; their
     * meta headers may differ (the receiver writes the calling AE there).
     */
    public static boolean sameDataSet(Path a, Path b) throws IOException {
        DataSetWalker.Meta ma = DataSetWalker.meta(a);
        DataSetWalker.Meta mb = DataSetWalker.meta(b);
        if (ma == null || mb == null) { // not Part 10 (as written by tests): the same bytes or not
            return ma == null && mb == null && java.nio.file.Files.mismatch(a, b) == -1;
        }
        if (!ma.transferSyntax().equals(mb.transferSyntax())) {
            return false;
        }
        try (var ca = java.nio.channels.FileChannel.open(a); var cb = java.nio.channels.FileChannel.open(b)) {
            if (ca.size() - ma.dataSetStart() != cb.size() - mb.dataSetStart()) {
                return false;
            }
            ca.position(ma.dataSetStart());
            cb.position(mb.dataSetStart());
            java.nio.ByteBuffer ba = java.nio.ByteBuffer.allocate(64 * 1024);
            java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(64 * 1024);
            while (true) {
                ba.clear();
                bb.clear();
                int na = fill(ca, ba);
                int nb = fill(cb, bb);
                if (na != nb || !ba.flip().equals(bb.flip())) {
                    return false;
                }
                if (na == 0) {
                    return true;
                }
            }
        }
    }

    private static int fill(java.nio.channels.FileChannel ch, java.nio.ByteBuffer buffer) throws IOException {
        int n = 0;
        while (buffer.hasRemaining()) {
            int r = ch.read(buffer);
            if (r < 0) {
                break;
            }
            n += r;
        }
        return n;
    }
}
