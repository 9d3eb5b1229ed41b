package org.raddraft.dicom;

import java.nio.file.Path;

/**
 * Body of the exchange the {@code dicom:scp} consumer sends for each received C-STORE: a Part 10
 * file (with meta header) already written and fsync'd under {@code <spoolDir>/tmp}, which the
 * route must move into place (or leave; the consumer deletes it if the route fails).
 *
 * @param tempFile          the fsync'd {@code .part} file
 * @param transferSyntaxUid transfer syntax of the data set as negotiated
 * @param callingAeTitle    calling AE title of the association
 * @param remoteHost        IP address of the peer
 * @param attributes        attributes parsed back from {@code tempFile}
 */
public record ReceivedInstance(Path tempFile, String transferSyntaxUid, String callingAeTitle, String remoteHost,
                               DicomAttributes attributes) {
}
