package org.raddraft.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.FifoMemoryPagingProvider;
import ca.uhn.fhir.rest.server.RestfulServer;

/**
 * The FHIR R4 API at {@code /fhir}: a HAPI plain server whose resource providers are the API. The
 * composition root registers them ({@link #registerProvider}), and HAPI interceptors such as
 * authorization or audit ({@link #registerInterceptor}), before the HTTP server starts.
 * {@code /fhir/metadata} is HAPI's CapabilityStatement of what is registered.
 */
public final class FhirServer extends RestfulServer {

    /** Searches kept for paging ({@code _getpages}); the oldest is dropped first. */
    static final int PAGED_SEARCHES = 200;

    public FhirServer(FhirContext ctx) {
        super(ctx);
        setServerName("RadDraft");
        setImplementationDescription("RadDraft draft chest X-ray reports (AI-assisted, awaiting review)");
        setDefaultResponseEncoding(EncodingEnum.JSON);
        setDefaultPrettyPrint(true);
        FifoMemoryPagingProvider paging = new FifoMemoryPagingProvider(PAGED_SEARCHES);
        paging.setDefaultPageSize(20);
        paging.setMaximumPageSize(200);
        setPagingProvider(paging);
    }
}
