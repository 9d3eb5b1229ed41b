package org.raddraft.dicom;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The transfer syntaxes the SCP accepts, in order of preference (the first one the SCU proposes in
 * a presentation context wins). Only syntaxes that {@link DicomPixels} is tested to decode are
 * listed; everything else (JPEG-LS, JPEG Extended 12-bit, Deflate, Big Endian, MPEG, HTJ2K) is
 * refused at negotiation with result 4, transfer-syntaxes-not-supported.
 */
enum AcceptedTransferSyntax {

    EXPLICIT_VR_LITTLE_ENDIAN("1.2.840.10008.1.2.1", "Explicit VR Little Endian"),
    IMPLICIT_VR_LITTLE_ENDIAN("1.2.840.10008.1.2", "Implicit VR Little Endian"),
    JPEG_LOSSLESS_SV1("1.2.840.10008.1.2.4.70", "JPEG Lossless, First-Order Prediction (Process 14 SV1)"),
    JPEG_LOSSLESS("1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)"),
    JPEG_2000_LOSSLESS("1.2.840.10008.1.2.4.90", "JPEG 2000 Image Compression (Lossless Only)"),
    RLE_LOSSLESS("1.2.840.10008.1.2.5", "RLE Lossless"),
    JPEG_2000("1.2.840.10008.1.2.4.91", "JPEG 2000 Image Compression"),
    JPEG_BASELINE("1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)");

    private final String uid;
    private final String title;

    AcceptedTransferSyntax(String uid, String title) {
        this.uid = uid;
        this.title = title;
    }

    String uid() {
        return uid;
    }

    String title() {
        return title;
    }

    static Optional<AcceptedTransferSyntax> of(String uid) {
        return Arrays.stream(values()).filter(t -> t.uid.equals(uid)).findFirst();
    }

    /** The most preferred of {@code proposed}, if any is accepted. */
    static Optional<AcceptedTransferSyntax> choose(List<String> proposed) {
        return Arrays.stream(values()).filter(t -> proposed.contains(t.uid)).findFirst();
    }
}
