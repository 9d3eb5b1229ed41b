package org.raddraft.dicom;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.TagFromName;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a drafting model may read from an image's header besides its pixels, and what must never
 * leave the machine with it. Patient data: never log any of it.
 *
 * @param indication  the reason for the study, free text: the reasons the review page's header shows
 *                    ({@link StudyHeader#indications}: (0040,1002), also in the Request Attributes
 *                    Sequence, (0032,1030), each value of (0008,1080)) joined with "; " (null when
 *                    none). It can carry identifiers: scrub before use.
 * @param burnedIn    Burned In Annotation (0028,0301) is YES: the pixels show text (names, dates)
 * @param identifiers values that identify the patient or the study and must not leave the machine:
 *                    Patient's Name and its components, Patient ID, Other Patient IDs, Issuer, Birth
 *                    Date, Accession Number, Study ID, Study Date, Institution Name, Referring
 *                    Physician's Name (components); empty values left out
 */
public record DraftingContext(String indication, boolean burnedIn, List<String> identifiers) {

    private static final AttributeTag[] IDS = {TagFromName.PatientID, TagFromName.OtherPatientIDs,
            TagFromName.IssuerOfPatientID, TagFromName.PatientBirthDate, TagFromName.AccessionNumber,
            TagFromName.StudyID, TagFromName.StudyDate, TagFromName.InstitutionName};
    private static final AttributeTag[] NAMES = {TagFromName.PatientName, TagFromName.ReferringPhysicianName};

    public DraftingContext {
        identifiers = List.copyOf(identifiers);
    }

    /** Reads the header of a Part 10 file of the spool, up to (not including) Pixel Data. */
    public static DraftingContext read(Path part10File) throws DicomFormatException {
        AttributeList list = DicomAttributes.parse(part10File, TagFromName.PixelData);
        List<String> reasons = StudyHeader.indications(list);
        Set<String> ids = new LinkedHashSet<>();
        for (AttributeTag t : IDS) {
            Attribute a = list.get(t);
            if (a == null) {
                continue;
            }
            for (String v : valuesOf(a)) {
                if (!v.isBlank()) {
                    ids.add(v.strip());
                }
            }
        }
        for (AttributeTag t : NAMES) {
            String name = Attribute.getSingleStringValueOrNull(list, t);
            if (name == null || name.isBlank()) {
                continue;
            }
            ids.add(name.strip());
            for (String group : name.split("=")) {
                for (String c : PatientModule.nameComponents(group)) {
                    if (!c.isBlank()) {
                        ids.add(c);
                    }
                }
            }
        }
        String burned = Attribute.getSingleStringValueOrNull(list, TagFromName.BurnedInAnnotation);
        return new DraftingContext(reasons.isEmpty() ? null : String.join("; ", reasons),
                burned != null && burned.strip().equalsIgnoreCase("YES"), List.copyOf(ids));
    }

    private static String[] valuesOf(Attribute a) {
        try {
            String[] v = a.getStringValues();
            return v == null ? new String[0] : v;
        } catch (com.pixelmed.dicom.DicomException e) {
            return new String[0];
        }
    }
}
