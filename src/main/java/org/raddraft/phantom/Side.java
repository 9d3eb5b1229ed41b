package org.raddraft.phantom;

/** Patient laterality of a finding. Patient right is on the image left of a frontal view. */
public enum Side {
    RIGHT("right", -1), LEFT("left", +1), BILATERAL("bilateral", 0), NONE("none", 0);

    private final String word;
    private final int sign;

    Side(String word, int sign) {
        this.word = word;
        this.sign = sign;
    }

    /** The report and JSON word: right, left, bilateral, none. */
    public String word() {
        return word;
    }

    /** -1 for the patient's right (image left on a frontal view), +1 for the left, 0 otherwise. */
    int sign() {
        return sign;
    }
}
