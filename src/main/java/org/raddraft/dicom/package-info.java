/**
 * DICOM side of RadDraft: the Camel {@code dicom:} component whose {@code scp} consumer accepts
 * C-STORE / C-ECHO associations from the PACS, reading attributes and decoding pixels of received
 * Part 10 files, and on the way back the report as a DICOM SR ({@link org.raddraft.dicom.StructuredReportWriter})
 * sent with a C-STORE SCU ({@link org.raddraft.dicom.StoreScu}).
 *
 * <p>This is the only package that imports PixelMed; everything it hands out is a plain record
 * ({@link org.raddraft.dicom.ReceivedInstance}, {@link org.raddraft.dicom.DicomAttributes},
 * {@link org.raddraft.dicom.PixelFrame}, {@link org.raddraft.dicom.ReportSr}, {@link org.raddraft.dicom.SopReference}).
 *
 * <p>It must never answer C-STORE success before the received file is fsync'd and the route that
 * processes it has returned without an exception, never accept a transfer syntax it cannot decode,
 * never report an SR as stored without the peer's success or warning status, and never log patient
 * names, patient IDs or birth dates (AE titles and UIDs are fine).
 */
package org.raddraft.dicom;
