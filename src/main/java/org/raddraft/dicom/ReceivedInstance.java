package org.raddraft.dicom;

import java.nio.file.Path;

/**
 * Body of the exchange the {@code dicom:scp} consumer sends for each received C-STORE: a Part 10
 * file (with meta header) written under {@code <spoolDir>/tmp}, whose fsync may still be running
 * while the route does its other work; the route must call {@link #awaitDurable()} before it makes
 * the file visible under its final name, and move it into place (or leave it; the consumer deletes
 * it if the route fails). The consumer answers success only after the fsync, whatever the route does.
 *
 * @param tempFile          the {@code .part} file, complete, being fsync'd
 * @param transferSyntaxUid transfer syntax of the data set as negotiated
 * @param callingAeTitle    calling AE title of the association
 * @param remoteHost        IP address of the peer
 * @param attributes        attributes of the data set in {@code tempFile}
 * @param contentSync       waits for the fsync of {@code tempFile}
 */
public record ReceivedInstance(Path tempFile, String transferSyntaxUid, String callingAeTitle, String remoteHost,
                               DicomAttributes attributes, ContentSync contentSync) {

    /** Waits until a file's content is on disk. */
    @FunctionalInterface
    public interface ContentSync {

        /** For a file that is on disk already. */
        ContentSync DONE = () -> { };

        /** @throws DicomStatusException (out of resources) when the fsync failed */
        void await() throws DicomStatusException;
    }

    /** An instance whose file is on disk already. */
    public ReceivedInstance(Path tempFile, String transferSyntaxUid, String callingAeTitle, String remoteHost,
                            DicomAttributes attributes) {
        this(tempFile, transferSyntaxUid, callingAeTitle, remoteHost, attributes, ContentSync.DONE);
    }

    /**
     * Blocks until {@link #tempFile()}'s content is on disk (fsync'd).
     *
     * @throws DicomStatusException (out of resources) when the fsync failed
     */
    public void awaitDurable() throws DicomStatusException {
        contentSync.await();
    }
}
