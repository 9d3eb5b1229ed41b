package org.raddraft.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.pixelmed.dicom.OtherByteAttributeMultipleCompressedFrames;
import com.pixelmed.dicom.TagFromName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.raddraft.testing.DaemonProcess;
import org.raddraft.testing.Dcmtk;

/**
 * RadDraft's own lossless JPEG and RLE decoders against DCMTK: the demo phantom (14-bit, 320 x 320)
 * and an 8-bit image compressed by dcmcjpeg (every predictor, a point transform, one fragment and
 * many) and dcmcrle decode to exactly what dcmdjpeg / dcmdrle decompress them to, and through the
 * fast path, not PixelMed's.
 */
class OwnDecodersTest {

    @TempDir
    static Path dir;

    static Stream<List<String>> encodings() {
        List<List<String>> all = new ArrayList<>();
        for (String source : List.of("phantom14", "gradient8")) {
            all.add(List.of(source, "dcmcjpeg", "+e1"));
            for (int sv = 1; sv <= 7; sv++) {
                all.add(List.of(source, "dcmcjpeg", "+el", "+sv", Integer.toString(sv)));
            }
            all.add(List.of(source, "dcmcjpeg", "+el", "+sv", "1", "+pt", "2"));
            all.add(List.of(source, "dcmcjpeg", "+e1", "+fs", "4"));  // a frame in several fragments
            all.add(List.of(source, "dcmcrle"));
        }
        return all.stream();
    }

    static Path source(String name) throws Exception {
        Path f = dir.resolve(name + ".dcm");
        if (!Files.exists(f)) {
            if (name.equals("phantom14")) {
                Files.copy(DaemonProcess.APP.resolve("testdata/demo/dicom/ph-23-000034/1-PA.dcm"), f);
            } else {
                TestImages.write(f, TestImages.Spec.chest(8));
            }
        }
        return f;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("encodings")
    void decodesWhatDcmtkEncodedExactly(List<String> encoding) throws Exception {
        Path source = source(encoding.get(0));
        String name = String.join("_", encoding).replace("+", "");
        Path compressed = dir.resolve(name + ".dcm");
        List<Object> cmd = new ArrayList<>(encoding.subList(1, encoding.size()));
        cmd.add(source);
        cmd.add(compressed);
        Dcmtk.ok(cmd.toArray());
        Path reference = dir.resolve(name + "-decompressed.dcm");
        Dcmtk.ok(encoding.get(1).equals("dcmcrle") ? "dcmdrle" : "dcmdjpeg", compressed, reference);

        assertNotNull(DicomPixels.ownDecoders(DicomPixels.read(compressed, false)), "decoded by RadDraft, not PixelMed");
        assertArrayEquals(DicomPixels.decode(reference).values(), DicomPixels.decode(compressed).values());
    }

    @Test
    void aTruncatedJpegIsAFormatErrorNotGarbage() throws Exception {
        Path compressed = dir.resolve("truncated-source.dcm");
        Dcmtk.ok("dcmcjpeg", "+e1", source("phantom14"), compressed);
        byte[] frame = ((OtherByteAttributeMultipleCompressedFrames) DicomPixels.read(compressed, false)
                .get(TagFromName.PixelData)).getFrames()[0];
        byte[] half = Arrays.copyOf(frame, frame.length / 2);
        assertThrows(DicomFormatException.class, () -> JpegLosslessDecoder.decode(half));
    }
}
