package org.raddraft.dicom;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * UIDs RadDraft mints for the objects it creates (PS3.5 section 9): under the organisation's root
 * when one is configured, otherwise as {@code 2.25.<UUID as a decimal integer>} (PS3.5 B.2), which
 * needs no registration.
 */
public final class DicomUids {

    /** UI value: components of digits without leading zeros, separated by dots, at most 64 characters. */
    private static final Pattern UID = Pattern.compile("(0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*))*");
    /** Longest root that leaves room for the suffix {@link #create} appends (a dot and 20 digits). */
    public static final int MAX_ROOT_LENGTH = 40;
    private static final SecureRandom RANDOM = new SecureRandom();

    private DicomUids() {
    }

    /**
     * A new, unique UID.
     *
     * @param root the organisation's UID root, or empty for a 2.25 UUID-derived UID
     */
    public static String create(String root) {
        if (root == null || root.isBlank()) {
            return fromUuid(UUID.randomUUID());
        }
        checkRoot(root);
        // 63 random bits under the organisation's root: unique without coordination between installations
        // that share a root only if they each get their own sub-root, as the admin guide says
        return root + "." + BigInteger.valueOf(RANDOM.nextLong() & Long.MAX_VALUE).add(BigInteger.ONE);
    }

    /** The same UID for the same name every time (a name-based UUID under 2.25), e.g. a device's UID. */
    public static String forName(String name) {
        return fromUuid(UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * @throws IllegalArgumentException when {@code root} is not a UID prefix of at most
     *                                  {@value #MAX_ROOT_LENGTH} characters
     */
    public static void checkRoot(String root) {
        if (root.length() > MAX_ROOT_LENGTH || !UID.matcher(root).matches()) {
            throw new IllegalArgumentException("UID root '" + root + "' is not a UID of at most " + MAX_ROOT_LENGTH
                    + " characters (digits and dots, no leading zeros, e.g. 1.2.826.0.1.3680043.10.1234)");
        }
    }

    static void check(String uid) {
        if (uid == null || uid.length() > 64 || !UID.matcher(uid).matches()) {
            throw new IllegalArgumentException("not a DICOM UID: " + uid);
        }
    }

    private static String fromUuid(UUID uuid) {
        byte[] bytes = ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits())
                .putLong(uuid.getLeastSignificantBits()).array();
        return "2.25." + new BigInteger(1, bytes);
    }
}
