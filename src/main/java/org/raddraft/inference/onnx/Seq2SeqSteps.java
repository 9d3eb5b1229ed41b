package org.raddraft.inference.onnx;

import org.raddraft.inference.InferenceException;

/**
 * The three calls of an encoder-decoder with a KV cache, as the Optimum files define them; the
 * decoding loops ({@link Decoding}) run on top of it. {@code C} is the runtime's cache (ONNX Runtime
 * tensors, DJL NDArrays, ...).
 */
interface Seq2SeqSteps<C extends AutoCloseable> extends AutoCloseable {

    /**
     * Encoder on {@code pixels} ({@code batch x views x S x S}) and the first decoder step
     * ({@code decoder_model}) on {@code startToken} for every row.
     */
    Step<C> start(float[] pixels, int batch, long startToken) throws InferenceException;

    /** One {@code decoder_with_past_model} step: one token per row of {@code cache}. */
    Step<C> next(C cache, long[] tokens) throws InferenceException;

    /**
     * A cache whose row {@code i} is row {@code rows[i]} of {@code cache} (beam search: expand a study
     * to its beams, reorder beams). {@code cache} stays open.
     */
    C select(C cache, int[] rows) throws InferenceException;

    /** Vocabulary size (last dimension of logits). */
    int vocabSize();

    @Override
    void close();

    /** Logits of the last position, {@code rows x vocab}, and the cache to feed the next step. */
    record Step<C>(float[] logits, int rows, C cache) {
    }
}
