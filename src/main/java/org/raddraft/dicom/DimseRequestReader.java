package org.raddraft.dicom;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.function.IntFunction;

/**
 * Reads DIMSE request messages (command set, then data set if any) from the PDUs of an established
 * association (PS3.8 section 9.3, PS3.8 annex E). Data set fragments go to the {@link DataSetTarget}
 * that the {@link Opener} chose for the command, as they arrive. Besides P-DATA-TF, the peer may
 * send A-RELEASE-RQ (between messages) and A-ABORT; anything else, or a PDU whose fields do not add
 * up, is a {@link PduException} and the caller aborts the association.
 *
 * @param <T> the data set target the opener returns, handed back with the request
 */
final class DimseRequestReader<T extends DataSetTarget> {

    /** Command sets are a few hundred bytes; this bounds what one is allowed to make us buffer. */
    static final int MAX_COMMAND_SET_LENGTH = 64 * 1024;
    private static final int COMMAND = 0x01;
    private static final int LAST_FRAGMENT = 0x02;

    /** Chooses where a command's data set goes; null drops it (the caller still answers the command). */
    interface Opener<T> {
        T open(DimseMessages.Command command, String transferSyntaxUid);
    }

    /** One complete request; {@code dataSet} has been finished (or is null). */
    record Request<T>(int presentationContextId, DimseMessages.Command command, T dataSet, long startNanos) {
    }

    private final PduInput in;
    private final IntFunction<String> acceptedTransferSyntax;
    private final Opener<T> opener;
    /** Bytes of the current P-DATA-TF PDU not read yet: a message may end in the middle of a PDU. */
    private long pduRemaining;

    // the message being read
    private final ByteArrayOutputStream commandBytes = new ByteArrayOutputStream(256);
    private int contextId;
    private DimseMessages.Command command;
    private T dataSet;
    private long startNanos;

    /**
     * @param acceptedTransferSyntax the transfer syntax of an accepted presentation context, by ID;
     *                               null for an ID that was not accepted
     */
    DimseRequestReader(PduInput in, IntFunction<String> acceptedTransferSyntax, Opener<T> opener) {
        this.in = in;
        this.acceptedTransferSyntax = acceptedTransferSyntax;
        this.opener = opener;
    }

    /** The next request, or null when the peer asked to release the association. */
    Request<T> next() throws IOException {
        commandBytes.reset();
        contextId = -1;
        command = null;
        dataSet = null;
        startNanos = 0;
        while (true) {
            if (pduRemaining == 0) {
                if (!nextPData()) {
                    return null;
                }
            } else if (readPdv()) {
                return new Request<>(contextId, command, dataSet, startNanos);
            }
        }
    }

    /** The association ended while a message was being read: drops its partial data set. */
    void abandon() {
        if (dataSet != null) {
            dataSet.abandon();
            dataSet = null;
        }
    }

    /** Reads PDU headers up to the next P-DATA-TF; false on A-RELEASE-RQ. */
    private boolean nextPData() throws IOException {
        int type = in.readUnsignedByte();
        in.readUnsignedByte(); // reserved
        long length = in.readUnsignedInt();
        switch (type) {
            case PduType.P_DATA_TF -> {
                if (length == 0) {
                    throw PduException.invalid("P-DATA-TF PDU without PDV items");
                }
                pduRemaining = length;
                return true;
            }
            case PduType.A_RELEASE_RQ -> {
                skipSmallPdu(type, length);
                if (contextId >= 0) {
                    throw PduException.unexpected("A-RELEASE-RQ in the middle of a DIMSE message");
                }
                return false;
            }
            case PduType.A_ABORT -> {
                if (length < 4) {
                    throw PduException.invalid("A-ABORT PDU length " + length);
                }
                in.readUnsignedByte(); // reserved
                in.readUnsignedByte(); // reserved
                int source = in.readUnsignedByte();
                int reason = in.readUnsignedByte();
                skipSmallPdu(type, length - 4);
                throw new PeerAbortException(source, reason);
            }
            default -> {
                if (type >= PduType.A_ASSOCIATE_RQ && type <= PduType.A_RELEASE_RP) {
                    throw PduException.unexpected("unexpected PDU type 0x0" + type + " on an established association");
                }
                throw new PduException(PduException.UNRECOGNIZED_PDU,
                        "unrecognized PDU type 0x" + Integer.toHexString(type));
            }
        }
    }

    private void skipSmallPdu(int type, long length) throws IOException {
        if (length > 1024) {
            throw PduException.invalid("PDU type 0x0" + type + " with length " + length);
        }
        in.skip(length);
    }

    /** Reads one PDV item of the current PDU; true when it completed the message. */
    private boolean readPdv() throws IOException {
        if (pduRemaining < 6) {
            throw PduException.invalid("PDV item header runs past the end of its P-DATA-TF PDU");
        }
        long itemLength = in.readUnsignedInt();
        int pcId = in.readUnsignedByte();
        int control = in.readUnsignedByte();
        if (itemLength < 2 || itemLength > pduRemaining - 4) {
            throw PduException.invalid("PDV item length " + itemLength + " does not fit the " + pduRemaining
                    + " bytes left in its P-DATA-TF PDU");
        }
        pduRemaining -= 4 + itemLength;
        checkContext(pcId);
        long fragment = itemLength - 2;
        boolean last = (control & LAST_FRAGMENT) != 0;
        return (control & COMMAND) != 0 ? commandFragment(fragment, last) : dataFragment(fragment, last);
    }

    private void checkContext(int pcId) throws PduException {
        if (contextId < 0) {
            if (acceptedTransferSyntax.apply(pcId) == null) {
                throw PduException.invalid("PDV on presentation context " + pcId + ", which was not accepted");
            }
            contextId = pcId;
        } else if (pcId != contextId) {
            throw PduException.unexpected("PDV on presentation context " + pcId + " inside a message on context "
                    + contextId);
        }
    }

    private boolean commandFragment(long length, boolean last) throws IOException {
        if (command != null) {
            throw PduException.unexpected("command fragment after the command set was complete");
        }
        if (startNanos == 0) {
            startNanos = System.nanoTime();
        }
        if (commandBytes.size() + length > MAX_COMMAND_SET_LENGTH) {
            throw PduException.invalid("command set longer than " + MAX_COMMAND_SET_LENGTH + " bytes");
        }
        in.readInto(commandBytes, length);
        if (!last) {
            return false;
        }
        try {
            command = DimseMessages.parseCommand(commandBytes.toByteArray());
        } catch (IOException e) {
            throw PduException.invalid("unreadable command set: " + e.getMessage());
        }
        if (!command.hasDataSet()) {
            return true;
        }
        dataSet = opener.open(command, acceptedTransferSyntax.apply(contextId));
        return false;
    }

    private boolean dataFragment(long length, boolean last) throws IOException {
        if (command == null) {
            throw PduException.unexpected("data set fragment before a complete command set");
        }
        if (dataSet != null) {
            in.transfer(length, dataSet);
        } else {
            in.skip(length);
        }
        if (last && dataSet != null) {
            dataSet.finish();
        }
        return last;
    }
}
