package org.raddraft.dicom;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * One C-STORE data set on its way to disk: the Part 10 meta header, then the data set fragments as
 * they arrive, into {@code <spoolDir>/tmp/<random>.part}; {@link #finish()} starts the fsync,
 * {@link #awaitDurable()} waits for it. Fragments are gathered into writes of {@link #WRITE_SIZE}
 * bytes (a 16 KiB PDU would otherwise cost a system call per 16 KiB), in a direct buffer that the
 * association lends to each of its instances in turn: a heap buffer would cost 256 KiB of garbage per
 * instance and one more copy of the data set, into the JDK's temporary direct buffer, at each write. When the store was refused before any byte was written (watermark) or writing failed, the fragments are read and
 * dropped so the association stays usable, and {@link #refusal()} says what to answer.
 */
final class IncomingInstance implements DataSetTarget {

    static final int WRITE_SIZE = 256 * 1024;
    /** Free space is looked at again each time this much more of the data set has arrived. */
    static final long SPACE_CHECK_INTERVAL = 4L * 1024 * 1024;

    /**
     * What the SCP re-checks while a data set is written: given the bytes received so far, the reason
     * to stop writing (the instance is too large, the spool's file system too full), or null.
     */
    @FunctionalInterface
    interface Guard {
        Guard NONE = (received, checkSpace) -> null;

        /** @param checkSpace whether to look at free space this time (every {@link #SPACE_CHECK_INTERVAL}) */
        DicomStatusException check(long received, boolean checkSpace);
    }
    /** PixelMed's, as in the A-ASSOCIATE-AC (see the conformance statement). */
    static final String IMPLEMENTATION_CLASS_UID = "1.3.6.1.4.1.5962.99.2";
    static final String IMPLEMENTATION_VERSION_NAME = "PIXELMEDJAVA001";

    private final DimseMessages.Command request;
    private final String transferSyntaxUid;
    private final Path tempFile;
    private final DataSetWalker walker;
    private final Executor fsyncs;
    private final Guard guard;
    private long received;
    private FileChannel channel;
    private CompletableFuture<Void> durable;
    private ByteBuffer pending;
    private DicomStatusException refusal;
    private long bytes;

    private IncomingInstance(DimseMessages.Command request, String transferSyntaxUid, Path tempFile,
                             Executor fsyncs, Guard guard, DicomStatusException refusal) {
        this.request = request;
        this.fsyncs = fsyncs;
        this.guard = guard;
        this.transferSyntaxUid = transferSyntaxUid;
        this.tempFile = tempFile;
        this.refusal = refusal;
        this.walker = DataSetWalker.forTransferSyntax(transferSyntaxUid, DicomAttributes.TAGS);
    }

    static IncomingInstance refused(DimseMessages.Command request, String transferSyntaxUid,
                                    DicomStatusException refusal) {
        return new IncomingInstance(request, transferSyntaxUid, null, null, Guard.NONE, refusal);
    }

    /**
     * @param fsyncs runs the fsync of the finished file
     * @param guard  stops the writing, and deletes what was written, when the instance grows too large or
     *               the spool too full
     */
    static IncomingInstance create(DimseMessages.Command request, String transferSyntaxUid, String callingAe,
                                   Path tempFile, Executor fsyncs, Guard guard) {
        return create(request, transferSyntaxUid, callingAe, tempFile, fsyncs, guard, writeBuffer());
    }

    /** A buffer for {@link #create}: one per association, used by one instance at a time. */
    static ByteBuffer writeBuffer() {
        return ByteBuffer.allocateDirect(WRITE_SIZE);
    }

    /** @param writeBuffer gathers the fragments into large writes; the caller's, not used by another instance meanwhile */
    static IncomingInstance create(DimseMessages.Command request, String transferSyntaxUid, String callingAe,
                                   Path tempFile, Executor fsyncs, Guard guard, ByteBuffer writeBuffer) {
        if (request.affectedSopClassUid() == null || request.affectedSopInstanceUid() == null) {
            return refused(request, transferSyntaxUid,
                    DicomStatusException.cannotUnderstand("C-STORE-RQ lacks Affected SOP Class/Instance UID"));
        }
        IncomingInstance instance = new IncomingInstance(request, transferSyntaxUid, tempFile, fsyncs, guard, null);
        try {
            instance.channel = FileChannel.open(tempFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            // the header goes out with the data set's first bytes, in one write
            instance.pending = writeBuffer.clear().put(metaHeader(request, transferSyntaxUid, callingAe));
        } catch (IOException | RuntimeException e) {
            instance.fail("cannot write spool file: " + e.getMessage());
        }
        return instance;
    }

    /** 128-byte preamble, "DICM", then group 0002 in Explicit VR Little Endian (PS3.10 section 7.1). */
    private static byte[] metaHeader(DimseMessages.Command rq, String ts, String callingAe) {
        byte[] group = ElementWriter.explicitVr()
                .ob(0x00020001, new byte[] {0, 1})
                .ui(0x00020002, rq.affectedSopClassUid())
                .ui(0x00020003, rq.affectedSopInstanceUid())
                .ui(0x00020010, ts)
                .ui(0x00020012, IMPLEMENTATION_CLASS_UID)
                .text(0x00020013, "SH", IMPLEMENTATION_VERSION_NAME)
                .text(0x00020016, "AE", callingAe)
                .withGroupLength(0x0002);
        byte[] header = new byte[132 + group.length];
        header[128] = 'D';
        header[129] = 'I';
        header[130] = 'C';
        header[131] = 'M';
        System.arraycopy(group, 0, header, 132, group.length);
        return header;
    }

    @Override
    public void write(byte[] fragment, int offset, int length) {
        if (refusal != null || channel == null) {
            return;
        }
        long before = received;
        received += length;
        DicomStatusException stop = guard.check(received,
                before / SPACE_CHECK_INTERVAL != received / SPACE_CHECK_INTERVAL);
        if (stop != null) {
            refusal = stop;
            abandon(); // nothing half-written is kept; the rest of the data set is read and dropped
            return;
        }
        walker.accept(fragment, offset, length);
        try {
            while (length > 0) {
                int n = Math.min(length, pending.remaining());
                pending.put(fragment, offset, n);
                offset += n;
                length -= n;
                if (!pending.hasRemaining()) {
                    writePending();
                }
            }
        } catch (IOException | RuntimeException e) {
            fail("cannot write spool file: " + e.getMessage());
        }
    }

    /** All fragments received: the last write, then the fsync starts (see {@link #awaitDurable()}). */
    @Override
    public void finish() {
        if (refusal != null || channel == null) {
            return;
        }
        try {
            writePending();
        } catch (IOException | RuntimeException e) {
            fail("cannot write spool file: " + e.getMessage());
            return;
        }
        // fsync on another thread, so that checking and indexing the instance overlap the disk
        // flush; whoever makes the file visible or answers success waits for it (awaitDurable)
        FileChannel written = channel;
        channel = null;
        try {
            durable = CompletableFuture.runAsync(() -> forceAndClose(written), fsyncs);
        } catch (RejectedExecutionException e) { // stopping: no thread to spare, fsync here
            durable = CompletableFuture.completedFuture(null);
            try {
                forceAndClose(written);
            } catch (UncheckedIOException failed) {
                fail("cannot fsync spool file: " + failed.getCause().getMessage());
            }
        }
    }

    private static void forceAndClose(FileChannel written) {
        try (written) {
            written.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Blocks until the fsync that {@link #finish()} started has completed.
     *
     * @throws DicomStatusException (out of resources) when it failed
     */
    void awaitDurable() throws DicomStatusException {
        if (durable == null) {
            return;
        }
        try {
            durable.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause() instanceof UncheckedIOException u ? u.getCause() : e.getCause();
            throw DicomStatusException.outOfResources("cannot fsync spool file: " + cause.getMessage());
        }
    }

    /** The association ended before the data set did: drop what was written. */
    @Override
    public void abandon() {
        closeQuietly();
        deleteTempFile();
    }

    void deleteTempFile() {
        if (tempFile != null) {
            try {
                Files.deleteIfExists(tempFile);
            } catch (IOException e) {
                // reported by the caller's log line; a stale .part file is harmless and swept at start-up
            }
        }
    }

    private void writePending() throws IOException {
        pending.flip();
        writeFully(pending);
        pending.clear();
    }

    private void writeFully(ByteBuffer buffer) throws IOException {
        bytes += buffer.remaining();
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    private void fail(String why) {
        refusal = DicomStatusException.outOfResources(why);
        abandon();
    }

    private void closeQuietly() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing more to do
            }
            channel = null;
        }
    }

    /**
     * The attributes of the received data set. Its structure was followed and the values needed were
     * kept as it arrived, so the file is not parsed again (unless its character set needs PixelMed).
     *
     * @throws DicomFormatException when the data set is malformed, incomplete or lacks a UID
     */
    DicomAttributes attributes() throws DicomFormatException {
        walker.checkComplete();
        DicomAttributes attributes = DicomAttributes.fromValues(walker.keptValues());
        if (attributes == null) { // a character set that PixelMed decodes for us
            attributes = DicomAttributes.read(tempFile);
        }
        DicomAttributes.requirePixelDataOfImage(attributes, walker.sawPixelData());
        return attributes;
    }

    DimseMessages.Command request() {
        return request;
    }

    String transferSyntaxUid() {
        return transferSyntaxUid;
    }

    Path tempFile() {
        return tempFile;
    }

    DicomStatusException refusal() {
        return refusal;
    }

    long bytes() {
        return bytes;
    }
}
