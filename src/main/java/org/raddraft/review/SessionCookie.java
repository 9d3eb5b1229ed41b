package org.raddraft.review;

import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;

/**
 * The review page's session cookie. Over HTTPS (on this port, or upstream when {@code http.cookie-secure}
 * says TLS ends at a proxy) it is {@code __Host-raddraft_session}: Secure, Path=/, no Domain, so a
 * sibling host or a plain-HTTP answer cannot set or overwrite it; only that name is read then. Over
 * plain HTTP (loopback, the demo) browsers refuse such a cookie, so it is {@code raddraft_session}.
 * Always HttpOnly and SameSite=Strict.
 */
public record SessionCookie(boolean secureUpstream) {

    static final String PLAIN = "raddraft_session";
    static final String HOST_ONLY = "__Host-raddraft_session";

    boolean secure(HttpServletRequest req) {
        return secureUpstream || req.isSecure();
    }

    /** The cookie's name for this request. */
    String name(HttpServletRequest req) {
        return secure(req) ? HOST_ONLY : PLAIN;
    }

    /** The Set-Cookie value for a new session. */
    String set(HttpServletRequest req, String token, long maxAgeSeconds) {
        return name(req) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict" + (secure(req) ? "; Secure" : "")
                + "; Max-Age=" + maxAgeSeconds;
    }

    /** The Set-Cookie value that ends it in the browser. */
    String clear(HttpServletRequest req) {
        return set(req, "", 0);
    }

    /** The session token the browser sent, or null. */
    String token(HttpServletRequest req) {
        if (req.getCookies() == null) {
            return null;
        }
        String name = name(req);
        for (Cookie c : req.getCookies()) {
            if (c.getName().equals(name)) {
                return c.getValue();
            }
        }
        return null;
    }
}
