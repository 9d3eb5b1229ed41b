package org.raddraft.fhir;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * RadDraft's canonical URLs, all under one configurable base ({@code fhir.canonical-base}): the
 * profile, extensions and code systems published in docs/fhir/ (written there under
 * {@link #DEFAULT_BASE}, rewritten to the configured base when loaded), and identifier systems.
 */
record Canonical(String base) {

    /** The base the files in docs/fhir/ are written with. */
    static final String DEFAULT_BASE = "http://raddraft.org/fhir";

    Canonical {
        base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }

    String structureDefinition(String name) {
        return base + "/StructureDefinition/" + name;
    }

    String codeSystem(String name) {
        return base + "/CodeSystem/" + name;
    }

    String profile() {
        return structureDefinition("raddraft-diagnosticreport");
    }

    String flagExtension() {
        return structureDefinition("confidence-flag");
    }

    String flagUnavailableExtension() {
        return structureDefinition("flag-unavailable");
    }

    String riskScoreExtension() {
        return structureDefinition("risk-score");
    }

    String priorityExtension() {
        return structureDefinition("worklist-priority");
    }

    String probabilityExtension() {
        return structureDefinition("model-probability");
    }

    String supersededByExtension() {
        return structureDefinition("superseded-by");
    }

    String supersedesExtension() {
        return structureDefinition("supersedes");
    }

    String observationCodes() {
        return codeSystem("observation");
    }

    String findingStatusCodes() {
        return codeSystem("finding-status");
    }

    String flagCodes() {
        return codeSystem("flag-code");
    }

    /** Accession numbers of this site's orders (they carry no issuer in the images). */
    String accessionSystem() {
        return base + "/sid/accession";
    }

    /**
     * The identifier system of a DICOM Patient ID: its Issuer of Patient ID as {@code urn:oid:} when it is
     * an OID, as is when it is a URI, else a URL under the base naming the issuer; without an issuer,
     * this site's local patient IDs.
     */
    String patientIdSystem(String issuer) {
        if (issuer == null || issuer.isBlank()) {
            return base + "/sid/patient-id";
        }
        if (issuer.matches("[0-2](\\.(0|[1-9][0-9]*))+")) {
            return "urn:oid:" + issuer;
        }
        if (issuer.matches("[a-zA-Z][a-zA-Z0-9+.-]*:\\S+")) {
            return issuer;
        }
        return base + "/sid/patient-id/" + URLEncoder.encode(issuer, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
