package org.raddraft.dicom;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a DCMTK (or openssl/keytool) command line and captures its output; TCP_NODELAY=1 for DCMTK. */
final class Dcmtk {

    record Result(int exitCode, String output) {

        boolean ok() {
            return exitCode == 0;
        }

        @Override
        public String toString() {
            return "exit " + exitCode + ":\n" + output;
        }
    }

    private Dcmtk() {
    }

    static Result run(Object... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        for (Object a : args) {
            command.add(a instanceof Path p ? p.toString() : String.valueOf(a));
        }
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("TCP_NODELAY", "1");
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + command);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** Runs and fails the test unless the tool exits 0. */
    static Result ok(Object... args) throws IOException, InterruptedException {
        Result r = run(args);
        if (!r.ok()) {
            throw new AssertionError(List.of(args) + " failed: " + r);
        }
        return r;
    }

    /** {@code storescu -v [options] localhost port files}, calling AE / called AE as given. */
    static Result storescu(int port, String callingAe, String calledAe, List<String> options, Path... files)
            throws IOException, InterruptedException {
        List<Object> args = new ArrayList<>(List.of("storescu", "-v", "-aet", callingAe, "-aec", calledAe));
        args.addAll(options);
        args.add("localhost");
        args.add(port);
        args.addAll(List.of(files));
        return run(args.toArray());
    }
}
