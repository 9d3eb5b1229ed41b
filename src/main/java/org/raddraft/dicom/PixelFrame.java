package org.raddraft.dicom;

/**
 * First frame of a grey-scale image as stored: raw stored values (sign-extended when Pixel
 * Representation is signed), row-major, before any rescale or VOI.
 *
 * @param rows             Rows (0028,0010)
 * @param columns          Columns (0028,0011)
 * @param bitsStored       Bits Stored (0028,0101)
 * @param monochrome1      true when Photometric Interpretation is MONOCHROME1 (low values are white)
 * @param values           {@code rows * columns} stored values
 * @param rescaleSlope     Rescale Slope, 1 when absent
 * @param rescaleIntercept Rescale Intercept, 0 when absent
 * @param windowCenter     first Window Center value, null when absent
 * @param windowWidth      first Window Width value, null when absent
 */
public record PixelFrame(int rows, int columns, int bitsStored, boolean monochrome1, int[] values,
                         double rescaleSlope, double rescaleIntercept, Double windowCenter, Double windowWidth) {

    /** Smallest and largest stored value, as {@code {min, max}}. */
    public int[] range() {
        int min = Integer.MAX_VALUE;
        int max = Integer.MIN_VALUE;
        for (int v : values) {
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
        }
        return new int[] {min, max};
    }
}
