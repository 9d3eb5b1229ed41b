package org.raddraft.dicom;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.TransferSyntax;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * What a delivered report copies from its study's first instance, kept in the database
 * ({@code instance.source_header}) when the purge removes the image: the Patient, Patient Study and
 * General Study attributes the DICOM SR copies ({@link StructuredReportWriter}), the Patient Module
 * (HL7 PID, FHIR subject), Institution Name, the character set and the instance's identity. A
 * header-only Part 10 data set (Explicit VR Little Endian), base64. Patient data: never logged.
 */
public final class SourceHeader {

    private static final Set<AttributeTag> KEPT = kept();

    private SourceHeader() {
    }

    private static Set<AttributeTag> kept() {
        Set<AttributeTag> t = new LinkedHashSet<>(java.util.List.of(TagFromName.SpecificCharacterSet,
                TagFromName.SOPClassUID, TagFromName.SOPInstanceUID, TagFromName.StudyInstanceUID,
                TagFromName.SeriesInstanceUID, TagFromName.InstitutionName));
        t.addAll(StructuredReportWriter.COPIED.keySet());
        return Set.copyOf(t);
    }

    /** The kept attributes of a spool file, ready for the database. */
    public static String capture(Path part10File) throws DicomFormatException {
        AttributeList source = DicomAttributes.parse(part10File, TagFromName.PixelData);
        AttributeList kept = new AttributeList();
        for (AttributeTag tag : KEPT) {
            Attribute a = source.get(tag);
            if (a != null) {
                kept.put(a);
            }
        }
        try {
            FileMetaInformation.addFileMetaInformation(kept, TransferSyntax.ExplicitVRLittleEndian, "RADDRAFT");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            kept.write(out, TransferSyntax.ExplicitVRLittleEndian, true, true);
            return Base64.getEncoder().encodeToString(out.toByteArray());
        } catch (IOException | DicomException | RuntimeException e) {
            throw DicomFormatException.unreadable("cannot keep the header", e);
        }
    }

    /** The Patient Module of a kept header. */
    public static PatientModule patient(String header) throws DicomFormatException {
        return PatientModule.of(DicomAttributes.parse(decode(header)));
    }

    /** Writes a kept header as a Part 10 file: the source a DICOM SR is made from once the image is gone. */
    public static void write(String header, Path file) throws IOException, DicomFormatException {
        Files.write(file, decode(header));
    }

    /**
     * The Patient Module of a study's first instance: from its spool file while it is there, else from
     * the header the purge kept ({@code header} null: the file is read and its absence is the error).
     */
    public static PatientModule patientOf(Path spoolFile, String header) throws DicomFormatException {
        if (header != null && !Files.exists(spoolFile)) {
            return patient(header);
        }
        return PatientModule.read(spoolFile);
    }

    private static byte[] decode(String header) throws DicomFormatException {
        try {
            return Base64.getDecoder().decode(header);
        } catch (IllegalArgumentException e) {
            throw new DicomFormatException("the kept header is not base64");
        }
    }
}
