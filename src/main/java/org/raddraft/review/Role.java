package org.raddraft.review;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What an account may do: radiologists decide on drafts, integration accounts act for one, admins run the system. */
public enum Role {
    /** Reads drafts, approves or rejects them. */
    RADIOLOGIST,
    /** A system account (the RIS) that reads drafts and approves or rejects them for a named radiologist. */
    INTEGRATION,
    /** Manages accounts, reads the audit trail, retries failed studies; does not decide on drafts. */
    ADMIN;

    /** The name used in the database, on the command line and in OIDC role claims. */
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The role a user typed, or an IllegalArgumentException listing the valid ones. */
    public static Role parse(String s) {
        for (Role r : values()) {
            if (r.code().equals(s)) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown role '" + s + "'; write one of " + codes());
    }

    static String codes() {
        return Arrays.stream(values()).map(Role::code).collect(Collectors.joining(", "));
    }
}
