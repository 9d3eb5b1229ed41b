package org.raddraft.inference;

/** The model could not run (or could not be loaded); the message says what to fix. */
public class InferenceException extends Exception {

    public InferenceException(String message) {
        super(message);
    }

    public InferenceException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The first line of a library exception's message (for a problem report naming the file it concerns). */
    public static String firstLine(Throwable e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        return m.lines().findFirst().orElse(m).trim();
    }
}
