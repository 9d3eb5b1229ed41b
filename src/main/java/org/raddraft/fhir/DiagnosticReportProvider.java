package org.raddraft.fhir;

import ca.uhn.fhir.model.api.Include;
import ca.uhn.fhir.model.api.ResourceMetadataKeyEnum;
import ca.uhn.fhir.model.primitive.InstantDt;
import ca.uhn.fhir.model.valueset.BundleEntrySearchModeEnum;
import ca.uhn.fhir.rest.annotation.Count;
import ca.uhn.fhir.rest.annotation.History;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.IncludeParam;
import ca.uhn.fhir.rest.annotation.OptionalParam;
import ca.uhn.fhir.rest.annotation.RawParam;
import ca.uhn.fhir.rest.annotation.Read;
import ca.uhn.fhir.rest.annotation.Search;
import ca.uhn.fhir.rest.annotation.Sort;
import ca.uhn.fhir.rest.api.SortOrderEnum;
import ca.uhn.fhir.rest.api.SortSpec;
import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.param.TokenOrListParam;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.server.IResourceProvider;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IPrimitiveType;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.ImagingStudy;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Resource;

/**
 * DiagnosticReport: read, vread and instance history of a draft's published versions, and the
 * worklist search ({@code status=preliminary}, critical first) with paging, {@code _include} of the
 * results and imaging study, {@code _revinclude} of the Provenance, and search by accession number.
 */
public final class DiagnosticReportProvider implements IResourceProvider {

    static final String SUPPORTED = "_id, status (e.g. status=preliminary), identifier or based-on:identifier"
            + " (the accession number, [system|]value), _include=DiagnosticReport:result,"
            + " _include=DiagnosticReport:imaging-study, _revinclude=Provenance:target, _count,"
            + " _sort=-priority (the default: critical first, then oldest), _sort=issued or _sort=-issued";

    private final FhirVersions versions;

    DiagnosticReportProvider(FhirVersions versions) {
        this.versions = versions;
    }

    @Override
    public Class<DiagnosticReport> getResourceType() {
        return DiagnosticReport.class;
    }

    static long draftId(IdType id) {
        try {
            return Long.parseLong(id.getIdPart());
        } catch (NumberFormatException e) {
            throw new ResourceNotFoundException("DiagnosticReport/" + id.getIdPart() + " does not exist: report ids are"
                    + " numbers, as in the worklist (DiagnosticReport?status=preliminary)");
        }
    }

    @Read(version = true)
    public DiagnosticReport read(@IdParam IdType id) {
        long draftId = draftId(id);
        List<Resource> rs;
        try {
            rs = id.hasVersionIdPart() ? versions.version(draftId, versionOf(id)) : versions.latest(draftId);
        } catch (SQLException e) {
            throw DatabaseError.of(e);
        }
        if (rs == null) {
            throw new ResourceNotFoundException(id.hasVersionIdPart()
                    ? "DiagnosticReport/" + draftId + " has no version " + id.getVersionIdPart()
                            + "; its versions are listed at DiagnosticReport/" + draftId + "/_history"
                    : "DiagnosticReport/" + draftId + " does not exist");
        }
        return (DiagnosticReport) rs.get(0);
    }

    private static int versionOf(IdType id) {
        try {
            return Integer.parseInt(id.getVersionIdPart());
        } catch (NumberFormatException e) {
            throw new ResourceNotFoundException("version '" + id.getVersionIdPart() + "' does not exist: versions are numbers");
        }
    }

    @History
    public List<DiagnosticReport> history(@IdParam IdType id) {
        long draftId = draftId(id);
        List<DiagnosticReport> all = new ArrayList<>();
        try {
            versions.history(draftId).forEach(v -> all.add((DiagnosticReport) v.get(0)));
        } catch (SQLException e) {
            throw DatabaseError.of(e);
        }
        if (all.isEmpty()) {
            throw new ResourceNotFoundException("DiagnosticReport/" + draftId + " does not exist");
        }
        return all;
    }

    @Search(allowUnknownParams = true)
    public IBundleProvider search(@OptionalParam(name = "_id") TokenParam reportId,
            @OptionalParam(name = DiagnosticReport.SP_STATUS) TokenOrListParam status,
            @OptionalParam(name = DiagnosticReport.SP_IDENTIFIER) TokenParam identifier,
            @IncludeParam(allow = {"DiagnosticReport:result", "DiagnosticReport:imaging-study"}) Set<Include> include,
            @IncludeParam(reverse = true, allow = {"Provenance:target"}) Set<Include> revInclude,
            @Count Integer count, @Sort SortSpec sort, @RawParam Map<String, List<String>> other) {
        String accession = identifier == null ? null : identifier.getValue();
        for (Map.Entry<String, List<String>> p : other == null ? Map.<String, List<String>>of().entrySet() : other.entrySet()) {
            if (p.getKey().equals("based-on:identifier") && p.getValue().size() == 1) {
                String v = p.getValue().get(0);
                String value = v.contains("|") ? v.substring(v.indexOf('|') + 1) : v;
                if (accession != null && !accession.equals(value)) {
                    throw new InvalidRequestException("identifier and based-on:identifier name different accession"
                            + " numbers; give one of them");
                }
                accession = value;
            } else if (!p.getKey().startsWith("_format") && !p.getKey().equals("_pretty")) {
                throw new InvalidRequestException("unknown or repeated search parameter '" + p.getKey()
                        + "'; DiagnosticReport supports " + SUPPORTED);
            }
        }
        List<String> statuses = statuses(status);
        if (count != null && count < 0) {
            throw new InvalidRequestException("_count=" + count + " is negative; write a page size from 1 to 200");
        }
        List<Long> ids;
        try {
            ids = versions.search(statuses, accession, newestFirst(sort));
            if (reportId != null) {
                ids = ids.stream().filter(i -> String.valueOf(i).equals(reportId.getValue())).toList();
            }
        } catch (SQLException e) {
            throw DatabaseError.of(e);
        }
        return new Page(ids, count, include, revInclude);
    }

    private static List<String> statuses(TokenOrListParam status) {
        List<String> codes = new ArrayList<>();
        if (status == null) {
            return codes;
        }
        for (TokenParam t : status.getValuesAsQueryTokens()) {
            try {
                DiagnosticReport.DiagnosticReportStatus.fromCode(t.getValue());
            } catch (Exception e) {
                throw new InvalidRequestException("status '" + t.getValue() + "' is not a DiagnosticReport status; write"
                        + " preliminary (drafts awaiting review), final (approved), cancelled (superseded by a redraft)"
                        + " or entered-in-error (rejected)");
            }
            codes.add(t.getValue());
        }
        return codes;
    }

    /** null: the worklist order (priority, then oldest); true/false: by issued time. */
    private static Boolean newestFirst(SortSpec sort) {
        if (sort == null) {
            return null;
        }
        if (sort.getChain() == null) {
            switch (sort.getParamName()) {
                case "priority" -> {
                    if (sort.getOrder() == SortOrderEnum.DESC) {
                        return null;
                    }
                }
                case "issued", "_lastUpdated" -> {
                    return sort.getOrder() == SortOrderEnum.DESC;
                }
                default -> {
                }
            }
        }
        throw new InvalidRequestException("_sort=" + (sort.getOrder() == SortOrderEnum.DESC ? "-" : "")
                + sort.getParamName() + (sort.getChain() == null ? "" : ",...") + " is not supported; write _sort=-priority"
                + " (critical first, then oldest: the default), _sort=issued (oldest first) or _sort=-issued (newest first)");
    }

    /** One search's matches, loaded a page at a time, with their included resources after each report. */
    private final class Page implements IBundleProvider {

        private final List<Long> ids;
        private final Integer count;
        private final boolean results;
        private final boolean imagingStudy;
        private final boolean provenance;
        private final InstantDt published = InstantDt.withCurrentTime();

        Page(List<Long> ids, Integer count, Set<Include> include, Set<Include> revInclude) {
            this.ids = ids;
            this.count = count;
            this.results = has(include, "DiagnosticReport:result");
            this.imagingStudy = has(include, "DiagnosticReport:imaging-study");
            this.provenance = has(revInclude, "Provenance:target");
        }

        private static boolean has(Set<Include> includes, String value) {
            return includes != null && includes.stream().anyMatch(i -> i.getValue().equals(value));
        }

        @Override
        public IPrimitiveType<Date> getPublished() {
            return published;
        }

        @Override
        public List<IBaseResource> getResources(int from, int to) {
            List<IBaseResource> page = new ArrayList<>();
            List<Long> pageIds = ids.subList(Math.min(from, ids.size()), Math.min(to, ids.size()));
            if (!results && !imagingStudy && !provenance) {  // the worklist: the reports alone, in one query
                try {
                    page.addAll(versions.latestReports(pageIds));
                } catch (SQLException e) {
                    throw DatabaseError.of(e);
                }
                return page;
            }
            for (long id : pageIds) {
                List<Resource> rs;
                try {
                    rs = versions.latest(id);
                } catch (SQLException e) {
                    throw DatabaseError.of(e);
                }
                page.add(rs.get(0));
                for (Resource r : rs.subList(1, rs.size())) {
                    if (results && r instanceof Observation || imagingStudy && r instanceof ImagingStudy
                            || provenance && r instanceof Provenance) {
                        ResourceMetadataKeyEnum.ENTRY_SEARCH_MODE.put(r, BundleEntrySearchModeEnum.INCLUDE);
                        page.add(r);
                    }
                }
            }
            return page;
        }

        @Override
        public String getUuid() {
            return null;
        }

        @Override
        public Integer preferredPageSize() {
            return count;
        }

        @Override
        public Integer size() {
            return ids.size();
        }
    }
}
