package org.raddraft.fhir;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.hl7.fhir.r4.model.Attachment;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DecimalType;
import org.hl7.fhir.r4.model.Device;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.DiagnosticReport.DiagnosticReportStatus;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.ImagingStudy;
import org.hl7.fhir.r4.model.InstantType;
import org.hl7.fhir.r4.model.IntegerType;
import org.hl7.fhir.r4.model.Meta;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Observation.ObservationStatus;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;
import ca.uhn.fhir.model.api.TemporalPrecisionEnum;
import org.hl7.fhir.r4.model.UnsignedIntType;
import org.raddraft.flags.Flag;
import org.raddraft.report.Label;
import org.raddraft.inference.ModelRecords;
import org.raddraft.report.ReportLabeller;
import org.raddraft.report.ReportLabels;
import org.raddraft.report.Status;

/**
 * A stored draft as FHIR R4 resources (ARCHITECTURE.md, FHIR conventions): the DiagnosticReport first,
 * then its Observations (findings and impression narratives, one per labelled finding with the
 * model's probability), the ImagingStudy, the model as a Device and the Provenance of the AI authoring.
 * Everything AI-authored carries {@code meta.security} v3-ObservationValue#AIAST. Pure: no I/O.
 */
final class DiagnosticReportMapper {

    static final String LOINC = "http://loinc.org";
    static final String V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074";
    static final String V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203";
    static final String V3_OBSERVATION_VALUE = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";
    static final String DICOM_DCM = "http://dicom.nema.org/resources/ontology/DCM";
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Canonical canonical;
    private final ReportLabeller labeller = ReportLabeller.withDefaultLexicon();

    DiagnosticReportMapper(Canonical canonical) {
        this.canonical = canonical;
    }

    /**
     * FHIR status of a draft state: DRAFTED preliminary; APPROVED, APPROVED_WITH_EDITS final;
     * (corrected once amended after approval); SUPERSEDED cancelled (never released, replaced by a redraft of the completed study); REJECTED
     * entered-in-error (the radiologist judged the AI draft wrong). See docs/decisions.md.
     */
    static DiagnosticReportStatus status(String draftState) {
        return switch (draftState) {
            case "DRAFTED" -> DiagnosticReportStatus.PRELIMINARY;
            case "APPROVED", "APPROVED_WITH_EDITS" -> DiagnosticReportStatus.FINAL;
            case "SUPERSEDED" -> DiagnosticReportStatus.CANCELLED;
            case "REJECTED" -> DiagnosticReportStatus.ENTEREDINERROR;
            default -> throw new IllegalArgumentException("draft state " + draftState + " has no FHIR status");
        };
    }

    static String deviceId(String modelName, String modelVersion) {
        String id = (modelName + "-" + modelVersion).replaceAll("[^A-Za-z0-9.-]", "-");
        return id.length() <= 64 ? id : id.substring(0, 64);
    }

    static String observationId(long draftId, String part) {
        return draftId + "-" + part.toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** All resources of this version of the draft, the DiagnosticReport first. */
    List<Resource> map(StoredDraft d, int version, Date lastUpdated) {
        DiagnosticReportStatus status = status(d.state());
        if (status == DiagnosticReportStatus.FINAL && d.amendments() > 0) {
            status = DiagnosticReportStatus.CORRECTED; // the approved text was corrected after release
        }
        String findings = d.finalFindings() != null ? d.finalFindings() : d.findings();
        String impression = d.finalImpression() != null ? d.finalImpression() : d.impression();
        Reference subject = subject(d.study());
        Reference device = new Reference("Device/" + deviceId(d.modelName(), d.modelVersion()))
                .setDisplay(d.modelName() + " " + d.modelVersion());
        DateTimeType effective = effective(d.study().studyDate());

        List<Observation> observations = new ArrayList<>();
        observations.add(narrative(d, "findings", "59776-5", "Procedure findings Narrative", findings));
        observations.add(narrative(d, "impression", "19005-8", "Radiology Imaging study [Impression] (narrative)",
                impression));
        Map<String, Double> probabilities = probabilities(d.classifier());
        ReportLabels labels = labeller.label(findings, impression);
        for (org.raddraft.report.Observation o : org.raddraft.report.Observation.values()) {
            Label l = labels.label(o);
            if (l.status() != Status.NOT_MENTIONED) {
                observations.add(finding(d, o, l.status(), probabilities.get(o.label())));
            }
        }
        for (Observation o : observations) {
            o.setMeta(aiMeta(version, lastUpdated, null));
            o.setStatus(observationStatus(status));
            o.setSubject(subject);
            o.setDevice(device);
            o.setEffective(effective);
            o.setIssued(Date.from(d.draftedAt()));
        }

        DiagnosticReport r = new DiagnosticReport();
        r.setId(String.valueOf(d.id()));
        r.setMeta(aiMeta(version, lastUpdated, canonical.profile()));
        extensions(r, d);
        if (d.study().accessionNumber() != null) {
            r.addIdentifier(accession(d.study().accessionNumber()));
            r.addBasedOn(new Reference().setType("ServiceRequest").setIdentifier(accession(d.study().accessionNumber())));
        }
        r.setStatus(status);
        r.addCategory(new CodeableConcept(new Coding(V2_0074, "RAD", "Radiology")));
        boolean twoViews = d.missingView() == null;
        r.setCode(new CodeableConcept(twoViews ? new Coding(LOINC, "36643-5", "XR Chest 2 Views")
                : new Coding(LOINC, "36554-4", "XR Chest Single view")));
        r.setSubject(subject);
        r.setEffective(effective);
        if (d.reviewer() != null && (status == DiagnosticReportStatus.FINAL || status == DiagnosticReportStatus.CORRECTED)) {
            r.addResultsInterpreter(reviewer(d));
        }
        r.setIssuedElement(new InstantType(Date.from(d.draftedAt()), TemporalPrecisionEnum.MILLI));
        r.addImagingStudy(new Reference("ImagingStudy/" + d.id()).setIdentifier(studyIdentifier(d.study())));
        for (Observation o : observations) {
            r.addResult(new Reference("Observation/" + o.getIdElement().getIdPart()));
        }
        r.setConclusion(impression);
        String text = "FINDINGS: " + findings + "\n\nIMPRESSION: " + impression + "\n";
        r.addPresentedForm(new Attachment().setContentType("text/plain; charset=utf-8").setLanguage("en")
                .setData(text.getBytes(StandardCharsets.UTF_8))
                .setTitle(status == DiagnosticReportStatus.FINAL || status == DiagnosticReportStatus.CORRECTED
                        ? "Chest radiograph report"
                        : "Draft chest radiograph report (AI-generated, not reviewed)"));

        List<Resource> all = new ArrayList<>();
        all.add(r);
        all.addAll(observations);
        all.add(imagingStudy(d, subject, version, lastUpdated));
        all.add(device(d, version, lastUpdated));
        all.add(provenance(d, device, observations, version, lastUpdated));
        return all;
    }

    private Meta aiMeta(int version, Date lastUpdated, String profile) {
        Meta m = new Meta().setVersionId(String.valueOf(version)).setLastUpdated(lastUpdated);
        m.addSecurity(new Coding(V3_OBSERVATION_VALUE, "AIAST", "Artificial Intelligence asserted"));
        if (profile != null) {
            m.addProfile(profile);
        }
        return m;
    }

    private void extensions(DiagnosticReport r, StoredDraft d) {
        for (Flag f : flags(d.flags())) {
            Extension e = new Extension(canonical.flagExtension());
            e.addExtension("code", new Coding(canonical.flagCodes(), f.code().name(), null));
            if (f.finding() != null) {
                e.addExtension("finding", new StringType(f.finding()));
            }
            e.addExtension("severity", new DecimalType(round(f.severity())));
            if (Double.isFinite(f.signal())) {
                e.addExtension("signal", new DecimalType(round(f.signal())));
            }
            e.addExtension("detail", new StringType(f.detail()));
            r.addExtension(e);
        }
        Map<String, String> reasons = unavailableReasons(d.unavailableReasons());
        for (String code : unavailable(d.unavailable(), reasons)) {
            Extension e = new Extension(canonical.flagUnavailableExtension());
            e.addExtension("code", new Coding(canonical.flagCodes(), code, null));
            String reason = reasons.get(code);
            if (reason != null && !reason.isBlank()) {
                e.addExtension("reason", new StringType(reason));
            }
            r.addExtension(e);
        }
        if (d.riskScore() != null && Double.isFinite(d.riskScore())) {
            r.addExtension(canonical.riskScoreExtension(), new DecimalType(round(d.riskScore())));
        }
        r.addExtension(canonical.priorityExtension(), new IntegerType(d.priority()));
        if (d.supersededBy() != null) {
            r.addExtension(canonical.supersededByExtension(), new Reference("DiagnosticReport/" + d.supersededBy()));
        }
        if (d.supersedes() != null) {
            r.addExtension(canonical.supersedesExtension(), new Reference("DiagnosticReport/" + d.supersedes()));
        }
    }

    /** The radiologist who decided, by RadDraft account name (the RIS maps it to its Practitioner). */
    private Reference reviewer(StoredDraft d) {
        return new Reference().setType("Practitioner").setDisplay(d.reviewer())
                .setIdentifier(new Identifier().setSystem(canonical.base() + "/sid/user").setValue(d.reviewer()));
    }

    private static BigDecimal round(double v) {
        return BigDecimal.valueOf(v).setScale(4, RoundingMode.HALF_UP).stripTrailingZeros();
    }

    /** draft.flags as stored by the flags stage; NULL (flags not computed) is no flags. */
    static List<Flag> flags(String json) {
        if (json == null || json.isBlank()) {
            return List.of();
        }
        try {
            return JSON.readValue(json, new TypeReference<List<Flag>>() { });
        } catch (java.io.IOException e) {
            throw new IllegalStateException("draft.flags is not a JSON array of flags: " + e.getMessage(), e);
        }
    }

    /** draft.unavailable's codes, then any code only the reasons name, each once, in that order. */
    static List<String> unavailable(String codes, Map<String, String> reasons) {
        java.util.LinkedHashSet<String> all = new java.util.LinkedHashSet<>();
        if (codes != null) {
            for (String c : codes.split(",")) {
                if (!c.isBlank()) {
                    all.add(c.strip());
                }
            }
        }
        all.addAll(reasons.keySet());
        return List.copyOf(all);
    }

    /** draft.unavailable_reasons as stored by the remote backend (flag code -> why); NULL is none. */
    static Map<String, String> unavailableReasons(String json) {
        if (json == null || json.isBlank()) {
            return Map.of();
        }
        try {
            return JSON.readValue(json, new TypeReference<LinkedHashMap<String, String>>() { });
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("draft.unavailable_reasons is not a JSON object of reasons: "
                    + e.getOriginalMessage(), e);
        }
    }

    static Map<String, Double> probabilities(String json) {
        if (json == null || json.isBlank()) {
            return Map.of();
        }
        try {
            return JSON.readValue(json, new TypeReference<LinkedHashMap<String, Double>>() { });
        } catch (java.io.IOException e) {
            throw new IllegalStateException("draft.classifier is not a JSON object of probabilities: " + e.getMessage(), e);
        }
    }

    private Identifier accession(String accession) {
        return new Identifier().setType(new CodeableConcept(new Coding(V2_0203, "ACSN", "Accession ID")))
                .setSystem(canonical.accessionSystem()).setValue(accession);
    }

    private static Identifier studyIdentifier(StoredDraft.Study s) {
        return new Identifier().setSystem("urn:dicom:uid").setValue("urn:oid:" + s.studyInstanceUid());
    }

    /**
     * The patient by DICOM Patient ID (no Patient resource is served: the RIS owns it), with the name as
     * display when known, so the worklist shows whose study each report is.
     */
    private Reference subject(StoredDraft.Study s) {
        if (s.patientId() == null) {
            return new Reference().setType("Patient").setDisplay(s.patientName() == null
                    ? "no Patient ID in the images" : displayName(s.patientName()) + " (no Patient ID in the images)");
        }
        Reference r = new Reference().setType("Patient").setIdentifier(new Identifier()
                .setType(new CodeableConcept(new Coding(V2_0203, "MR", "Medical record number")))
                .setSystem(canonical.patientIdSystem(s.issuerOfPatientId())).setValue(s.patientId()));
        return s.patientName() == null ? r : r.setDisplay(displayName(s.patientName()));
    }

    /**
     * A DICOM PN as people read it: {@code FAMILY, Given Middle}. Control characters (a sender's wrong
     * character set, a damaged file) are dropped: a FHIR string cannot hold them, and the validator refused
     * the whole draft for one, so the study FAILED instead of reaching the worklist (issue 24's fuzzing).
     */
    static String displayName(String pn) {
        String[] c = org.raddraft.dicom.PatientModule.nameComponents(pn.replaceAll("\\p{Cntrl}", ""));
        String given = (c[1] + " " + c[2]).strip();
        return given.isEmpty() ? c[0] : c[0] + ", " + given;
    }

    private static DateTimeType effective(String studyDate) {
        if (studyDate == null || !studyDate.matches("\\d{8}")) {
            return null;
        }
        try {
            LocalDate day = LocalDate.parse(studyDate, DateTimeFormatter.BASIC_ISO_DATE);
            return new DateTimeType(day.toString());
        } catch (java.time.DateTimeException e) {
            return null;
        }
    }

    private static ObservationStatus observationStatus(DiagnosticReportStatus s) {
        return switch (s) {
            case FINAL -> ObservationStatus.FINAL;
            case CORRECTED -> ObservationStatus.CORRECTED;
            case CANCELLED -> ObservationStatus.CANCELLED;
            case ENTEREDINERROR -> ObservationStatus.ENTEREDINERROR;
            default -> ObservationStatus.PRELIMINARY;
        };
    }

    private static Observation narrative(StoredDraft d, String part, String loinc, String display, String text) {
        Observation o = new Observation();
        o.setId(observationId(d.id(), part));
        o.addCategory(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/observation-category",
                "imaging", "Imaging")));
        o.setCode(new CodeableConcept(new Coding(LOINC, loinc, display)));
        o.setValue(new StringType(text));
        return o;
    }

    private Observation finding(StoredDraft d, org.raddraft.report.Observation observation, Status status,
            Double probability) {
        Observation o = new Observation();
        o.setId(observationId(d.id(), observation.name()));
        o.addCategory(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/observation-category",
                "imaging", "Imaging")));
        o.setCode(new CodeableConcept(new Coding(canonical.observationCodes(), observation.name(), observation.label())));
        String code = status.name().toLowerCase(Locale.ROOT);
        o.setValue(new CodeableConcept(new Coding(canonical.findingStatusCodes(), code, code)));
        if (probability != null && Double.isFinite(probability)) {
            o.addExtension(canonical.probabilityExtension(), new DecimalType(round(probability)));
        }
        return o;
    }

    private ImagingStudy imagingStudy(StoredDraft d, Reference subject, int version, Date lastUpdated) {
        StoredDraft.Study s = d.study();
        ImagingStudy is = new ImagingStudy();
        is.setId(String.valueOf(d.id()));
        is.setMeta(new Meta().setVersionId(String.valueOf(version)).setLastUpdated(lastUpdated));
        is.addIdentifier(studyIdentifier(s));
        is.setStatus(ImagingStudy.ImagingStudyStatus.AVAILABLE);
        is.setSubject(subject);
        DateTimeType started = effective(s.studyDate());
        if (started != null) {
            is.setStartedElement(started);
        }
        if (s.accessionNumber() != null) {
            is.addBasedOn(new Reference().setType("ServiceRequest").setIdentifier(accession(s.accessionNumber())));
        }
        is.setDescription(s.studyDescription());
        Map<String, ImagingStudy.ImagingStudySeriesComponent> series = new LinkedHashMap<>();
        for (StoredDraft.Instance i : s.instances()) {
            ImagingStudy.ImagingStudySeriesComponent se = series.computeIfAbsent(i.seriesInstanceUid(), uid -> {
                ImagingStudy.ImagingStudySeriesComponent c = is.addSeries().setUid(uid);
                c.setModality(new Coding(DICOM_DCM, i.modality() == null ? "OT" : i.modality(), null));
                return c;
            });
            ImagingStudy.ImagingStudySeriesInstanceComponent in = se.addInstance().setUid(i.sopInstanceUid())
                    .setSopClass(new Coding("urn:ietf:rfc:3986", "urn:oid:" + i.sopClassUid(), null));
            if (i.viewPosition() != null) {
                in.setTitle(i.viewPosition());
            }
            se.setNumberOfInstancesElement(new UnsignedIntType(se.getInstance().size()));
        }
        is.setNumberOfSeriesElement(new UnsignedIntType(series.size()));
        is.setNumberOfInstancesElement(new UnsignedIntType(s.instances().size()));
        return is;
    }

    private Device device(StoredDraft d, int version, Date lastUpdated) {
        Device dev = new Device();
        dev.setId(deviceId(d.modelName(), d.modelVersion()));
        dev.setMeta(new Meta().setVersionId("1").setLastUpdated(Date.from(d.draftedAt())));
        dev.setStatus(Device.FHIRDeviceStatus.ACTIVE);
        dev.addDeviceName().setName(d.modelName()).setType(Device.DeviceNameType.MODELNAME);
        dev.setType(new CodeableConcept().setText("AI model drafting chest radiograph reports"));
        dev.addVersion().setValue(d.modelVersion());
        dev.addNote().setText(useNote(d.modelIntendedUse()));
        return dev;
    }

    /** What the drafting model may be used for (its manifest's intended_use as recorded when it was loaded). */
    static String useNote(String intendedUse) {
        if (intendedUse == null) {
            return "intended use of this model not recorded: not for clinical use";
        }
        return ModelRecords.notForClinicalUse(intendedUse)
                ? "reference model, synthetic training data, not for clinical use" : intendedUse;
    }

    private Provenance provenance(StoredDraft d, Reference device, List<Observation> observations, int version,
            Date lastUpdated) {
        Provenance p = new Provenance();
        p.setId(String.valueOf(d.id()));
        p.setMeta(new Meta().setVersionId(String.valueOf(version)).setLastUpdated(lastUpdated));
        p.addTarget(new Reference("DiagnosticReport/" + d.id()));
        for (Observation o : observations) {
            p.addTarget(new Reference("Observation/" + o.getIdElement().getIdPart()));
        }
        p.setRecorded(Date.from(d.draftedAt()));
        p.setActivity(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/v3-DataOperation",
                "CREATE", "create")));
        p.addAgent().setType(new CodeableConcept(new Coding(
                        "http://terminology.hl7.org/CodeSystem/provenance-participant-type", "author", "Author")))
                .setWho(device);
        if (d.reviewer() != null) {
            p.addAgent().setType(new CodeableConcept(new Coding(
                            "http://terminology.hl7.org/CodeSystem/provenance-participant-type", "verifier", "Verifier")))
                    .setWho(reviewer(d));
        }
        return p;
    }
}
