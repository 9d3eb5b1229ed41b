/**
 * Inference: DICOM pixels to a drafted FINDINGS / IMPRESSION. This package holds the drafting seam
 * ({@link org.raddraft.inference.Drafter}, {@link org.raddraft.inference.Draft}, the
 * {@link org.raddraft.inference.DraftQueue} work list) and what every backend shares: the model
 * directory and its manifest ({@link org.raddraft.inference.ModelDirectory}), {@code Preprocessor}
 * (Part 10 files to pixels exactly as the training code sees them), {@code ReportText} (sections).
 * The backends live side by side: {@code inference.onnx} (in-process ONNX Runtime) and
 * {@code inference.remote} (an OpenAI-compatible chat engine such as vLLM); the model directory's
 * manifest picks one. {@code raddraft eval} and {@code calibrate} live in {@code org.raddraft.cli}.
 *
 * <p>This package must never import PixelMed (pixels come from {@code org.raddraft.dicom.DicomPixels}),
 * never download anything at run time (DJL runs with {@code ai.djl.offline=true}), never start
 * half-working on a wrong model directory, and never log patient data (internal study ids only).
 */
package org.raddraft.inference;
