package org.raddraft.dicom;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.network.Association;
import com.pixelmed.network.CompositeResponseHandler;
import com.pixelmed.network.DicomNetworkException;
import com.pixelmed.network.PDataPDU;
import com.pixelmed.network.PresentationDataValue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * Receives one DIMSE request message (command set, then data set if any) from PixelMed's P-DATA
 * loop. A C-STORE data set is streamed to disk fragment by fragment through
 * {@link StorageScp#begin}, never held in memory. Reports done to PixelMed when the message is
 * complete; the caller then answers it.
 *
 * <p>Extends {@link CompositeResponseHandler} only because PixelMed's {@code ReceivedDataHandler}
 * has package-private constructors; the response-handler parts are unused.
 */
final class DimseRequestReader extends CompositeResponseHandler {

    private final StorageScp storageScp;
    private final String callingAe;
    private final ByteArrayOutputStream commandBytes = new ByteArrayOutputStream(256);
    private DimseMessages.Command command;
    private IncomingInstance incoming;
    private byte presentationContextId;
    private long startNanos;

    DimseRequestReader(StorageScp storageScp, String callingAe) {
        this.storageScp = storageScp;
        this.callingAe = callingAe;
    }

    @Override
    public void sendPDataIndication(PDataPDU pdata, Association association)
            throws DicomNetworkException, DicomException, IOException {
        for (Object o : pdata.getPDVList()) {
            PresentationDataValue pdv = (PresentationDataValue) o;
            presentationContextId = pdv.getPresentationContextID();
            if (pdv.isCommand()) {
                if (startNanos == 0) {
                    startNanos = System.nanoTime();
                }
                commandBytes.write(pdv.getValue());
                if (pdv.isLastFragment()) {
                    commandComplete(association);
                }
            } else if (incoming != null) {
                incoming.write(pdv.getValue());
                if (pdv.isLastFragment()) {
                    incoming.finish();
                    setDone(true);
                }
            } else if (pdv.isLastFragment()) {
                // a data set for a command we do not serve: dropped, the caller answers the command
                setDone(true);
            }
        }
    }

    private void commandComplete(Association association) throws DicomNetworkException, DicomException, IOException {
        command = DimseMessages.parseCommand(commandBytes.toByteArray());
        if (command.commandField() == DimseMessages.C_STORE_RQ) {
            String ts = association.getTransferSyntaxForPresentationContextID(presentationContextId);
            incoming = storageScp.begin(command, ts, callingAe);
        }
        if (!command.hasDataSet()) {
            setDone(true);
        }
    }

    @Override
    protected void evaluateStatusAndSetSuccess(AttributeList list) {
        // not a response handler
    }

    /** The association ended mid-message. */
    void abandon() {
        if (incoming != null) {
            incoming.abandon();
        }
    }

    DimseMessages.Command command() {
        return command;
    }

    IncomingInstance incoming() {
        return incoming;
    }

    byte presentationContextId() {
        return presentationContextId;
    }

    long startNanos() {
        return startNanos;
    }
}
