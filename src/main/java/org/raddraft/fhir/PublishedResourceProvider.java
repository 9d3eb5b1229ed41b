package org.raddraft.fhir;

import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Read;
import ca.uhn.fhir.rest.server.IResourceProvider;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import java.sql.SQLException;
import java.util.List;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Device;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.ImagingStudy;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Resource;

/**
 * Read of the resources published with a DiagnosticReport, from its latest version: Observation
 * {@code <report>-<part>}, ImagingStudy and Provenance {@code <report>}, Device {@code <model>-<version>}.
 */
final class PublishedResourceProvider<T extends Resource> implements IResourceProvider {

    private final Class<T> type;
    private final FhirVersions versions;

    private PublishedResourceProvider(Class<T> type, FhirVersions versions) {
        this.type = type;
        this.versions = versions;
    }

    static List<IResourceProvider> all(FhirVersions versions) {
        return List.of(new PublishedResourceProvider<>(Observation.class, versions),
                new PublishedResourceProvider<>(ImagingStudy.class, versions),
                new PublishedResourceProvider<>(Provenance.class, versions),
                new PublishedResourceProvider<>(Device.class, versions));
    }

    @Override
    public Class<? extends IBaseResource> getResourceType() {
        return type;
    }

    @Read
    public T read(@IdParam IdType id) {
        String name = type.getSimpleName();
        String part = id.getIdPart();
        try {
            Long draftId = type == Device.class ? versions.draftOfDevice(part) : draftOf(part);
            List<Resource> rs = draftId == null ? null : versions.latest(draftId);
            if (rs != null) {
                for (Resource r : rs) {
                    if (type.isInstance(r) && r.getIdElement().getIdPart().equals(part)) {
                        return type.cast(r);
                    }
                }
            }
        } catch (SQLException e) {
            throw DatabaseError.of(e);
        }
        throw new ResourceNotFoundException(name + "/" + part + " does not exist; the resources of a report are"
                + " listed by DiagnosticReport?_id=<report>&_include=DiagnosticReport:result&_revinclude=Provenance:target");
    }

    /** The draft id an Observation, ImagingStudy or Provenance id starts with, or null. */
    private static Long draftOf(String id) {
        int dash = id.indexOf('-');
        try {
            return Long.parseLong(dash < 0 ? id : id.substring(0, dash));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
