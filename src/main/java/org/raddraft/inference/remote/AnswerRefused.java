package org.raddraft.inference.remote;

import org.raddraft.inference.InferenceException;

/**
 * An engine answered, but not with a usable draft: a malformed body, no choice, an empty or cut-off
 * text, or a 4xx refusal of the request. The study fails with this reason (retried up to
 * draft.max-attempts); the message holds no text from the answer, which could echo the prompt.
 */
public final class AnswerRefused extends InferenceException {

    public AnswerRefused(String message) {
        super(message);
    }
}
