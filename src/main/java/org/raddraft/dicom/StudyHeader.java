package org.raddraft.dicom;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Whose study a radiologist is about to sign, and why it was done, as the review page's header shows
 * it: the Patient Module, Patient's Age, the study's date and description, and the indication from
 * the request. Patient data: never logged. Absent or empty values are null.
 *
 * @param patient      the Patient Module (name, ID, issuer, birth date as written, sex)
 * @param birthDate    Patient's Birth Date as DICOM DA (YYYYMMDD) when it is a valid date ({@link DicomDateTime}), else null
 * @param patientAge   Patient's Age (0010,1010), e.g. {@code 054Y}
 * @param studyDate    Study Date (0008,0020) as YYYYMMDD when valid, else null
 * @param studyDescription Study Description (0008,1030)
 * @param indications  the reasons for the study, in this order and without repeats: Reason for the Requested
 *                     Procedure (0040,1002), Reason for Study (0032,1030), Admitting Diagnoses Description
 *                     (0008,1080); (0040,1002) also from the Request Attributes Sequence (0040,0275)
 */
public record StudyHeader(PatientModule patient, String birthDate, String patientAge, String studyDate,
        String studyDescription, List<String> indications) {

    private static final AttributeTag REASON_FOR_REQUESTED_PROCEDURE = new AttributeTag(0x0040, 0x1002);
    private static final AttributeTag REASON_FOR_STUDY = new AttributeTag(0x0032, 0x1030);
    private static final AttributeTag ADMITTING_DIAGNOSES_DESCRIPTION = new AttributeTag(0x0008, 0x1080);
    private static final AttributeTag REQUEST_ATTRIBUTES_SEQUENCE = new AttributeTag(0x0040, 0x0275);

    /** Reads the header from a Part 10 file of the spool, up to (not including) Pixel Data. */
    public static StudyHeader read(Path part10File) throws DicomFormatException {
        AttributeList list = DicomAttributes.parse(part10File, TagFromName.PixelData);
        PatientModule patient = new PatientModule(value(list, TagFromName.PatientName), value(list, TagFromName.PatientID),
                value(list, TagFromName.IssuerOfPatientID), value(list, TagFromName.PatientBirthDate),
                value(list, TagFromName.PatientSex));
        return new StudyHeader(patient, DicomDateTime.date(patient.birthDate()), value(list, TagFromName.PatientAge),
                DicomDateTime.date(value(list, TagFromName.StudyDate)), value(list, TagFromName.StudyDescription),
                indications(list));
    }

    /**
     * The reasons for the study in {@code list}, in this order and without repeats: (0040,1002), also
     * from each item of the Request Attributes Sequence (0040,0275), (0032,1030), then each value of
     * (0008,1080). The one reading of the indication: the review page's header shows what a drafting
     * model is given ({@link DraftingContext}).
     */
    static List<String> indications(AttributeList list) {
        List<String> reasons = new ArrayList<>();
        add(reasons, value(list, REASON_FOR_REQUESTED_PROCEDURE));
        Attribute requests = list.get(REQUEST_ATTRIBUTES_SEQUENCE);
        if (requests instanceof SequenceAttribute seq) {
            for (int i = 0; i < seq.getNumberOfItems(); i++) {
                add(reasons, value(seq.getItem(i).getAttributeList(), REASON_FOR_REQUESTED_PROCEDURE));
            }
        }
        add(reasons, value(list, REASON_FOR_STUDY));
        String admitting = value(list, ADMITTING_DIAGNOSES_DESCRIPTION); // LO, multi-valued
        if (admitting != null) {
            for (String v : admitting.split("\\\\")) {
                add(reasons, v.isBlank() ? null : v.trim());
            }
        }
        return List.copyOf(reasons);
    }

    private static void add(List<String> reasons, String v) {
        if (v != null && !reasons.contains(v)) {
            reasons.add(v);
        }
    }

    private static String value(AttributeList list, AttributeTag tag) {
        try {
            Attribute a = list.get(tag);
            if (a == null) {
                return null;
            }
            String[] all = a.getStringValues();
            String v = all == null ? null : String.join("\\", all);
            return v == null || v.isBlank() ? null : v.trim();
        } catch (com.pixelmed.dicom.DicomException e) {
            return null;
        }
    }
}
