package org.raddraft.dicom;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.TransferSyntax;
import com.pixelmed.network.CStoreRequestCommandMessage;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hand-written command set codec against PixelMed's, as an independent reader and writer. */
class DimseMessagesTest {

    private static final String SOP = "1.2.826.0.1.3680043.10.99.7";

    @Test
    void readsACStoreRequestThatPixelMedWrote() throws Exception {
        CStoreRequestCommandMessage rq = new CStoreRequestCommandMessage(Pdus.CR_IMAGE_STORAGE, SOP);
        DimseMessages.Command c = DimseMessages.parseCommand(rq.getBytes());
        assertEquals(new DimseMessages.Command(DimseMessages.C_STORE_RQ, rq.getMessageID(), Pdus.CR_IMAGE_STORAGE, SOP,
                true), c);
    }

    @Test
    void writesAResponseThatPixelMedReads() throws Exception {
        DimseMessages.Command rq = new DimseMessages.Command(DimseMessages.C_STORE_RQ, 9, Pdus.CR_IMAGE_STORAGE, SOP,
                true);
        byte[] bytes = DimseMessages.cStoreResponse(rq, 0xC000, "Study Instance UID (0020,000D) missing");
        AttributeList list = new AttributeList();
        list.read(new DicomInputStream(new ByteArrayInputStream(bytes), TransferSyntax.ImplicitVRLittleEndian, false));
        assertEquals(bytes.length - 12, Attribute.getSingleIntegerValueOrDefault(list, new AttributeTag(0, 0), -1));
        assertEquals(Pdus.CR_IMAGE_STORAGE, Attribute.getSingleStringValueOrNull(list, TagFromName.AffectedSOPClassUID));
        assertEquals(SOP, Attribute.getSingleStringValueOrNull(list, TagFromName.AffectedSOPInstanceUID));
        assertEquals(DimseMessages.C_STORE_RSP, Attribute.getSingleIntegerValueOrDefault(list, TagFromName.CommandField, 0));
        assertEquals(9, Attribute.getSingleIntegerValueOrDefault(list, TagFromName.MessageIDBeingRespondedTo, 0));
        assertEquals(0x0101, Attribute.getSingleIntegerValueOrDefault(list, TagFromName.CommandDataSetType, 0));
        assertEquals(0xC000, Attribute.getSingleIntegerValueOrDefault(list, TagFromName.Status, 0));
        assertEquals("Study Instance UID (0020,000D) missing",
                Attribute.getSingleStringValueOrNull(list, new AttributeTag(0, 0x0902)).trim());
    }

    @Test
    void aCommandSetThatRunsPastItsEndIsRefused() {
        byte[] bytes = Pdus.cEchoRq(1);
        bytes[bytes.length - 4] = 0x7f; // a length far beyond the end... of the last element's value
        IOException e = assertThrows(IOException.class,
                () -> DimseMessages.parseCommand(java.util.Arrays.copyOf(bytes, bytes.length - 1)));
        assertTrue(e.getMessage().contains("(0000,"), e.getMessage());
    }
}
