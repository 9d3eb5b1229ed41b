package org.raddraft.testing;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;

/** Runs real DCMTK tools (storescu, echoscu, img2dcm, dcmodify, dcmftest) for tests. */
public final class Dcmtk {

    public record Result(int exitCode, String output) {

        public boolean ok() {
            return exitCode == 0;
        }

        @Override
        public String toString() {
            return "exit " + exitCode + ":\n" + output;
        }

        /** The files storescu reported as stored with status Success, in order. */
        public List<String> storedFiles() {
            List<String> ok = new ArrayList<>();
            String current = null;
            for (String line : output.split("\n")) {
                if (line.startsWith("I: Sending file: ")) {
                    current = line.substring("I: Sending file: ".length()).trim();
                } else if (line.startsWith("I: Received Store Response (Success)") && current != null) {
                    ok.add(current);
                    current = null;
                }
            }
            return ok;
        }
    }

    private Dcmtk() {
    }

    /** Runs a command (DCMTK, openssl, keytool ...); arguments may be Paths or numbers. */
    public static Result run(Object... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        for (Object a : args) {
            command.add(a instanceof Path p ? p.toString() : String.valueOf(a));
        }
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("TCP_NODELAY", "1"); // DCMTK's own switch; without it transfers crawl
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + command);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** Runs and fails the test unless the tool exits 0. */
    public static Result ok(Object... args) throws IOException, InterruptedException {
        Result r = run(args);
        if (!r.ok()) {
            throw new AssertionError(List.of(args) + " failed: " + r);
        }
        return r;
    }

    public static Process start(Path log, String... command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("TCP_NODELAY", "1");
        return pb.start();
    }

    /** storescp (AE PACS) on {@code port} writing into {@code dir}, with extra options; the caller destroys it. */
    public static Process storescp(Path dir, int port, String... options) throws Exception {
        Files.createDirectories(dir);
        List<String> cmd = new java.util.ArrayList<>(List.of("storescp", "-v", "-aet", "PACS", "-od", dir.toString()));
        cmd.addAll(List.of(options));
        cmd.add(String.valueOf(port));
        Process p = start(dir.resolve("storescp.log"), cmd.toArray(String[]::new));
        for (int i = 0; i < 100; i++) {
            try (java.net.Socket probe = new java.net.Socket("127.0.0.1", port)) {
                return p;
            } catch (java.io.IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("storescp did not listen: " + Files.readString(dir.resolve("storescp.log")));
    }

    /** {@code storescu -v [options] localhost port files}, calling AE / called AE as given. */
    public static Result storescu(int port, String callingAe, String calledAe, List<String> options, Path... files)
            throws IOException, InterruptedException {
        List<Object> args = new ArrayList<>(List.of("storescu", "-v", "-aet", callingAe, "-aec", calledAe));
        args.addAll(options);
        args.add("localhost");
        args.add(port);
        args.addAll(List.of(files));
        return run(args.toArray());
    }

    /** storescu -v from {@code callingAe} to RADDRAFT at localhost:port, default options. */
    public static Result storescu(String callingAe, int port, Path... files) throws IOException, InterruptedException {
        return storescu(port, callingAe, "RADDRAFT", List.of(), files);
    }

    /** A clean Part 10 file: dcmdump reads it without a word on stderr and dcmftest says Part 10. */
    public static void assertCleanPart10(Path f) throws Exception {
        Process p = new ProcessBuilder("dcmdump", "-dc", f.toString()).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0 || !err.isEmpty()) {
            throw new AssertionError("dcmdump " + f + " reported: " + err);
        }
        String ft = ok("dcmftest", f).output();
        if (!ft.startsWith("yes:")) {
            throw new AssertionError("dcmftest: " + ft);
        }
    }

    /** storescu's option proposing exactly the given transfer syntax (with -R), as a PACS sends files as stored. */
    static final java.util.Map<String, String> PROPOSE = java.util.Map.of(
            "1.2.840.10008.1.2", "-xi",
            "1.2.840.10008.1.2.1", "-xe",
            "1.2.840.10008.1.2.4.50", "-xy",
            "1.2.840.10008.1.2.4.70", "-xs",
            "1.2.840.10008.1.2.5", "-xr",
            "1.2.840.10008.1.2.4.90", "-xv",
            "1.2.840.10008.1.2.4.91", "-xw");

    /** Stores each file in its own transfer syntax, one association per file; returns the files stored. */
    public static List<Path> storeAsIs(int port, String callingAe, List<Path> files) throws Exception {
        List<Path> stored = new ArrayList<>();
        for (Path f : files) {
            String ts = transferSyntax(f);
            String option = PROPOSE.get(ts);
            if (option == null) {
                throw new IllegalArgumentException("no storescu option proposes " + ts + " (" + f + ")");
            }
            if (storescu(port, callingAe, "RADDRAFT", List.of("-R", option), f).storedFiles().size() == 1) {
                stored.add(f);
            }
        }
        return stored;
    }

    /** The file's Transfer Syntax UID from its meta header. */
    public static String transferSyntax(Path file) throws Exception {
        String line = ok("dcmdump", "-q", "-M", "-Un", "+P", "0002,0010", file).output().strip();
        return line.substring(line.indexOf('[') + 1, line.indexOf(']'));
    }

    /**
     * A small CR image made with img2dcm from a generated BMP; {@code keys} are img2dcm -k
     * assignments such as "BodyPartExamined=CHEST". Pixels vary with {@code seed}.
     */
    public static Path image(Path dir, String name, int size, int seed, String... keys) throws Exception {
        Files.createDirectories(dir);
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                img.getRaster().setSample(x, y, 0, (x * 7 + y * 3 + seed * 13) & 0xff);
            }
        }
        Path bmp = dir.resolve(name + ".bmp");
        ImageIO.write(img, "bmp", bmp.toFile());
        Path dcm = dir.resolve(name + ".dcm");
        List<String> cmd = new ArrayList<>(List.of("img2dcm", "-i", "BMP", bmp.toString(), dcm.toString(),
                "-k", "Modality=CR", "-k", "PatientAge=050Y", "-k", "PatientName=TEST^PATIENT",
                "-k", "PatientID=TESTPID-" + seed));
        for (String k : keys) {
            cmd.add("-k");
            cmd.add(k);
        }
        Result r = run(cmd.toArray());
        if (!r.ok()) {
            throw new IOException("img2dcm failed: " + r.output());
        }
        Files.delete(bmp);
        return dcm;
    }

    /** {@code n} copies of {@code template}, each with a new SOP Instance UID (dcmodify -gin). */
    public static List<Path> copiesWithNewSopUids(Path template, Path dir, int n) throws Exception {
        Files.createDirectories(dir);
        List<String> cmd = new ArrayList<>(List.of("dcmodify", "-nb", "-gin"));
        List<Path> copies = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path c = dir.resolve(String.format("i%04d.dcm", i));
            Files.copy(template, c);
            copies.add(c);
            cmd.add(c.toString());
        }
        Result r = run(cmd.toArray());
        if (!r.ok()) {
            throw new IOException("dcmodify failed: " + r.output());
        }
        return copies;
    }

    /** The value of one tag as dcmdump prints it, e.g. tag "0008,0018". */
    public static String tag(Path file, String tag) throws Exception {
        Result r = run("dcmdump", "-q", "+P", tag, file.toString());
        int open = r.output().indexOf('[');
        int close = r.output().indexOf(']');
        if (!r.ok() || open < 0 || close < open) {
            throw new IOException("no " + tag + " in " + file + ": " + r.output());
        }
        return r.output().substring(open + 1, close);
    }
}
