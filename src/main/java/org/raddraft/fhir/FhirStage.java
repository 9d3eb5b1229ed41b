package org.raddraft.fhir;

import ca.uhn.fhir.context.FhirContext;
import java.time.Clock;
import org.raddraft.store.Database;

/**
 * The FHIR stage, assembled: the publisher (drafting stores validated versions through it) and the
 * FHIR server with RadDraft's resource providers registered. Other stages add theirs to
 * {@link #server()} (operations, interceptors) before the HTTP server starts.
 */
public final class FhirStage {

    private final FhirPublisher publisher;
    private final FhirServer server;
    private final FhirVersions versions;

    private FhirStage(FhirPublisher publisher, FhirServer server, FhirVersions versions) {
        this.publisher = publisher;
        this.server = server;
        this.versions = versions;
    }

    /** @param canonicalBase {@code fhir.canonical-base}: the base of RadDraft's profile, extension and code system URLs */
    public static FhirStage open(Database db, String canonicalBase, Clock clock) {
        return open(db, canonicalBase, clock, null);
    }

    /** @param spool where the study's files are: the reports' subject then names the patient (the review page's worklist) */
    public static FhirStage open(Database db, String canonicalBase, Clock clock, java.nio.file.Path spool) {
        FhirContext ctx = FhirContext.forR4Cached();
        // RadDraft's references are ids or identifiers, never in-memory resources, so nothing is ever to be
        // contained: without this HAPI walks every encoded resource looking for some (10 % of a worklist page)
        ctx.getParserOptions().setAutoContainReferenceTargetsWithNoId(false);
        Canonical canonical = new Canonical(canonicalBase);
        DiagnosticReportMapper mapper = new DiagnosticReportMapper(canonical);
        FhirPublisher publisher = new FhirPublisher(db, ctx, mapper, new ResourceValidator(ctx, canonical), clock,
                spool);
        FhirVersions versions = new FhirVersions(db, ctx);
        FhirServer server = new FhirServer(ctx);
        server.registerProvider(new DiagnosticReportProvider(versions));
        PublishedResourceProvider.all(versions).forEach(server::registerProvider);
        return new FhirStage(publisher, server, versions);
    }

    public FhirPublisher publisher() {
        return publisher;
    }

    public FhirServer server() {
        return server;
    }

    /** The DiagnosticReport of a draft as /fhir serves it now (its newest version), or null (review answers $approve with it). */
    public org.hl7.fhir.r4.model.DiagnosticReport report(long draftId) throws java.sql.SQLException {
        java.util.List<org.hl7.fhir.r4.model.Resource> latest = versions.latest(draftId);
        return latest == null || latest.isEmpty() ? null : (org.hl7.fhir.r4.model.DiagnosticReport) latest.get(0);
    }
}
