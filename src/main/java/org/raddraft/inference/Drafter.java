package org.raddraft.inference;

import java.util.List;

/**
 * Drafts reports for studies that wait together (one batch). A study that cannot be drafted
 * (undecodable pixels, ...) yields a failed outcome without affecting the others; an exception
 * means the model itself failed.
 */
public interface Drafter extends AutoCloseable {

    List<DraftOutcome> draft(List<StudyImages> studies) throws InferenceException;

    /** Takes each study's outcome as soon as it is ready (stores it). */
    @FunctionalInterface
    interface OutcomeSink {
        void accept(DraftOutcome outcome) throws Exception;
    }

    /**
     * Drafts the batch and hands each outcome to {@code done} in the calling thread. The default drafts
     * the whole batch, then hands the outcomes over in order (an in-process model drafts the batch in
     * one call); a backend whose studies finish one by one (a remote engine) hands each over as it
     * finishes, so a study is not held back by the slowest of its batch.
     */
    default void draft(List<StudyImages> studies, OutcomeSink done) throws Exception {
        for (DraftOutcome o : draft(studies)) {
            done.accept(o);
        }
    }

    @Override
    void close();
}
