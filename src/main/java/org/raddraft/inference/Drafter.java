package org.raddraft.inference;

import java.util.List;

/**
 * Drafts reports for studies that wait together (one batch). A study that cannot be drafted
 * (undecodable pixels, ...) yields a failed outcome without affecting the others; an exception
 * means the model itself failed.
 */
public interface Drafter extends AutoCloseable {

    List<DraftOutcome> draft(List<StudyImages> studies) throws InferenceException;

    @Override
    void close();
}
