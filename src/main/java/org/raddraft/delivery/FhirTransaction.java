package org.raddraft.delivery;

import ca.uhn.fhir.context.FhirContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.ImagingStudy;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/**
 * The FHIR channel's message: the resources the FHIR stage published for the approved version (the
 * DiagnosticReport, its Observations, ImagingStudy, Device, Provenance) as a transaction Bundle of
 * conditional updates on stable identifiers, so that sending it again (a retry, a resend after a
 * crash) updates the same resources instead of creating new ones:
 * <ul>
 *   <li>DiagnosticReport: {@code identifier=<system>|<accession>-<draft id>} (draft id alone without accession);</li>
 *   <li>Observation, Device: {@code identifier=<system>|<report key>/<their RadDraft id>};</li>
 *   <li>ImagingStudy: its own {@code urn:dicom:uid} identifier (the Study Instance UID);</li>
 *   <li>Provenance (R4 has no identifier): an update on a client id {@code raddraft-<draft>-v<version>}.</li>
 * </ul>
 * References between them become the entries' {@code urn:uuid:} full URLs (derived from the keys, so
 * also stable); a reference to a resource that is not sent (an earlier draft) keeps only an identifier.
 */
final class FhirTransaction {

    private FhirTransaction() {
    }

    /** The report's key on the receiving server. */
    static String reportKey(FinalReport r) {
        return reportKey(r.accessionNumber(), r.draftId());
    }

    private static String reportKey(String accession, long draftId) {
        return accession == null ? Long.toString(draftId) : accession + "-" + draftId;
    }

    /**
     * @param published the published resources, the DiagnosticReport first
     * @param version   the published version they are (Provenance id)
     */
    static Bundle of(FhirContext ctx, List<Resource> published, int version, FinalReport r, String system) {
        String key = reportKey(r);
        Map<String, String> fullUrls = new LinkedHashMap<>();  // "Type/id" as published -> urn:uuid
        for (Resource res : published) {
            fullUrls.put(res.fhirType() + "/" + res.getIdElement().getIdPart(), urn(system, res.fhirType(), key,
                    res.getIdElement().getIdPart()));
        }
        Bundle tx = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        for (Resource original : published) {
            Resource res = original.copy();
            String localId = original.getIdElement().getIdPart();
            String fullUrl = fullUrls.get(res.fhirType() + "/" + localId);
            res.setId((String) null);
            res.getMeta().setVersionId(null).setLastUpdated(null);
            relink(ctx, res, fullUrls, system, r.accessionNumber());
            String url;
            if (res instanceof DiagnosticReport dr) {
                dr.addIdentifier(new Identifier().setSystem(system).setValue(key));
                if (r.correction() && dr.getStatus() == DiagnosticReport.DiagnosticReportStatus.FINAL) {
                    dr.setStatus(DiagnosticReport.DiagnosticReportStatus.CORRECTED);
                }
                url = "DiagnosticReport?" + identifierParam(system, key);
            } else if (res instanceof ImagingStudy is && !is.getIdentifier().isEmpty()) {
                Identifier uid = is.getIdentifierFirstRep();
                url = "ImagingStudy?" + identifierParam(uid.getSystem(), uid.getValue());
            } else if (res instanceof Provenance) {
                res.setId("raddraft-" + r.draftId() + "-v" + version);
                url = "Provenance/" + res.getIdElement().getIdPart();
            } else {
                String value = key + "/" + localId;
                identifiers(res).add(new Identifier().setSystem(system).setValue(value));
                url = res.fhirType() + "?" + identifierParam(system, value);
            }
            tx.addEntry().setFullUrl(fullUrl).setResource(res).getRequest()
                    .setMethod(Bundle.HTTPVerb.PUT).setUrl(url);
        }
        return tx;
    }

    /**
     * {@code identifier=<system>|<value>} as a conditional URL's search parameter: {@code \ , | $}
     * escaped with a backslash as FHIR token search requires (an accession {@code 12345-17,X} would
     * otherwise OR in a second identifier and the PUT could overwrite another patient's report), then
     * URL-encoded.
     */
    static String identifierParam(String system, String value) {
        return "identifier=" + URLEncoder.encode(escapeSearchValue(system) + "|" + escapeSearchValue(value),
                StandardCharsets.UTF_8);
    }

    /** FHIR search's escaping of a parameter value ("Escaping search parameters" in the R4 search page). */
    static String escapeSearchValue(String v) {
        StringBuilder b = new StringBuilder(v.length() + 8);
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '\\' || c == ',' || c == '|' || c == '$') {
                b.append('\\');
            }
            b.append(c);
        }
        return b.toString();
    }

    private static List<Identifier> identifiers(Resource res) {
        if (res instanceof org.hl7.fhir.r4.model.Observation o) {
            return o.getIdentifier();
        }
        if (res instanceof org.hl7.fhir.r4.model.Device d) {
            return d.getIdentifier();
        }
        throw new IllegalArgumentException(res.fhirType() + " is not expected in a published report");
    }

    /** Points references at the entries' full URLs; a reference outside the bundle keeps only an identifier. */
    private static void relink(FhirContext ctx, Resource res, Map<String, String> fullUrls, String system,
                               String accession) {
        for (Reference ref : ctx.newTerser().getAllPopulatedChildElementsOfType(res, Reference.class)) {
            String target = ref.getReference();
            if (target == null || target.isEmpty()) {
                continue;
            }
            String inBundle = fullUrls.get(target);
            if (inBundle != null) {
                ref.setReference(inBundle);
            } else if (target.startsWith("DiagnosticReport/")) {
                // an earlier or later draft of the study, not delivered with this one
                ref.setReference(null).setType("DiagnosticReport").setIdentifier(new Identifier().setSystem(system)
                        .setValue(reportKey(accession, Long.parseLong(target.substring(target.indexOf('/') + 1)))));
            } else {
                ref.setReference(null);
            }
        }
    }

    private static String urn(String system, String type, String key, String localId) {
        return "urn:uuid:" + UUID.nameUUIDFromBytes((system + "|" + type + "|" + key + "|" + localId)
                .getBytes(StandardCharsets.UTF_8));
    }

    /** The published bundle's resources, in order. */
    static List<Resource> resources(Bundle published) {
        List<Resource> list = new ArrayList<>();
        published.getEntry().forEach(e -> list.add(e.getResource()));
        return list;
    }
}
