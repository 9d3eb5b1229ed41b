package org.raddraft.dicom;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.TagFromName;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The attributes of a received instance that later stages need (no patient name or ID on purpose).
 * Absent or empty strings are null; absent Rows/Columns are 0.
 */
public record DicomAttributes(String studyInstanceUid, String seriesInstanceUid, String sopInstanceUid,
                              String sopClassUid, String modality, String bodyPartExamined, String viewPosition,
                              String studyDescription, String seriesDescription, String patientAge,
                              String patientBirthDate, String studyDate, String accessionNumber,
                              String photometricInterpretation, int rows, int columns) {

    /**
     * Reads a Part 10 file up to (not including) Pixel Data and checks that it has Study, Series and
     * SOP Instance UIDs and a SOP Class UID. Used for every received instance and to re-index the
     * spool at start-up.
     *
     * @throws DicomFormatException with a reason fit for an Error Comment when the file is not
     *                              DICOM, is truncated before Pixel Data, or lacks a UID
     */
    public static DicomAttributes read(Path part10File) throws DicomFormatException {
        return of(parse(part10File, TagFromName.PixelData));
    }

    /**
     * Reads the whole file, Pixel Data included but not decompressed, so that a truncated data set is
     * caught too; image storage classes must have Pixel Data.
     */
    public static DicomAttributes readComplete(Path part10File) throws DicomFormatException {
        AttributeList list = parse(part10File, null);
        DicomAttributes attributes = of(list);
        // PixelMed logs and drops an attribute it cannot finish reading instead of failing, so a data
        // set truncated anywhere shows up as missing Pixel Data (the last attribute)
        requirePixelDataOfImage(attributes, list.get(TagFromName.PixelData) != null);
        return attributes;
    }

    /** Image storage classes must have Pixel Data. */
    static void requirePixelDataOfImage(DicomAttributes attributes, boolean hasPixelData) throws DicomFormatException {
        boolean image = AcceptedSopClass.of(attributes.sopClassUid()).map(AcceptedSopClass::isStorage).orElse(true);
        if (image && !hasPixelData) {
            throw new DicomFormatException("Pixel Data (7FE0,0010) missing or truncated");
        }
    }

    static DicomAttributes of(AttributeList list) throws DicomFormatException {
        DicomAttributes a = new DicomAttributes(
                string(list, TagFromName.StudyInstanceUID),
                string(list, TagFromName.SeriesInstanceUID),
                string(list, TagFromName.SOPInstanceUID),
                string(list, TagFromName.SOPClassUID),
                string(list, TagFromName.Modality),
                string(list, TagFromName.BodyPartExamined),
                string(list, TagFromName.ViewPosition),
                string(list, TagFromName.StudyDescription),
                string(list, TagFromName.SeriesDescription),
                string(list, TagFromName.PatientAge),
                string(list, TagFromName.PatientBirthDate),
                string(list, TagFromName.StudyDate),
                string(list, TagFromName.AccessionNumber),
                string(list, TagFromName.PhotometricInterpretation),
                Attribute.getSingleIntegerValueOrDefault(list, TagFromName.Rows, 0),
                Attribute.getSingleIntegerValueOrDefault(list, TagFromName.Columns, 0));
        require(a.studyInstanceUid, "Study Instance UID (0020,000D)");
        require(a.seriesInstanceUid, "Series Instance UID (0020,000E)");
        require(a.sopInstanceUid, "SOP Instance UID (0008,0018)");
        require(a.sopClassUid, "SOP Class UID (0008,0016)");
        return a;
    }

    static AttributeList parse(Path file, AttributeTag stopAt) throws DicomFormatException {
        AttributeList list = new AttributeList();
        list.setDecompressPixelData(false);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 64 * 1024);
             DicomInputStream din = new DicomInputStream(in)) {
            if (!din.haveMetaHeader()) {
                throw new DicomFormatException("not a DICOM Part 10 file (no DICM preamble)");
            }
            if (stopAt == null) {
                list.read(din);
            } else {
                list.read(din, stopAt);
            }
        } catch (IOException | DicomException | RuntimeException e) {
            throw new DicomFormatException("cannot parse data set: " + reason(e), e);
        }
        return list;
    }

    private static String reason(Exception e) {
        String m = e.getMessage();
        String name = e.getClass().getSimpleName();
        return m == null || m.isBlank() ? name : name + " " + m;
    }

    private static void require(String value, String what) throws DicomFormatException {
        if (value == null) {
            throw new DicomFormatException(what + " missing");
        }
    }

    private static String string(AttributeList list, AttributeTag tag) {
        String v = Attribute.getSingleStringValueOrNull(list, tag);
        if (v == null) {
            return null;
        }
        v = v.trim();
        return v.isEmpty() ? null : v;
    }
}
