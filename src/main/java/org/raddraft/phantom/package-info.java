/**
 * Synthetic chest phantoms: a deterministic procedural generator of frontal and lateral chest
 * radiograph-like images with parameterised findings, their CheXpert-style ground truth and a
 * reference report composed from a small phrase grammar.
 *
 * <p>Everything here is synthetic and exists so that the pipeline and the bundled reference model
 * can be trained and scored against known truth. It must never be presented as clinical data.
 * This package never imports PixelMed; DICOM encoding goes through {@code org.raddraft.dicom}.
 */
package org.raddraft.phantom;
