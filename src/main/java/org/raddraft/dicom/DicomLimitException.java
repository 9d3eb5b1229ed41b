package org.raddraft.dicom;

/**
 * A data set that may be well formed but goes beyond what RadDraft will parse or decode: sequences
 * nested deeper than {@link DataSetWalker#MAX_NESTING}, an image larger than the configured maximum,
 * or one whose parse ran a third-party library out of stack or memory. The message is RadDraft's own
 * wording (never the library's), fit for an Error Comment, a study's reason or a log line.
 */
public class DicomLimitException extends DicomFormatException {

    private static final long serialVersionUID = 1L;

    public DicomLimitException(String message) {
        super(message);
    }

    /**
     * What a {@link StackOverflowError} or {@link OutOfMemoryError} thrown by a parse or decode of
     * {@code what} (e.g. "data set", "pixel data") means for the file: it is refused, the JVM goes on.
     */
    static DicomLimitException exhausted(String what, VirtualMachineError e) {
        return new DicomLimitException(e instanceof StackOverflowError
                ? "cannot parse " + what + ": nested too deeply"
                : "cannot decode " + what + ": too large for the memory available");
    }
}
