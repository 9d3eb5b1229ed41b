package org.raddraft.dicom;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Minimal, fast 8-bit grayscale PNG encoder (Sub filter, one zlib stream): for the phantom
 * generator's display images and the review page's rendered radiographs. ImageIO's PNG writer tries
 * every filter on every row and takes several times as long on a 2k x 2k radiograph.
 */
public final class PngWriter {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    private PngWriter() {
    }

    /** With zlib level 4 (what the phantom generator's committed PNGs were written with). */
    public static byte[] encode(byte[] gray, int width, int height) {
        return encode(gray, width, height, 4);
    }

    /** @param level zlib level, 1 (fastest) to 9 (smallest) */
    public static byte[] encode(byte[] gray, int width, int height, int level) {
        byte[] raw = new byte[(width + 1) * height];
        for (int y = 0; y < height; y++) {
            int o = y * (width + 1), s = y * width;
            raw[o] = 1; // Sub
            raw[o + 1] = gray[s];
            for (int x = 1; x < width; x++) raw[o + 1 + x] = (byte) (gray[s + x] - gray[s + x - 1]);
        }
        Deflater def = new Deflater(level);
        def.setInput(raw);
        def.finish();
        ByteArrayOutputStream z = new ByteArrayOutputStream(raw.length / 2);
        byte[] buf = new byte[65536];
        while (!def.finished()) z.write(buf, 0, def.deflate(buf));
        def.end();
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(z.size() + 64);
            out.write(SIGNATURE);
            ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(ihdr);
            d.writeInt(width);
            d.writeInt(height);
            d.write(new byte[]{8, 0, 0, 0, 0}); // 8-bit, grayscale, deflate, adaptive filtering, no interlace
            chunk(out, "IHDR", ihdr.toByteArray());
            chunk(out, "IDAT", z.toByteArray());
            chunk(out, "IEND", new byte[0]);
            return out.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void chunk(OutputStream out, String type, byte[] data) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(data.length);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        d.write(t);
        d.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        d.writeInt((int) crc.getValue());
    }
}
