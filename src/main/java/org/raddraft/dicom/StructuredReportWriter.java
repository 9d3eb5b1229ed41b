package org.raddraft.dicom;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeFactory;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.CodeStringAttribute;
import com.pixelmed.dicom.CodedSequenceItem;
import com.pixelmed.dicom.ContentItem;
import com.pixelmed.dicom.ContentItemFactory;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.SpecificCharacterSet;
import com.pixelmed.dicom.StructuredReport;
import com.pixelmed.dicom.TagFromName;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the DICOM Structured Report of an approved report: a Basic Text SR whose content tree
 * follows TID 2000 (Basic Diagnostic Imaging Report), so that any PACS that shows SRs shows it.
 *
 * <pre>
 * CONTAINER (18748-4, LN, "Diagnostic Imaging Report")              CID 7000, template 2000 (DCMR)
 *   HAS CONCEPT MOD  CODE (121049, DCM, "Language of Content Item and Descendants") = (en, RFC5646)  TID 1204
 *   HAS OBS CONTEXT  CODE Observer Type = Person; PNAME Person Observer Name = the radiologist      TID 1002/1003
 *   HAS OBS CONTEXT  CODE Observer Type = Device; UIDREF Device Observer UID, TEXT name, model     TID 1002/1004
 *   CONTAINS CONTAINER (121070, DCM, "Findings")      CONTAINS TEXT (121071, DCM, "Finding")      CID 7001/7002
 *   CONTAINS CONTAINER (121072, DCM, "Impressions")   CONTAINS TEXT (121073, DCM, "Impression")
 * </pre>
 *
 * Patient, Patient Study and General Study attributes are copied from the source instance; the SR is
 * a new series (modality SR) of that study, COMPLETE and VERIFIED by the radiologist, with the source
 * images as Current Requested Procedure Evidence and, for a correction, the SRs it replaces as
 * Predecessor Documents. Text beyond ASCII is written in UTF-8 (ISO_IR 192), whatever the source used;
 * ASCII-only content declares no character set (the default repertoire), which every peer reads.
 */
public final class StructuredReportWriter {

    public static final String BASIC_TEXT_SR = "1.2.840.10008.5.1.4.1.1.88.11";
    private static final String EXPLICIT_VR_LE = "1.2.840.10008.1.2.1";
    private static final String UTF_8 = "ISO_IR 192";
    private static final int SERIES_NUMBER = 999;
    private static final AttributeTag PRELIMINARY_FLAG = new AttributeTag(0x0040, 0xA496);
    private static final DateTimeFormatter DA = DateTimeFormatter.ofPattern("yyyyMMdd");
    private static final DateTimeFormatter TM = DateTimeFormatter.ofPattern("HHmmss");
    private static final DateTimeFormatter DT = DateTimeFormatter.ofPattern("yyyyMMddHHmmssxx");
    private static final DateTimeFormatter OFFSET = DateTimeFormatter.ofPattern("xx");

    /** Patient, Patient Study and General Study module attributes copied from the source, with their type. */
    static final Map<AttributeTag, Boolean> COPIED = copied();

    private StructuredReportWriter() {
    }

    private static Map<AttributeTag, Boolean> copied() {
        Map<AttributeTag, Boolean> m = new LinkedHashMap<>();
        // true: Type 2, written empty when the source lacks it; false: Type 3, copied when present
        for (AttributeTag t : List.of(TagFromName.PatientName, TagFromName.PatientID, TagFromName.PatientBirthDate,
                TagFromName.PatientSex, TagFromName.StudyDate, TagFromName.StudyTime, TagFromName.ReferringPhysicianName,
                TagFromName.StudyID, TagFromName.AccessionNumber)) {
            m.put(t, true);
        }
        for (AttributeTag t : List.of(TagFromName.IssuerOfPatientID, TagFromName.IssuerOfPatientIDQualifiersSequence,
                TagFromName.TypeOfPatientID, TagFromName.PatientBirthTime, TagFromName.OtherPatientIDsSequence,
                TagFromName.OtherPatientNames, TagFromName.EthnicGroup, TagFromName.PatientComments,
                TagFromName.PatientIdentityRemoved, TagFromName.DeidentificationMethod, TagFromName.PatientAge,
                TagFromName.PatientSize, TagFromName.PatientWeight, TagFromName.AdditionalPatientHistory,
                TagFromName.IssuerOfAccessionNumberSequence, TagFromName.StudyDescription,
                TagFromName.PhysiciansOfRecord, TagFromName.ProcedureCodeSequence)) {
            m.put(t, false);
        }
        return m;
    }

    /**
     * Writes the SR as a Part 10 file (Explicit VR Little Endian), atomically.
     *
     * @return the reference to the SR written (study, series, SOP class and instance UIDs)
     * @throws DicomFormatException when the source instance cannot be read or lacks its Study Instance UID
     */
    public static SopReference write(ReportSr report, ReportSr.Identity identity, Path out)
            throws IOException, DicomFormatException {
        AttributeList source = DicomAttributes.parse(report.sourceFile(), TagFromName.PixelData);
        String studyUid = Attribute.getSingleStringValueOrNull(source, TagFromName.StudyInstanceUID);
        if (studyUid == null || studyUid.isBlank()) {
            throw new DicomFormatException("source instance lacks Study Instance UID (0020,000D)");
        }
        SopReference written = new SopReference(studyUid.trim(), identity.seriesInstanceUid(), BASIC_TEXT_SR,
                identity.sopInstanceUid());
        try {
            AttributeList l = new StructuredReport(contentTree(report)).getAttributeList();
            copyStudy(source, l);
            put(l, TagFromName.StudyInstanceUID, written.studyInstanceUid());
            instance(l, report, identity, written, organization(report, source));
            l.put(sequence(TagFromName.CurrentRequestedProcedureEvidenceSequence, report.evidence()));
            if (!report.predecessors().isEmpty()) {
                l.put(sequence(TagFromName.PredecessorDocumentsSequence, report.predecessors()));
            }
            if (!ascii(l)) {
                put(l, TagFromName.SpecificCharacterSet, UTF_8);
                l.setSpecificCharacterSet(new SpecificCharacterSet(new String[] {UTF_8}));
            }
            FileMetaInformation.addFileMetaInformation(l, EXPLICIT_VR_LE, "RADDRAFT");
            Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
            l.write(tmp.toFile(), EXPLICIT_VR_LE, true, true);
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (DicomException e) {
            throw new IOException("cannot encode the SR " + identity.sopInstanceUid() + ": " + e.getMessage(), e);
        }
        return written;
    }

    private static ContentItem contentTree(ReportSr r) throws DicomException {
        ContentItemFactory f = new ContentItemFactory();
        ContentItem root = f.makeContainerContentItem(null, null, code("18748-4", "LN", "Diagnostic Imaging Report"),
                true, "DCMR", "2000");
        f.makeCodeContentItem(root, "HAS CONCEPT MOD",
                code("121049", "DCM", "Language of Content Item and Descendants"), code("en", "RFC5646", "English"));
        CodedSequenceItem observerType = code("121005", "DCM", "Observer Type");
        f.makeCodeContentItem(root, "HAS OBS CONTEXT", observerType, code("121006", "DCM", "Person"));
        f.makePersonNameContentItem(root, "HAS OBS CONTEXT", code("121008", "DCM", "Person Observer Name"),
                r.radiologistName());
        f.makeCodeContentItem(root, "HAS OBS CONTEXT", observerType, code("121007", "DCM", "Device"));
        String model = r.deviceName() + " " + r.deviceVersion();
        f.makeUIDContentItem(root, "HAS OBS CONTEXT", code("121012", "DCM", "Device Observer UID"),
                DicomUids.forName("raddraft-model:" + model));
        f.makeTextContentItem(root, "HAS OBS CONTEXT", code("121013", "DCM", "Device Observer Name"),
                r.notForClinicalUse() ? model + " (NOT FOR CLINICAL USE)" : model);
        f.makeTextContentItem(root, "HAS OBS CONTEXT", code("121014", "DCM", "Device Observer Manufacturer"), "RadDraft");
        f.makeTextContentItem(root, "HAS OBS CONTEXT", code("121015", "DCM", "Device Observer Model Name"),
                r.deviceName());
        section(f, root, code("121070", "DCM", "Findings"), code("121071", "DCM", "Finding"), r.findings());
        section(f, root, code("121072", "DCM", "Impressions"), code("121073", "DCM", "Impression"), r.impression());
        return root;
    }

    private static void section(ContentItemFactory f, ContentItem root, CodedSequenceItem heading,
                                CodedSequenceItem element, String text) throws DicomException {
        ContentItem container = f.makeContainerContentItem(root, "CONTAINS", heading, true);
        f.makeTextContentItem(container, "CONTAINS", element, text.strip());
    }

    private static void copyStudy(AttributeList source, AttributeList l) throws DicomException {
        for (Map.Entry<AttributeTag, Boolean> e : COPIED.entrySet()) {
            Attribute a = source.get(e.getKey());
            if (a != null && DATES_AND_TIMES.contains(e.getKey())) {
                a = conformant(a);
            }
            if (a != null) {
                l.put(a);
            } else if (e.getValue()) {
                l.putNewAttribute(e.getKey());
            }
        }
    }

    /** The copied DA and TM attributes: a value the source wrote wrongly is rewritten or dropped. */
    private static final java.util.Set<AttributeTag> DATES_AND_TIMES = java.util.Set.of(TagFromName.PatientBirthDate,
            TagFromName.PatientBirthTime, TagFromName.StudyDate, TagFromName.StudyTime);

    /** The attribute with its value as DICOM writes it ({@link DicomDateTime}), or null when it has none that is valid. */
    private static Attribute conformant(Attribute a) throws DicomException {
        String v = Attribute.getSingleStringValueOrNull(a);
        boolean time = a.getTag().equals(TagFromName.StudyTime) || a.getTag().equals(TagFromName.PatientBirthTime);
        String fixed = time ? DicomDateTime.time(v) : DicomDateTime.date(v);
        if (fixed == null) {
            return null;
        }
        Attribute copy = AttributeFactory.newAttribute(a.getTag());
        copy.addValue(fixed);
        return copy;
    }

    /** SR Document Series, General Equipment, SR Document General and SOP Common modules. */
    private static String organization(ReportSr r, AttributeList source) {
        if (r.verifyingOrganization() != null && !r.verifyingOrganization().isBlank()) {
            return r.verifyingOrganization().strip();
        }
        String institution = Attribute.getSingleStringValueOrNull(source, TagFromName.InstitutionName);
        // Type 1 in the Verifying Observer Sequence as dciodvfy and PixelMed read PS3.3: never empty
        return institution == null || institution.isBlank() ? "UNKNOWN" : institution.strip();
    }

    private static void instance(AttributeList l, ReportSr r, ReportSr.Identity id, SopReference sr,
                                 String organization) throws DicomException {
        OffsetDateTime created = id.createdAt();
        put(l, TagFromName.SOPClassUID, sr.sopClassUid());
        put(l, TagFromName.SOPInstanceUID, sr.sopInstanceUid());
        put(l, TagFromName.InstanceCreationDate, DA.format(created));
        put(l, TagFromName.InstanceCreationTime, TM.format(created));
        put(l, TagFromName.TimezoneOffsetFromUTC, OFFSET.format(created));
        put(l, TagFromName.Modality, "SR");
        put(l, TagFromName.SeriesInstanceUID, sr.seriesInstanceUid());
        put(l, TagFromName.SeriesNumber, Integer.toString(SERIES_NUMBER));
        put(l, TagFromName.SeriesDate, DA.format(created));
        put(l, TagFromName.SeriesTime, TM.format(created));
        put(l, TagFromName.SeriesDescription, r.predecessors().isEmpty() ? "RadDraft report" : "RadDraft corrected report");
        l.put(new SequenceAttribute(TagFromName.ReferencedPerformedProcedureStepSequence));
        put(l, TagFromName.Manufacturer, "RadDraft");
        put(l, TagFromName.ManufacturerModelName, "RadDraft");
        put(l, TagFromName.SoftwareVersions, r.deviceName() + " " + r.deviceVersion());
        put(l, TagFromName.InstanceNumber, "1");
        put(l, TagFromName.ContentDate, DA.format(created));
        put(l, TagFromName.ContentTime, TM.format(created));
        Attribute preliminary = new CodeStringAttribute(PRELIMINARY_FLAG); // not in PixelMed's dictionary
        preliminary.addValue("FINAL");
        l.put(preliminary);
        put(l, TagFromName.CompletionFlag, "COMPLETE");
        put(l, TagFromName.VerificationFlag, "VERIFIED");
        AttributeList observer = new AttributeList();
        put(observer, TagFromName.VerifyingObserverName, r.radiologistName());
        observer.put(new SequenceAttribute(TagFromName.VerifyingObserverIdentificationCodeSequence));
        put(observer, TagFromName.VerifyingOrganization, organization);
        put(observer, TagFromName.VerificationDateTime, DT.format(r.verifiedAt()));
        SequenceAttribute observers = new SequenceAttribute(TagFromName.VerifyingObserverSequence);
        observers.addItem(observer);
        l.put(observers);
        l.put(new SequenceAttribute(TagFromName.PerformedProcedureCodeSequence));
    }

    /** A Hierarchical SOP Instance Reference sequence: one item per study, then per series. */
    private static SequenceAttribute sequence(AttributeTag tag, List<SopReference> refs) throws DicomException {
        Map<String, Map<String, List<SopReference>>> byStudy = new LinkedHashMap<>();
        for (SopReference ref : refs) {
            byStudy.computeIfAbsent(ref.studyInstanceUid(), k -> new LinkedHashMap<>())
                    .computeIfAbsent(ref.seriesInstanceUid(), k -> new java.util.ArrayList<>()).add(ref);
        }
        SequenceAttribute studies = new SequenceAttribute(tag);
        for (var study : byStudy.entrySet()) {
            AttributeList studyItem = new AttributeList();
            put(studyItem, TagFromName.StudyInstanceUID, study.getKey());
            SequenceAttribute series = new SequenceAttribute(TagFromName.ReferencedSeriesSequence);
            for (var s : study.getValue().entrySet()) {
                AttributeList seriesItem = new AttributeList();
                put(seriesItem, TagFromName.SeriesInstanceUID, s.getKey());
                SequenceAttribute sops = new SequenceAttribute(TagFromName.ReferencedSOPSequence);
                for (SopReference ref : s.getValue()) {
                    AttributeList sop = new AttributeList();
                    put(sop, TagFromName.ReferencedSOPClassUID, ref.sopClassUid());
                    put(sop, TagFromName.ReferencedSOPInstanceUID, ref.sopInstanceUid());
                    sops.addItem(sop);
                }
                seriesItem.put(sops);
                series.addItem(seriesItem);
            }
            studyItem.put(series);
            studies.addItem(studyItem);
        }
        return studies;
    }

    /** Whether every string in the data set, sequences included, is ASCII. */
    private static boolean ascii(AttributeList l) throws DicomException {
        for (Attribute a : l.values()) {
            if (a instanceof SequenceAttribute sq) {
                for (int i = 0; i < sq.getNumberOfItems(); i++) {
                    if (!ascii(sq.getItem(i).getAttributeList())) {
                        return false;
                    }
                }
            } else if (a.getVM() > 0) {
                for (String v : a.getStringValues()) {
                    if (v != null && !v.chars().allMatch(c -> c < 0x80)) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    private static CodedSequenceItem code(String value, String scheme, String meaning) throws DicomException {
        return new CodedSequenceItem(value, scheme, meaning);
    }

    private static void put(AttributeList l, AttributeTag tag, String value) throws DicomException {
        Attribute a = AttributeFactory.newAttribute(tag);
        a.addValue(value);
        l.put(a);
    }
}
