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
            throw new DicomFormatException("no readable Part 10 meta header: " + e.getMessage());
        }
        String ts = Attribute.getSingleStringValueOrNull(meta, TagFromName.TransferSyntaxUID);
        if (ts == null || ts.isBlank()) {
            throw new DicomFormatException("Part 10 meta header without Transfer Syntax UID (0002,0010)");
        }
        String ae = Attribute.getSingleStringValueOrNull(meta, TagFromName.SourceApplicationEntityTitle);
        return new FileMetaHeader(ts.trim(), ae == null || ae.isBlank() ? null : ae.trim());
    }
}
