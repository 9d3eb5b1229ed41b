package org.raddraft.inference.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Test-side reference of the model contract (docs/model-contract.md): where the committed
 * reference model and its fixtures live, the image preprocessing and the text post-processing,
 * written as plainly as possible so production code can be checked against it.
 */
final class ReferenceModel {

    static final ObjectMapper JSON = new ObjectMapper();

    /** models/reference-cxr in the checkout (surefire runs in the project base directory). */
    static Path modelDir() {
        return Path.of(System.getProperty("user.dir")).resolve("models/reference-cxr");
    }

    /** Fixtures written by training/ together with the model: reference decodes, tokenizer cases. */
    static Path fixtureDir() {
        return Path.of(System.getProperty("user.dir")).resolve("src/test/resources/org/raddraft/inference/reference-cxr");
    }

    static JsonNode readJson(Path p) throws IOException {
        return JSON.readTree(p.toFile());
    }

    /** 8-bit grey PNG -> int[h][w]. */
    static int[][] readGrey(Path png) throws IOException {
        BufferedImage img = ImageIO.read(png.toFile());
        Raster r = img.getRaster();
        if (r.getNumBands() != 1 || r.getSampleModel().getSampleSize(0) != 8) {
            throw new IOException(png + ": expected 8-bit grey");
        }
        int[][] a = new int[img.getHeight()][img.getWidth()];
        for (int y = 0; y < a.length; y++) {
            r.getPixels(0, y, img.getWidth(), 1, a[y]);
        }
        return a;
    }

    /** Pad to square (centred, value 0). */
    static int[][] padSquare(int[][] a) {
        int h = a.length, w = a[0].length;
        if (h == w) return a;
        int n = Math.max(h, w), oy = (n - h) / 2, ox = (n - w) / 2;
        int[][] out = new int[n][n];
        for (int y = 0; y < h; y++) System.arraycopy(a[y], 0, out[y + oy], ox, w);
        return out;
    }

    /**
     * Contract preprocessing for one view, integer downscale factor only (the reference phantoms are
     * 512 px, the model 256 px): mean of k x k blocks, /255, (x - mean) / std, all in float32 in this
     * order, so the result is bit-identical to training/data.py.
     */
    static float[] preprocessView(int[][] grey, int size, float mean, float std) {
        int[][] a = padSquare(grey);
        int n = a.length;
        if (n % size != 0) throw new IllegalArgumentException("non-integer factor " + n + " -> " + size);
        int k = n / size;
        float kk = (float) (k * k);
        float[] out = new float[size * size];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                long sum = 0;
                for (int dy = 0; dy < k; dy++) for (int dx = 0; dx < k; dx++) sum += a[y * k + dy][x * k + dx];
                float v = (float) sum / kk;
                v = v / 255.0f;
                out[y * size + x] = (v - mean) / std;
            }
        }
        return out;
    }

    static String sha256(float[] data) {
        ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : data) b.putFloat(f);
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final Pattern DECIMAL = Pattern.compile("(\\d)\\. (\\d)");

    /**
     * Contract post-processing of the tokenizer's decoded text: the WordPiece decoder joins words
     * with spaces and only re-attaches . , ? ! — re-attach the rest.
     */
    static String detokenize(String decoded) {
        String s = decoded.replace(" : ", ": ").replace(" ;", ";").replace(" - ", "-").replace(" / ", "/")
                .replace("( ", "(").replace(" )", ")");
        if (s.endsWith(" :")) s = s.substring(0, s.length() - 2) + ":";
        return DECIMAL.matcher(s).replaceAll("$1.$2");
    }

    private ReferenceModel() {
    }
}
