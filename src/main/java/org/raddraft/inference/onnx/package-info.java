/**
 * The in-process drafting backend: a model directory that meets the ONNX model contract
 * (docs/model-contract.md) run with ONNX Runtime. {@code OrtSeq2Seq} holds the sessions (created
 * once, shared by threads), {@code Decoding} runs greedy or beam search over the KV cache,
 * {@code ConfidenceSignals} measures what the flags need by teacher forcing, {@code OrtClassifier}
 * runs the optional independent classifier, {@link org.raddraft.inference.onnx.OnnxDrafter} is the
 * {@link org.raddraft.inference.Drafter}; {@code DjlSeq2Seq} and {@code InferenceBench} compare
 * runtimes for bench/inference.sh.
 *
 * <p>Shares preprocessing, report text and the model directory with the other backends
 * ({@code org.raddraft.inference}); never imports them ({@code inference.remote}).
 */
package org.raddraft.inference.onnx;
