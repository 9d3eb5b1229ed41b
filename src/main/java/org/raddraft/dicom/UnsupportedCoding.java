package org.raddraft.dicom;

/** Compressed pixel data in a form RadDraft's own decoders do not read (PixelMed decodes it instead). */
final class UnsupportedCoding extends Exception {

    UnsupportedCoding(String message) {
        super(message);
    }
}
