/**
 * Inference: DICOM pixels to a drafted FINDINGS / IMPRESSION with a model directory that meets the
 * model contract (docs/model-contract.md, docs/inference.md).
 *
 * <p>{@link org.raddraft.inference.ModelDirectory} checks the directory; {@code Preprocessor} turns
 * Part 10 files into {@code pixel_values} exactly as the training code feeds the model;
 * {@code OrtSeq2Seq} holds the ONNX Runtime sessions (created once, shared by threads) and
 * {@code Decoding} runs greedy or beam search over the KV cache; {@link org.raddraft.inference.OnnxDrafter}
 * is the {@link org.raddraft.inference.Drafter} the daemon uses; {@code raddraft eval}
 * lives in {@code org.raddraft.cli}.
 *
 * <p>This package must never import PixelMed (pixels come from {@code org.raddraft.dicom.DicomPixels}),
 * never download anything at run time (DJL runs with {@code ai.djl.offline=true}), never start
 * half-working on a wrong model directory, and never log patient data (internal study ids only).
 */
package org.raddraft.inference;
