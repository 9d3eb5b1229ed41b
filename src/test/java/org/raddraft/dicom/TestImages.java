package org.raddraft.dicom;

import com.github.jaiimageio.jpeg2000.J2KImageWriteParam;
import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeFactory;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.OtherByteAttribute;
import com.pixelmed.dicom.OtherByteAttributeMultipleCompressedFrames;
import com.pixelmed.dicom.OtherWordAttribute;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.UnsignedShortAttribute;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.UUID;

/** Synthetic radiographs written with PixelMed (test data is generated, never copied). */
final class TestImages {

    static final String CR = "1.2.840.10008.5.1.4.1.1.1";
    static final String DX_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.1";
    static final String SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7";
    static final String EXPLICIT_LE = "1.2.840.10008.1.2.1";

    /** What to put in a file; {@code bits} is 8 (8 allocated) or 9..16 (16 allocated). */
    record Spec(String sopClassUid, String studyUid, String seriesUid, String sopUid, int rows, int columns,
                int bits) {

        static Spec chest(int bits) {
            String study = uid();
            return new Spec(CR, study, uid(), uid(), 120, 100, bits);
        }

        Spec inStudy(String study) {
            return new Spec(sopClassUid, study, uid(), uid(), rows, columns, bits);
        }
    }

    private TestImages() {
    }

    static String uid() {
        UUID u = UUID.randomUUID();
        ByteBuffer b = ByteBuffer.allocate(17);
        b.put((byte) 0).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
        return "2.25." + new BigInteger(b.array());
    }

    /** The stored values written by {@link #write}: a diagonal ramp, so never constant. */
    static int value(Spec s, int row, int column) {
        int max = (1 << s.bits()) - 1;
        return (int) ((long) (row * 7 + column * 13) * max / (s.rows() * 7 + s.columns() * 13));
    }

    static AttributeList attributes(Spec s) throws Exception {
        AttributeList l = new AttributeList();
        put(l, TagFromName.SOPClassUID, s.sopClassUid());
        put(l, TagFromName.SOPInstanceUID, s.sopUid());
        put(l, TagFromName.StudyInstanceUID, s.studyUid());
        put(l, TagFromName.SeriesInstanceUID, s.seriesUid());
        put(l, TagFromName.Modality, s.sopClassUid().equals(CR) ? "CR" : s.sopClassUid().equals(SECONDARY_CAPTURE) ? "OT" : "DX");
        put(l, TagFromName.BodyPartExamined, "CHEST");
        put(l, TagFromName.ViewPosition, "PA");
        put(l, TagFromName.StudyDescription, "XR CHEST PA");
        put(l, TagFromName.AccessionNumber, "ACC" + (System.nanoTime() % 100000));
        put(l, TagFromName.StudyDate, "20240102");
        put(l, TagFromName.PatientAge, "054Y");
        put(l, TagFromName.PatientName, "Test^Phantom");
        put(l, TagFromName.PatientID, "PHANTOM-1");
        put(l, TagFromName.PhotometricInterpretation, "MONOCHROME2");
        us(l, TagFromName.Rows, s.rows());
        us(l, TagFromName.Columns, s.columns());
        int allocated = s.bits() <= 8 ? 8 : 16;
        us(l, TagFromName.BitsAllocated, allocated);
        us(l, TagFromName.BitsStored, s.bits());
        us(l, TagFromName.HighBit, s.bits() - 1);
        us(l, TagFromName.PixelRepresentation, 0);
        us(l, TagFromName.SamplesPerPixel, 1);
        if (allocated == 8) {
            byte[] px = new byte[s.rows() * s.columns()];
            for (int y = 0; y < s.rows(); y++) {
                for (int x = 0; x < s.columns(); x++) {
                    px[y * s.columns() + x] = (byte) value(s, y, x);
                }
            }
            Attribute pd = new OtherByteAttribute(TagFromName.PixelData);
            pd.setValues(px);
            l.put(pd);
        } else {
            short[] px = new short[s.rows() * s.columns()];
            for (int y = 0; y < s.rows(); y++) {
                for (int x = 0; x < s.columns(); x++) {
                    px[y * s.columns() + x] = (short) value(s, y, x);
                }
            }
            Attribute pd = new OtherWordAttribute(TagFromName.PixelData);
            pd.setValues(px);
            l.put(pd);
        }
        return l;
    }

    /** Explicit VR Little Endian Part 10 file. */
    static Path write(Path file, Spec s) throws Exception {
        AttributeList l = attributes(s);
        FileMetaInformation.addFileMetaInformation(l, EXPLICIT_LE, "TESTSCU");
        l.write(file.toFile(), EXPLICIT_LE, true, true);
        return file;
    }

    /** JPEG 2000 (lossless 4.90 or lossy 4.91) through jai-imageio's encoder, encapsulated by PixelMed. */
    static Path writeJpeg2000(Path file, Spec s, boolean lossless) throws Exception {
        AttributeList l = attributes(s);
        short[] px = l.get(TagFromName.PixelData).getShortValues();
        BufferedImage img = new BufferedImage(s.columns(), s.rows(), BufferedImage.TYPE_USHORT_GRAY);
        img.getRaster().setDataElements(0, 0, s.columns(), s.rows(), px);
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg2000").next();
        J2KImageWriteParam p = (J2KImageWriteParam) writer.getDefaultWriteParam();
        p.setWriteCodeStreamOnly(true);
        p.setLossless(lossless);
        if (!lossless) {
            p.setFilter(J2KImageWriteParam.FILTER_97);
            p.setEncodingRate(2.0);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(img, null, null), p);
        } finally {
            writer.dispose();
        }
        String ts = lossless ? "1.2.840.10008.1.2.4.90" : "1.2.840.10008.1.2.4.91";
        l.remove(TagFromName.PixelData);
        l.put(new OtherByteAttributeMultipleCompressedFrames(TagFromName.PixelData, new byte[][] {bytes.toByteArray()}));
        FileMetaInformation.addFileMetaInformation(l, ts, "TESTSCU");
        l.write(file.toFile(), ts, true, true);
        return file;
    }

    private static void put(AttributeList l, AttributeTag t, String v) throws Exception {
        Attribute a = AttributeFactory.newAttribute(t);
        a.addValue(v);
        l.put(a);
    }

    private static void us(AttributeList l, AttributeTag t, int v) throws Exception {
        Attribute a = new UnsignedShortAttribute(t);
        a.addValue(v);
        l.put(a);
    }
}
