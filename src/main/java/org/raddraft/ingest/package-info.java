/**
 * Ingest: indexes instances the DICOM receiver wrote, assembles them into studies, and gates scope.
 *
 * <p>Must never acknowledge an instance that is not both on disk (fsync'd, atomically renamed) and
 * committed as a row, and must never drop an instance that arrives late: it re-opens its study.
 * Logs use internal ids and UIDs only, never patient names or IDs.
 */
package org.raddraft.ingest;
