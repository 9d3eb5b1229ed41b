package org.raddraft.phantom;

/**
 * Per-view exposure and positioning.
 *
 * @param rotationDeg  in-plane rotation of the patient on the detector
 * @param scale        magnification (collimation / patient size)
 * @param shiftX       horizontal offset, fraction of the image
 * @param shiftY       vertical offset, fraction of the image
 * @param lo           attenuation value shown black
 * @param hi           attenuation value shown white
 * @param gamma        display curve exponent
 * @param noise        quantum-noise standard deviation in attenuation units
 * @param textureSeed  picks and offsets the shared lung-marking texture
 * @param noiseSeed    offsets the shared noise table
 */
public record Acquisition(double rotationDeg, double scale, double shiftX, double shiftY,
                          double lo, double hi, double gamma, double noise, int textureSeed, int noiseSeed) {
}
