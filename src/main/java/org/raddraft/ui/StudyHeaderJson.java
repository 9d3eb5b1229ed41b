package org.raddraft.ui;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.raddraft.dicom.PatientModule;
import org.raddraft.dicom.StudyHeader;

/**
 * The review page's header as JSON: who the patient is and why the study was done, so the radiologist
 * sees whose study they sign. Dates as ISO-8601 ({@code 1980-02-03}); the name as DICOM's five PN
 * components. Null where the study's header has no (valid) value.
 *
 * @param name        family, given, middle, prefix, suffix (the alphabetic group of Patient's Name)
 * @param sex         M, F, O, or what the modality wrote
 * @param birthDate   ISO date, or null when absent or not a valid date
 * @param age         Patient's Age as DICOM writes it ({@code 054Y}), else the age in whole years at the study date
 * @param indications the reasons for the study ({@link StudyHeader#indications()})
 */
record StudyHeaderJson(List<String> name, String patientId, String issuer, String sex, String birthDate, String age,
        String studyDate, String studyDescription, List<String> indications) {

    static StudyHeaderJson of(StudyHeader h) {
        PatientModule p = h.patient();
        LocalDate born = date(h.birthDate());
        LocalDate studied = date(h.studyDate());
        String age = h.patientAge();
        if (age == null && born != null) {
            age = java.time.Period.between(born, studied != null ? studied : LocalDate.now()).getYears() + "Y";
        }
        return new StudyHeaderJson(p.name() == null ? null : List.of(PatientModule.nameComponents(p.name())), p.id(),
                p.issuer(), p.sex(), born == null ? null : born.toString(), age,
                studied == null ? null : studied.toString(), h.studyDescription(), h.indications());
    }

    private static LocalDate date(String da) {
        try {
            return da == null ? null : LocalDate.parse(da, DateTimeFormatter.BASIC_ISO_DATE);
        } catch (DateTimeException e) {
            return null;
        }
    }
}
