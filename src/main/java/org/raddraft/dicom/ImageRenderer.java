package org.raddraft.dicom;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * A spooled Part 10 image rendered on the server for the review page: decoded by
 * {@link DicomPixels}, windowed by {@link VoiWindow} (modality LUT, VOI window, MONOCHROME1 inverted),
 * box-filtered down to the requested size and encoded as an 8-bit grey PNG or JPEG. The browser never
 * sees DICOM, so it needs no decoder and no script from outside the daemon.
 */
public final class ImageRenderer {

    /** zlib's fastest level: deflating a 2k x 2k radiograph is most of the render time (docs/benchmarks.md). */
    private static final int PNG_ZLIB_LEVEL = 1;
    private static final float JPEG_QUALITY = 0.92f;

    private ImageRenderer() {
    }

    /** @throws DicomFormatException when the file cannot be decoded (see {@link DicomPixels#decode}) */
    public static RenderedImage render(Path part10File, RenderOptions options) throws DicomFormatException {
        return render(DicomPixels.decode(part10File), options);
    }

    /** Renders a frame already decoded (e.g. cached while a reviewer tries several windows). */
    public static RenderedImage render(PixelFrame frame, RenderOptions options) {
        VoiWindow window = options.center() != null
                ? VoiWindow.explicit(options.center(), options.width())
                : VoiWindow.of(frame, options.preset());
        int[] grey = window.gray8(frame);
        int w = frame.columns();
        int h = frame.rows();
        int longest = Math.max(w, h);
        int ow = w;
        int oh = h;
        if (options.maxSize() > 0 && longest > options.maxSize()) {
            ow = Math.max(1, (int) Math.round((double) w * options.maxSize() / longest));
            oh = Math.max(1, (int) Math.round((double) h * options.maxSize() / longest));
            grey = boxDown(grey, w, h, ow, oh);
        }
        byte[] bytes = encode(grey, ow, oh, options.format());
        return new RenderedImage(bytes, options.format().mediaType, ow, oh, w, h, window.center(), window.width(),
                window.source());
    }

    /** Area average: each output pixel is the mean of the source block it covers (no aliasing of noise). */
    static int[] boxDown(int[] src, int w, int h, int ow, int oh) {
        int[] x0 = bounds(w, ow);
        int[] y0 = bounds(h, oh);
        int[] rows = new int[h * ow];
        for (int y = 0; y < h; y++) {
            int base = y * w;
            for (int x = 0; x < ow; x++) {
                int sum = 0;
                for (int k = x0[x]; k < x0[x + 1]; k++) {
                    sum += src[base + k];
                }
                rows[y * ow + x] = sum;
            }
        }
        int[] out = new int[ow * oh];
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                long sum = 0;
                for (int k = y0[y]; k < y0[y + 1]; k++) {
                    sum += rows[k * ow + x];
                }
                long n = (long) (x0[x + 1] - x0[x]) * (y0[y + 1] - y0[y]);
                out[y * ow + x] = (int) ((sum + n / 2) / n);
            }
        }
        return out;
    }

    /** {@code out + 1} block boundaries over {@code in} source pixels, each block at least one pixel. */
    private static int[] bounds(int in, int out) {
        int[] b = new int[out + 1];
        for (int i = 0; i <= out; i++) {
            b[i] = (int) ((long) i * in / out);
        }
        return b;
    }

    private static byte[] encode(int[] grey, int w, int h, RenderOptions.Format format) {
        byte[] bytes = new byte[grey.length];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) grey[i];
        }
        if (format == RenderOptions.Format.PNG) {
            return PngWriter.encode(bytes, w, h, PNG_ZLIB_LEVEL);
        }
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        System.arraycopy(bytes, 0, ((DataBufferByte) img.getRaster().getDataBuffer()).getData(), 0, bytes.length);
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream(w * h / 4);
        try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(ios);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(JPEG_QUALITY);
            writer.write(null, new IIOImage(img, null, null), param);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("encoding a " + w + "x" + h + " JPEG in memory failed", e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }
}
