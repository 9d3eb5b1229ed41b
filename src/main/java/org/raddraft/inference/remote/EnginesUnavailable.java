package org.raddraft.inference.remote;

import org.raddraft.inference.InferenceException;

/**
 * No endpoint could answer now (every one timed out, refused, failed or has its circuit open): the
 * study waits and is drafted on a later attempt; nothing about the study is wrong.
 */
public final class EnginesUnavailable extends InferenceException {

    public EnginesUnavailable(String message) {
        super(message);
    }
}
