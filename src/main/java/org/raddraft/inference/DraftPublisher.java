package org.raddraft.inference;

import java.sql.Connection;

/**
 * What else is stored with a new draft in the transaction that stores it: its FHIR resources,
 * validated. Throwing refuses the draft: the transaction rolls back and the study is FAILED with the
 * exception's message, so an invalid report is never stored half-way.
 */
@FunctionalInterface
public interface DraftPublisher {

    /** Nothing published (tests of drafting alone). */
    DraftPublisher NONE = (c, draftId) -> { };

    /** Called inside the drafting transaction, after the draft row {@code draftId} was inserted. */
    void publish(Connection c, long draftId) throws Exception;
}
