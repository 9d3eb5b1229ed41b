package org.raddraft.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.FifoMemoryPagingProvider;
import ca.uhn.fhir.rest.server.RestfulServer;
import java.util.function.Function;

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

    /**
     * Binds each stored search to whoever made it ({@code owner} of the request, e.g. the account id):
     * its paging links ({@code _getpages}) then work for that caller only ({@link OwnedPaging}).
     */
    public void bindPagesTo(Function<RequestDetails, Object> owner) {
        OwnedPaging paging = new OwnedPaging(PAGED_SEARCHES, owner);
        paging.setDefaultPageSize(getPagingProvider().getDefaultPageSize());
        paging.setMaximumPageSize(getPagingProvider().getMaximumPageSize());
        setPagingProvider(paging);
    }
}
