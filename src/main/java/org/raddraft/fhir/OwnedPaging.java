package org.raddraft.fhir;

import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.FifoMemoryPagingProvider;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * HAPI's in-memory paging ({@code ?_getpages=<id>}), each stored search bound to whoever made it: a
 * paging id used by another account is answered like an unknown or expired one (410 Gone), so that a
 * leaked or guessed link shows nothing and does not tell that it exists.
 */
final class OwnedPaging extends FifoMemoryPagingProvider {

    private final int size;
    private final Function<RequestDetails, Object> owner;
    private final Map<String, Object> owners;

    /**
     * @param owner who makes a request (e.g. the account id); a search whose owner is null is never paged
     */
    OwnedPaging(int size, Function<RequestDetails, Object> owner) {
        super(size);
        this.size = size;
        this.owner = owner;
        this.owners = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Object> eldest) {
                return size() > OwnedPaging.this.size;
            }
        };
    }

    @Override
    public synchronized String storeResultList(RequestDetails rd, IBundleProvider list) {
        String id = super.storeResultList(rd, list);
        owners.put(id, owner.apply(rd));
        return id;
    }

    @Override
    public synchronized IBundleProvider retrieveResultList(RequestDetails rd, String id) {
        Object madeBy = owners.get(id);
        if (madeBy == null || !Objects.equals(madeBy, owner.apply(rd))) {
            return null; // HAPI answers 410: no such search
        }
        return super.retrieveResultList(rd, id);
    }

    @Override
    public IBundleProvider retrieveResultList(RequestDetails rd, String id, String pageId) {
        return retrieveResultList(rd, id);
    }
}
