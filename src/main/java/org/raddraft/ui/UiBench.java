package org.raddraft.ui;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.raddraft.dicom.DicomImageWriter;
import org.raddraft.dicom.ImageRenderer;
import org.raddraft.dicom.RenderOptions;
import org.raddraft.dicom.WindowPreset;

/**
 * The review page's server-side costs, run by {@code bench/ui.sh}:
 * <pre>
 * java ... org.raddraft.ui.UiBench render --dicom DIR [--repeat R] [--warmup W]
 * </pre>
 * renders every {@code .dcm} under DIR (decode + window + encode, what one image request costs) as
 * full-resolution PNG, the page's 1024 px PNG, and 1024 px JPEG; prints one table row per file with
 * the median wall time and, in brackets, the median CPU time of the rendering thread (what the render
 * costs on an idle core: the development machine is shared, so wall time includes waiting for a core).
 */
public final class UiBench {

    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();

    private UiBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3 || !args[0].equals("render") || !args[1].equals("--dicom")) {
            System.err.println("usage: UiBench render --dicom DIR [--repeat R] [--warmup W]");
            System.exit(2);
        }
        Path dir = Path.of(args[2]);
        int repeat = intOption(args, "--repeat", 10);
        int warmup = intOption(args, "--warmup", 10);
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(p -> p.toString().endsWith(".dcm")).sorted().toList();
        }
        RenderOptions[] modes = {
            RenderOptions.preset(WindowPreset.DEFAULT, 0),
            RenderOptions.preset(WindowPreset.DEFAULT, 1024),
            new RenderOptions(WindowPreset.DEFAULT, null, null, 1024, RenderOptions.Format.JPEG)};
        for (int i = 0; i < warmup; i++) {
            for (RenderOptions m : modes) {
                ImageRenderer.render(files.get(i % files.size()), m);
            }
        }
        System.out.printf("%-20s %-10s %-38s %16s %16s %16s%n", "file", "size", "modality, photometric, transfer syntax",
                "full PNG ms", "1024 PNG ms", "1024 JPEG ms");
        for (Path f : files) {
            String kind = DicomImageWriter.attribute(f, "Modality") + " "
                    + DicomImageWriter.attribute(f, "PhotometricInterpretation") + " "
                    + DicomImageWriter.attribute(f, "TransferSyntaxUID");
            List<String> cells = new ArrayList<>();
            int w = 0;
            int h = 0;
            for (RenderOptions m : modes) {
                double[] ms = new double[repeat];
                double[] cpu = new double[repeat];
                for (int r = 0; r < repeat; r++) {
                    long c0 = THREADS.getCurrentThreadCpuTime();
                    long t0 = System.nanoTime();
                    var img = ImageRenderer.render(f, m);
                    ms[r] = (System.nanoTime() - t0) / 1e6;
                    cpu[r] = (THREADS.getCurrentThreadCpuTime() - c0) / 1e6;
                    w = img.sourceWidth();
                    h = img.sourceHeight();
                }
                Arrays.sort(ms);
                Arrays.sort(cpu);
                cells.add(String.format(Locale.ROOT, "%16s", String.format(Locale.ROOT, "%.0f (%.0f)", ms[repeat / 2],
                        cpu[repeat / 2])));
            }
            System.out.printf(Locale.ROOT, "%-20s %-10s %-38s %s%n", dir.relativize(f), w + "x" + h,
                    kind, String.join(" ", cells));
        }
        System.out.println("ms: median wall time (median CPU time of the thread) of " + repeat
                + " renders each, after " + warmup + " warm-up rounds");
    }

    private static int intOption(String[] args, String name, int fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return fallback;
    }
}
