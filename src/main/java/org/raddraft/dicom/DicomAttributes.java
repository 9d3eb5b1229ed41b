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
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.function.IntUnaryOperator;

/**
 * The attributes of a received instance that later stages need. Absent or empty strings are null;
 * absent Rows/Columns are 0. The patient's identity (ID, issuer, name, sex) is for the reports sent
 * back (FHIR subject, HL7 PID, SR patient module) and is never logged: {@link #toString()} leaves it out.
 */
public record DicomAttributes(String studyInstanceUid, String seriesInstanceUid, String sopInstanceUid,
                              String sopClassUid, String modality, String bodyPartExamined, String viewPosition,
                              String studyDescription, String seriesDescription, String patientAge,
                              String patientBirthDate, String studyDate, String accessionNumber,
                              String photometricInterpretation, int rows, int columns, String patientId,
                              String issuerOfPatientId, String patientName, String patientSex,
                              String manufacturer) {

    /** Without the equipment's Manufacturer (0008,0070). */
    public DicomAttributes(String studyInstanceUid, String seriesInstanceUid, String sopInstanceUid,
                           String sopClassUid, String modality, String bodyPartExamined, String viewPosition,
                           String studyDescription, String seriesDescription, String patientAge,
                           String patientBirthDate, String studyDate, String accessionNumber,
                           String photometricInterpretation, int rows, int columns, String patientId,
                           String issuerOfPatientId, String patientName, String patientSex) {
        this(studyInstanceUid, seriesInstanceUid, sopInstanceUid, sopClassUid, modality, bodyPartExamined, viewPosition,
                studyDescription, seriesDescription, patientAge, patientBirthDate, studyDate, accessionNumber,
                photometricInterpretation, rows, columns, patientId, issuerOfPatientId, patientName, patientSex, null);
    }

    /** Without the patient's identity (tests and callers that have none). */
    public DicomAttributes(String studyInstanceUid, String seriesInstanceUid, String sopInstanceUid,
                           String sopClassUid, String modality, String bodyPartExamined, String viewPosition,
                           String studyDescription, String seriesDescription, String patientAge,
                           String patientBirthDate, String studyDate, String accessionNumber,
                           String photometricInterpretation, int rows, int columns) {
        this(studyInstanceUid, seriesInstanceUid, sopInstanceUid, sopClassUid, modality, bodyPartExamined, viewPosition,
                studyDescription, seriesDescription, patientAge, patientBirthDate, studyDate, accessionNumber,
                photometricInterpretation, rows, columns, null, null, null, null);
    }

    /** UIDs only: what a log line may carry. */
    @Override
    public String toString() {
        return "DicomAttributes[study=" + studyInstanceUid + ", series=" + seriesInstanceUid + ", sop=" + sopInstanceUid
                + ", class=" + sopClassUid + "]";
    }

    /**
     * Reads a Part 10 file up to (not including) Pixel Data and checks that it has Study, Series and
     * SOP Instance UIDs and a SOP Class UID. Used to re-index the spool at start-up, and for a
     * received instance whose character set {@link #fromValues} leaves to PixelMed.
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

    // the attributes, as tags (group << 16 | element), in the order of the record's components
    private static final int[] STRING_TAGS = {0x0020000D, 0x0020000E, 0x00080018, 0x00080016, 0x00080060,
        0x00180015, 0x00185101, 0x00081030, 0x0008103E, 0x00101010, 0x00100030, 0x00080020, 0x00080050,
        0x00280004, 0x00100020, 0x00100021, 0x00100010, 0x00100040, 0x00080070};
    private static final int ROWS = 0x00280010;
    private static final int COLUMNS = 0x00280011;
    private static final int SPECIFIC_CHARACTER_SET = 0x00080005;
    /** The elements whose values {@link #fromValues} needs. */
    static final Set<Integer> TAGS = tags();

    private static Set<Integer> tags() {
        Set<Integer> tags = new HashSet<>();
        for (int t : STRING_TAGS) {
            tags.add(t);
        }
        tags.addAll(List.of(ROWS, COLUMNS, SPECIFIC_CHARACTER_SET));
        return Set.copyOf(tags);
    }

    static DicomAttributes of(AttributeList list) throws DicomFormatException {
        return of(tag -> string(list, new AttributeTag(tag >>> 16, tag & 0xffff)),
                tag -> Attribute.getSingleIntegerValueOrDefault(list, new AttributeTag(tag >>> 16, tag & 0xffff), 0));
    }

    /**
     * The attributes from the raw little endian values of top-level elements, by tag, as
     * {@link DataSetWalker} keeps them while the data set streams to disk; null when the Specific
     * Character Set is one that only PixelMed decodes (anything but the default repertoire, Latin-1
     * and UTF-8), so the caller parses the file instead. Strings are read as PixelMed reads them: the
     * first of several values, without padding.
     */
    static DicomAttributes fromValues(Map<Integer, byte[]> values) throws DicomFormatException {
        Charset charset = simpleCharset(values.get(SPECIFIC_CHARACTER_SET));
        if (charset == null || charset == StandardCharsets.US_ASCII && !allAscii(values)) {
            return null;
        }
        return of(tag -> firstValue(values.get(tag), charset), tag -> unsignedShort(values.get(tag)));
    }

    private static DicomAttributes of(IntFunction<String> string, IntUnaryOperator unsignedShort)
            throws DicomFormatException {
        String[] s = new String[STRING_TAGS.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = string.apply(STRING_TAGS[i]);
        }
        DicomAttributes a = new DicomAttributes(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10],
                s[11], s[12], s[13], unsignedShort.applyAsInt(ROWS), unsignedShort.applyAsInt(COLUMNS), s[14], s[15],
                s[16], s[17], s[18]);
        require(a.studyInstanceUid, "Study Instance UID (0020,000D)");
        require(a.seriesInstanceUid, "Series Instance UID (0020,000E)");
        require(a.sopInstanceUid, "SOP Instance UID (0008,0018)");
        require(a.sopClassUid, "SOP Class UID (0008,0016)");
        return a;
    }

    private static Charset simpleCharset(byte[] specificCharacterSet) {
        String cs = specificCharacterSet == null ? ""
                : new String(specificCharacterSet, StandardCharsets.US_ASCII).replace('\0', ' ').trim();
        return switch (cs) {
            case "", "ISO_IR 6" -> StandardCharsets.US_ASCII;
            case "ISO_IR 100" -> StandardCharsets.ISO_8859_1;
            case "ISO_IR 192" -> StandardCharsets.UTF_8;
            default -> null;
        };
    }

    /** Bytes beyond ASCII without a declared character set: left to PixelMed's leniency. */
    private static boolean allAscii(Map<Integer, byte[]> values) {
        for (byte[] v : values.values()) {
            for (byte b : v) {
                if (b < 0) {
                    return false;
                }
            }
        }
        return true;
    }

    private static String firstValue(byte[] value, Charset charset) {
        if (value == null) {
            return null;
        }
        String v = new String(value, charset);
        int backslash = v.indexOf('\\');
        v = (backslash < 0 ? v : v.substring(0, backslash)).replace('\0', ' ').trim();
        return v.isEmpty() ? null : v;
    }

    private static int unsignedShort(byte[] value) {
        return value == null || value.length < 2 ? 0 : (value[0] & 0xff) | ((value[1] & 0xff) << 8);
    }

    /**
     * PixelMed's parse of a Part 10 file, after {@link DataSetWalker#screen} refused sequences nested
     * too deeply for it; should it still run out of stack or memory, the file is refused
     * ({@link DicomLimitException}) and the JVM goes on.
     */
    static AttributeList parse(Path file, AttributeTag stopAt) throws DicomFormatException {
        DataSetWalker.screen(file);
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
            throw DicomFormatException.unreadable("cannot parse data set", e);
        } catch (StackOverflowError | OutOfMemoryError e) {
            throw DicomLimitException.exhausted("data set", e);
        }
        return list;
    }

    /** PixelMed's parse of a Part 10 data set RadDraft wrote itself ({@link SourceHeader}): no Pixel Data, no deep nesting. */
    static AttributeList parse(byte[] part10) throws DicomFormatException {
        AttributeList list = new AttributeList();
        try (DicomInputStream din = new DicomInputStream(new java.io.ByteArrayInputStream(part10))) {
            list.read(din);
        } catch (IOException | DicomException | RuntimeException e) {
            throw DicomFormatException.unreadable("cannot parse the kept header", e);
        }
        return list;
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
