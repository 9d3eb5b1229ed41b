package org.raddraft.dicom;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The Storage service class, SCP role: decides the C-STORE-RSP status of each received instance.
 * Order of events: free-space check before the first byte is written (0xA700), data set into a
 * {@code .part} file (its size and the free space re-checked as it grows: 0xA700, the file deleted), its structure checked and the indexed attributes kept on the way
 * ({@link IncomingInstance}; 0xC000 / 0xA900), fsync started on another thread, then the route,
 * which waits for the fsync before it moves the file into place ({@link ReceivedInstance#awaitDurable});
 * success only once the route returned without an exception and the fsync completed. Every failure
 * deletes the {@code .part} file.
 */
final class StorageScp {

    /** What the Camel route does with a received instance; throwing makes the C-STORE fail. */
    interface Route {
        void deliver(ReceivedInstance instance) throws Exception;
    }

    /** Status and Error Comment for the C-STORE-RSP. */
    record Outcome(int status, String errorComment) {

        static final Outcome SUCCESS = new Outcome(DimseMessages.SUCCESS, null);

        static Outcome of(DicomStatusException e) {
            return new Outcome(e.status(), e.getMessage());
        }

        String statusHex() {
            return String.format("%04X", status);
        }
    }

    private final Path tmpDir;
    /** Looked up once: {@code Files.getFileStore} reads the mount table each time (~0.2 ms a C-STORE). */
    private volatile FileStore fileStore;
    private final long minFreeBytes;
    private final long maxInstanceBytes;
    private final Route route;
    /** Runs the fsync of each received file while its C-STORE is checked and indexed. */
    private final ExecutorService fsyncs = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "spool-fsync");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param receiveDir       where the {@code .part} files go: {@code spool/tmp} or this node's directory in it
     * @param maxInstanceBytes largest data set accepted ({@code dicom.max-instance-mb}); larger ones: A700
     */
    StorageScp(Path receiveDir, long minFreeBytes, long maxInstanceBytes, Route route) {
        this.tmpDir = receiveDir;
        this.minFreeBytes = minFreeBytes;
        this.maxInstanceBytes = maxInstanceBytes;
        this.route = route;
    }

    Path tmpDir() {
        return tmpDir;
    }

    private FileStore fileStore() throws IOException {
        FileStore store = fileStore;
        if (store == null) {
            store = Files.getFileStore(tmpDir);
            fileStore = store;
        }
        return store;
    }

    /**
     * Called when the C-STORE-RQ command has arrived, before its data set.
     *
     * @param writeBuffer the association's ({@link IncomingInstance#writeBuffer()}), lent to this instance
     */
    IncomingInstance begin(DimseMessages.Command rq, String transferSyntaxUid, String callingAe,
            ByteBuffer writeBuffer) {
        DicomStatusException full = spaceShortage("");
        if (full != null) {
            return IncomingInstance.refused(rq, transferSyntaxUid, full);
        }
        Path temp = tmpDir.resolve(UUID.randomUUID() + ".part");
        return IncomingInstance.create(rq, transferSyntaxUid, callingAe, temp, fsyncs, this::whileWriting, writeBuffer);
    }

    /** The free space below the minimum (A700), or null; {@code when} is added to the Error Comment. */
    private DicomStatusException spaceShortage(String when) {
        long usable;
        try {
            usable = fileStore().getUsableSpace();
        } catch (IOException e) {
            return DicomStatusException.outOfResources("cannot check spool free space");
        }
        if (usable < minFreeBytes) {
            return DicomStatusException.outOfResources(
                    "spool free space " + (usable >> 20) + " MB below minimum " + (minFreeBytes >> 20) + " MB" + when);
        }
        return null;
    }

    /**
     * Re-checked as the data set is written: its size against {@code dicom.max-instance-mb}, and every
     * few MB the free space again, so that one large instance (or many at once) cannot fill the spool
     * past the minimum that was there when it started.
     */
    private DicomStatusException whileWriting(long received, boolean checkSpace) {
        if (received > maxInstanceBytes) {
            return DicomStatusException.outOfResources(
                    "instance larger than dicom.max-instance-mb (" + (maxInstanceBytes >> 20) + " MB)");
        }
        return checkSpace ? spaceShortage(" while writing") : null;
    }

    /** Called when the whole data set has arrived (and its fsync started, unless refused). */
    Outcome complete(IncomingInstance in, String callingAe, String remoteHost) {
        if (in.refusal() != null) {
            in.deleteTempFile();
            return Outcome.of(in.refusal());
        }
        DicomAttributes attributes;
        try {
            attributes = in.attributes();
            DimseMessages.Command rq = in.request();
            if (!Objects.equals(attributes.sopClassUid(), rq.affectedSopClassUid())) {
                throw new DicomStatusException(DicomStatusException.DATA_SET_DOES_NOT_MATCH_SOP_CLASS,
                        "SOP Class UID of data set differs from C-STORE-RQ");
            }
            if (!Objects.equals(attributes.sopInstanceUid(), rq.affectedSopInstanceUid())) {
                throw DicomStatusException.cannotUnderstand("SOP Instance UID of data set differs from C-STORE-RQ");
            }
        } catch (DicomFormatException e) {
            in.deleteTempFile();
            return Outcome.of(DicomStatusException.cannotUnderstand(e.getMessage()));
        } catch (DicomStatusException e) {
            in.deleteTempFile();
            return Outcome.of(e);
        }
        try {
            route.deliver(new ReceivedInstance(in.tempFile(), in.transferSyntaxUid(), callingAe, remoteHost,
                    attributes, in::awaitDurable));
            in.awaitDurable(); // success only once the content is on disk, whatever the route did
            return Outcome.SUCCESS;
        } catch (Exception e) {
            in.deleteTempFile();
            DicomStatusException status = statusIn(e);
            if (status != null) {
                return Outcome.of(status);
            }
            return new Outcome(DicomStatusException.PROCESSING_FAILURE, "processing failure: " + brief(e));
        } catch (StackOverflowError | OutOfMemoryError e) {
            in.deleteTempFile();
            return Outcome.of(DicomStatusException.cannotUnderstand(DicomLimitException.exhausted("data set", e)
                    .getMessage()));
        }
    }

    /** After the last association: lets running fsyncs finish, starts no more. */
    void close() {
        fsyncs.shutdown();
    }

    private static DicomStatusException statusIn(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DicomStatusException d) {
                return d;
            }
        }
        return null;
    }

    /**
     * An unexpected failure in words that may go to the PACS (Error Comment) and the log: the root
     * cause's type and where in RadDraft it happened; its message only when RadDraft wrote it, since a
     * library's message (a database driver's, a parser's) can quote the data set.
     */
    static String brief(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getClass().getName().startsWith("org.raddraft.") ? root.getMessage() : null;
        String where = "";
        for (StackTraceElement frame : root.getStackTrace()) {
            if (frame.getClassName().startsWith("org.raddraft.")) {
                where = " at " + frame.getFileName() + ":" + frame.getLineNumber();
                break;
            }
        }
        return root.getClass().getSimpleName() + (m == null ? "" : ": " + m) + where;
    }
}
