package org.raddraft.dicom;

/**
 * An encoded display image and how it was made.
 *
 * @param bytes        the PNG or JPEG file
 * @param mediaType    image/png or image/jpeg
 * @param width        columns of the result
 * @param height       rows of the result
 * @param sourceWidth  Columns of the DICOM image
 * @param sourceHeight Rows of the DICOM image
 * @param center       Window Center applied, in modality units
 * @param windowWidth  Window Width applied
 * @param windowSource where the window came from: "file", "percentiles" or "explicit"
 */
public record RenderedImage(byte[] bytes, String mediaType, int width, int height, int sourceWidth, int sourceHeight,
                            double center, double windowWidth, String windowSource) {
}
