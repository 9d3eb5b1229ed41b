package org.raddraft.dicom;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.DicomOutputStream;
import com.pixelmed.dicom.LongStringAttribute;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.TransferSyntax;
import com.pixelmed.dicom.UniqueIdentifierAttribute;
import com.pixelmed.dicom.UnsignedLongAttribute;
import com.pixelmed.dicom.UnsignedShortAttribute;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * DIMSE command sets (PS3.7 section 9.3), encoded with PixelMed's attribute classes. PixelMed's own
 * response classes cannot carry an Error Comment, hence this.
 */
final class DimseMessages {

    static final int C_STORE_RQ = 0x0001;
    static final int C_STORE_RSP = 0x8001;
    static final int C_ECHO_RQ = 0x0030;
    static final int C_ECHO_RSP = 0x8030;
    static final int NO_DATA_SET = 0x0101;
    static final int SUCCESS = 0x0000;

    private static final AttributeTag COMMAND_GROUP_LENGTH = new AttributeTag(0x0000, 0x0000);
    private static final AttributeTag ERROR_COMMENT = new AttributeTag(0x0000, 0x0902);

    /** A received request command: what the SCP needs of it. */
    record Command(int commandField, int messageId, String affectedSopClassUid, String affectedSopInstanceUid,
                   boolean hasDataSet) {
    }

    private DimseMessages() {
    }

    static Command parseCommand(byte[] bytes) throws DicomException, IOException {
        AttributeList list = new AttributeList();
        list.read(new DicomInputStream(new ByteArrayInputStream(bytes), TransferSyntax.ImplicitVRLittleEndian, false));
        String sopClass = Attribute.getSingleStringValueOrNull(list, TagFromName.AffectedSOPClassUID);
        String sopInstance = Attribute.getSingleStringValueOrNull(list, TagFromName.AffectedSOPInstanceUID);
        return new Command(
                Attribute.getSingleIntegerValueOrDefault(list, TagFromName.CommandField, -1),
                Attribute.getSingleIntegerValueOrDefault(list, TagFromName.MessageID, 0),
                sopClass == null ? null : sopClass.trim(),
                sopInstance == null ? null : sopInstance.trim(),
                Attribute.getSingleIntegerValueOrDefault(list, TagFromName.CommandDataSetType, NO_DATA_SET)
                        != NO_DATA_SET);
    }

    static byte[] cStoreResponse(Command rq, int status, String errorComment) throws DicomException, IOException {
        return response(C_STORE_RSP, rq, status, errorComment);
    }

    static byte[] cEchoResponse(Command rq) throws DicomException, IOException {
        return response(C_ECHO_RSP, rq, SUCCESS, null);
    }

    private static byte[] response(int commandField, Command rq, int status, String errorComment)
            throws DicomException, IOException {
        AttributeList list = new AttributeList();
        put(list, new UnsignedLongAttribute(COMMAND_GROUP_LENGTH), 0);
        put(list, new UniqueIdentifierAttribute(TagFromName.AffectedSOPClassUID), rq.affectedSopClassUid());
        put(list, new UnsignedShortAttribute(TagFromName.CommandField), commandField);
        put(list, new UnsignedShortAttribute(TagFromName.MessageIDBeingRespondedTo), rq.messageId());
        put(list, new UnsignedShortAttribute(TagFromName.CommandDataSetType), NO_DATA_SET);
        put(list, new UnsignedShortAttribute(TagFromName.Status), status);
        if (errorComment != null && status != SUCCESS) {
            put(list, new LongStringAttribute(ERROR_COMMENT), errorComment(errorComment));
        }
        if (rq.affectedSopInstanceUid() != null) {
            put(list, new UniqueIdentifierAttribute(TagFromName.AffectedSOPInstanceUID), rq.affectedSopInstanceUid());
        }
        ByteArrayOutputStream bout = new ByteArrayOutputStream();
        list.write(new DicomOutputStream(bout, null, TransferSyntax.ImplicitVRLittleEndian));
        byte[] bytes = bout.toByteArray();
        int groupLength = bytes.length - 12; // everything after the group length element itself
        bytes[8] = (byte) groupLength;
        bytes[9] = (byte) (groupLength >> 8);
        bytes[10] = (byte) (groupLength >> 16);
        bytes[11] = (byte) (groupLength >> 24);
        return bytes;
    }

    /** Error Comment is LO: at most 64 characters, no backslash, no control characters. */
    static String errorComment(String text) {
        StringBuilder sb = new StringBuilder();
        for (char c : text.toCharArray()) {
            sb.append(c == '\\' || c < 0x20 || c > 0x7e ? ' ' : c);
        }
        String s = sb.toString().trim();
        return s.length() <= 64 ? s : s.substring(0, 61) + "...";
    }

    private static void put(AttributeList list, Attribute a, Object value) throws DicomException {
        if (value instanceof Integer i) {
            a.addValue(i);
        } else {
            a.addValue((String) value);
        }
        list.put(a);
    }
}
