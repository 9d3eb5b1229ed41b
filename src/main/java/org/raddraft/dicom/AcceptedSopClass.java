package org.raddraft.dicom;

import java.util.Arrays;
import java.util.Optional;

/**
 * The SOP classes the SCP accepts as an association acceptor: what the conformance statement
 * (docs/conformance-statement.md) lists, and nothing else. To accept another class, add it here and
 * there.
 */
enum AcceptedSopClass {

    VERIFICATION("1.2.840.10008.1.1", "Verification", false),
    COMPUTED_RADIOGRAPHY("1.2.840.10008.5.1.4.1.1.1", "Computed Radiography Image Storage", true),
    DIGITAL_XRAY_FOR_PRESENTATION("1.2.840.10008.5.1.4.1.1.1.1", "Digital X-Ray Image Storage - For Presentation", true),
    DIGITAL_XRAY_FOR_PROCESSING("1.2.840.10008.5.1.4.1.1.1.1.1", "Digital X-Ray Image Storage - For Processing", true),
    SECONDARY_CAPTURE("1.2.840.10008.5.1.4.1.1.7", "Secondary Capture Image Storage", true);

    private final String uid;
    private final String title;
    private final boolean storage;

    AcceptedSopClass(String uid, String title, boolean storage) {
        this.uid = uid;
        this.title = title;
        this.storage = storage;
    }

    String uid() {
        return uid;
    }

    String title() {
        return title;
    }

    /** True for image storage classes (C-STORE), false for Verification (C-ECHO). */
    boolean isStorage() {
        return storage;
    }

    static Optional<AcceptedSopClass> of(String uid) {
        return Arrays.stream(values()).filter(c -> c.uid.equals(uid)).findFirst();
    }
}
