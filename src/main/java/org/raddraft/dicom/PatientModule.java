package org.raddraft.dicom;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.TagFromName;
import java.nio.file.Path;

/**
 * The DICOM Patient Module of a received instance, for the reports delivered to the RIS (HL7 PID,
 * FHIR Patient identifier). Patient data: it must never be logged. Absent or empty values are null.
 *
 * @param name      Patient's Name (0010,0010) as DICOM PN: {@code Family^Given^Middle^Prefix^Suffix}
 * @param id        Patient ID (0010,0020)
 * @param issuer    Issuer of Patient ID (0010,0021)
 * @param birthDate Patient's Birth Date (0010,0030), YYYYMMDD
 * @param sex       Patient's Sex (0010,0040): M, F or O
 */
public record PatientModule(String name, String id, String issuer, String birthDate, String sex) {

    /** Reads the module from a Part 10 file of the spool, up to (not including) Pixel Data. */
    public static PatientModule read(Path part10File) throws DicomFormatException {
        return of(DicomAttributes.parse(part10File, TagFromName.PixelData));
    }

    static PatientModule of(AttributeList list) {
        return new PatientModule(value(list, TagFromName.PatientName), value(list, TagFromName.PatientID),
                value(list, TagFromName.IssuerOfPatientID), value(list, TagFromName.PatientBirthDate),
                value(list, TagFromName.PatientSex));
    }

    /**
     * A DICOM PN value split into its five components (missing ones are empty strings, null is all
     * empty), from the alphabetic representation (before any '=' ideographic or phonetic group).
     */
    public static String[] nameComponents(String name) {
        String alphabetic = (name == null ? "" : name).split("=", -1)[0];
        String[] parts = alphabetic.split("\\^", -1);
        String[] five = new String[5];
        for (int i = 0; i < 5; i++) {
            five[i] = i < parts.length ? parts[i].trim() : "";
        }
        return five;
    }

    private static String value(AttributeList list, com.pixelmed.dicom.AttributeTag tag) {
        String v = Attribute.getSingleStringValueOrNull(list, tag);
        return v == null || v.isBlank() ? null : v.trim();
    }
}
