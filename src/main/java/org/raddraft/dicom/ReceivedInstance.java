package org.raddraft.dicom;

import java.nio.file.Path;

/** An instance received by C-STORE, already fsync'd in a temp file, waiting to be indexed. */
public record ReceivedInstance(Path tempFile, String transferSyntaxUid, String callingAeTitle, String remoteHost,
        DicomAttributes attributes) {
}
