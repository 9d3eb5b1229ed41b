package org.raddraft.inference;

/** The model could not run (or could not be loaded); the message says what to fix. */
public class InferenceException extends Exception {

    public InferenceException(String message) {
        super(message);
    }

    public InferenceException(String message, Throwable cause) {
        super(message, cause);
    }
}
