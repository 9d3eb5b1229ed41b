package org.raddraft.dicom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raddraft.testing.Dcmtk;
import org.raddraft.testing.HostileDicom;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The streaming structure check on data sets as DCMTK writes them, whole and cut short. */
class DataSetWalkerTest {

    @TempDir
    Path dir;

    @Test
    void explicitLittleEndianWithSequencesOfBothLengthKinds() throws Exception {
        Path source = withSequence(ScpTestSupport.cr(dir, "explicit.dcm"));
        checkWholeAndCut(source, false);
        Path undefined = dir.resolve("undefined.dcm");
        Dcmtk.ok("dcmconv", "-e", source, undefined); // sequences and items of undefined length
        checkWholeAndCut(undefined, false);
    }

    @Test
    void implicitLittleEndian() throws Exception {
        Path file = dir.resolve("implicit.dcm");
        Dcmtk.ok("dcmconv", "+ti", "-e", withSequence(ScpTestSupport.cr(dir, "source.dcm")), file);
        checkWholeAndCut(file, true);
    }

    @Test
    void encapsulatedPixelData() throws Exception {
        Path file = dir.resolve("jpeg.dcm");
        Dcmtk.ok("dcmcjpeg", "+e1", ScpTestSupport.cr(dir, "source.dcm"), file);
        checkWholeAndCut(file, false);
    }

    @Test
    void aCorruptedVrIsMalformed() throws Exception {
        byte[] ds = dataSet(ScpTestSupport.cr(dir, "a.dcm"));
        ds[4] = 0; // the VR of the first element
        DataSetWalker w = new DataSetWalker(false, DicomAttributes.TAGS);
        w.accept(ds, 0, ds.length);
        DicomFormatException e = assertThrows(DicomFormatException.class, w::checkComplete);
        assertTrue(e.getMessage().startsWith("malformed data set: (0008,"), e.getMessage());
    }

    @Test
    void anItemDelimiterAtTopLevelIsMalformed() {
        byte[] ds = {(byte) 0xFE, (byte) 0xFF, 0x0D, (byte) 0xE0, 0, 0, 0, 0};
        DataSetWalker w = new DataSetWalker(false, DicomAttributes.TAGS);
        w.accept(ds, 0, ds.length);
        DicomFormatException e = assertThrows(DicomFormatException.class, w::checkComplete);
        assertEquals("malformed data set: (FFFE,E00D) outside a sequence", e.getMessage());
    }

    @Test
    void keptValuesAreDecodedAsPixelMedDecodesThem() throws Exception {
        Path latin1 = ScpTestSupport.cr(dir, "latin1.dcm");
        Dcmtk.ok("dcmodify", "-nb", "-i", "(0008,0005)=ISO_IR 100", "-i", "(0008,1030)=Thorax p.a. \u00e9t\u00e9",
                "-i", "(0008,103E)=FIRST\\SECOND", latin1);
        checkWholeAndCut(latin1, false);
        assertTrue(DicomAttributes.read(latin1).studyDescription().startsWith("Thorax p.a. "));
        assertEquals("FIRST", DicomAttributes.read(latin1).seriesDescription());
    }

    @Test
    void aCharacterSetWithCodeExtensionsIsLeftToPixelMed() throws Exception {
        Path iso2022 = ScpTestSupport.cr(dir, "iso2022.dcm");
        Dcmtk.ok("dcmodify", "-nb", "-i", "(0008,0005)=\\ISO 2022 IR 87", iso2022);
        DataSetWalker w = new DataSetWalker(false, DicomAttributes.TAGS);
        byte[] ds = dataSet(iso2022);
        w.accept(ds, 0, ds.length);
        w.checkComplete();
        assertEquals(null, DicomAttributes.fromValues(w.keptValues()));
    }

    /** Whole (in random slices): complete, with Pixel Data. Cut anywhere: an error or no Pixel Data. */
    private static void checkWholeAndCut(Path file, boolean implicitVr) throws Exception {
        byte[] ds = dataSet(file);
        Random random = new Random(file.getFileName().hashCode());
        DataSetWalker whole = new DataSetWalker(implicitVr, DicomAttributes.TAGS);
        for (int at = 0; at < ds.length; ) {
            int n = Math.min(ds.length - at, 1 + random.nextInt(5000));
            whole.accept(ds, at, n);
            at += n;
        }
        whole.checkComplete();
        assertTrue(whole.sawPixelData(), file.toString());
        assertEquals(DicomAttributes.read(file), DicomAttributes.fromValues(whole.keptValues()),
                "the values kept on the way read as PixelMed reads the file");
        for (int i = 0; i < 300; i++) {
            int cut = i < 150 ? i * 7 : random.nextInt(ds.length);
            DataSetWalker w = new DataSetWalker(implicitVr, DicomAttributes.TAGS);
            w.accept(ds, 0, cut);
            boolean complete;
            try {
                w.checkComplete();
                complete = true;
            } catch (DicomFormatException e) {
                complete = false;
            }
            assertFalse(complete && w.sawPixelData(), file + " cut at " + cut + " of " + ds.length);
        }
    }

    private Path withSequence(Path file) throws Exception {
        Dcmtk.ok("dcmodify", "-nb", "-i", "(0008,1140)[0].(0008,1150)=1.2.840.10008.5.1.4.1.1.1",
                "-i", "(0008,1140)[0].(0008,1155)=1.2.3.4", "-i", "(0008,1140)[1].(0008,1155)=1.2.3.5", file);
        return file;
    }

    /** The bytes after the Part 10 meta header (whose group length is its first element's value). */
    private static byte[] dataSet(Path file) throws Exception {
        byte[] b = Files.readAllBytes(file);
        int groupLength = (b[140] & 0xff) | (b[141] & 0xff) << 8 | (b[142] & 0xff) << 16 | (b[143] & 0xff) << 24;
        return Arrays.copyOfRange(b, 144 + groupLength, b.length);
    }

    // --- hostile nesting and lengths (issue 21, finding 2) ---------------------------------------

    @Test
    void sequencesNested20000DeepAreRefusedNamingTheLimit() {
        byte[] ds = HostileDicom.deepNesting(HostileDicom.Uids.fresh(1), 20_000, null);
        DataSetWalker w = new DataSetWalker(true, DicomAttributes.TAGS);
        w.accept(ds, 0, ds.length);
        DicomFormatException e = assertThrows(DicomLimitException.class, w::checkComplete);
        assertEquals("malformed data set: sequences nested deeper than 64 levels", e.getMessage());
        assertTrue(e.getMessage().length() <= 64, "fits an Error Comment (LO)");
    }

    @Test
    void sequencesOfDefinedLengthAreFollowedAndTheirNestingCappedToo() {
        byte[] ds = HostileDicom.deepNestingDefinedLengths(HostileDicom.Uids.fresh(2), 5_000);
        DataSetWalker w = new DataSetWalker(true, DicomAttributes.TAGS); // Implicit VR: SQ known from the dictionary
        w.accept(ds, 0, ds.length);
        assertThrows(DicomLimitException.class, w::checkComplete);
    }

    @Test
    void nestingUpToTheLimitIsAccepted() throws Exception {
        for (byte[] ds : java.util.List.of(HostileDicom.deepNesting(HostileDicom.Uids.fresh(3), DataSetWalker.MAX_NESTING, null),
                HostileDicom.deepNestingDefinedLengths(HostileDicom.Uids.fresh(4), DataSetWalker.MAX_NESTING))) {
            DataSetWalker w = new DataSetWalker(true, DicomAttributes.TAGS);
            w.accept(ds, 0, ds.length);
            w.checkComplete();
            assertTrue(w.sawPixelData());
        }
        byte[] over = HostileDicom.deepNesting(HostileDicom.Uids.fresh(5), DataSetWalker.MAX_NESTING + 1, null);
        DataSetWalker w = new DataSetWalker(true, DicomAttributes.TAGS);
        w.accept(over, 0, over.length);
        assertThrows(DicomLimitException.class, w::checkComplete);
    }

    @Test
    void anItemLongerThanItsSequenceIsMalformed() {
        byte[] ds = HostileDicom.lyingItemLength(HostileDicom.Uids.fresh(6));
        DataSetWalker w = new DataSetWalker(true, DicomAttributes.TAGS);
        w.accept(ds, 0, ds.length);
        DicomFormatException e = assertThrows(DicomFormatException.class, w::checkComplete);
        assertEquals("malformed data set: (FFFE,E000) length 4000 overruns its item", e.getMessage());
    }

    @Test
    void aDeeplyNestedFileIsRefusedBeforePixelMedParsesIt() throws Exception {
        HostileDicom.Uids uids = HostileDicom.Uids.fresh(7);
        Path file = dir.resolve("deep.dcm");
        Files.write(file, HostileDicom.part10(HostileDicom.deepNesting(uids, 20_000, "ISO 2022 IR 87"), uids.sop()));
        // on a thread with a small stack, as an association thread has: PixelMed would overflow it
        java.util.concurrent.atomic.AtomicReference<Throwable> thrown = new java.util.concurrent.atomic.AtomicReference<>();
        Thread t = new Thread(null, () -> {
            try {
                DicomAttributes.read(file);
            } catch (Throwable e) {
                thrown.set(e);
            }
        }, "small-stack", 256 * 1024);
        t.start();
        t.join();
        assertTrue(thrown.get() instanceof DicomLimitException, String.valueOf(thrown.get()));
        assertEquals("data set refused: sequences nested deeper than 64 levels", thrown.get().getMessage());
        assertThrows(DicomLimitException.class, () -> DicomPixels.decode(file));
    }
}
