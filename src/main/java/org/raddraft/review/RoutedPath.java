package org.raddraft.review;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Locale;
import java.util.Set;

/**
 * The path a request is decided on: the one Jetty routes on (servlet path + path info, percent-decoded
 * and normalised), after refusing what could make the raw URI, Jetty and HAPI disagree. Jetty's own
 * URI compliance ({@code UriCompliance.DEFAULT}, see {@code ops.HttpServer}) already answers 400 to
 * encoded separators, encoded dots, empty segments, {@code %25}, bad UTF-8 and NUL; this refuses, with
 * 400 and what to send instead, what Jetty accepts and normalises silently: plain dot segments,
 * {@code ;} path parameters, backslashes, control characters and anything percent-encoded in the path
 * that needs no encoding, and methods the API does not use (TRACE echoes headers, so cookies). Like
 * Spring Security's StrictHttpFirewall: a path with a second reading is refused, not interpreted.
 */
public final class RoutedPath {

    /** The methods the port serves; TRACE, CONNECT, OPTIONS and the rest get 405. */
    static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE");

    private RoutedPath() {
    }

    /**
     * The routed path of an acceptable request.
     *
     * @throws AccessDenied 400 for a path with a second reading, 405 for a method the port does not serve
     */
    public static String of(HttpServletRequest req) throws AccessDenied {
        if (!METHODS.contains(req.getMethod())) {
            throw new AccessDenied(405, "method " + printable(req.getMethod()) + " is not served here; use "
                    + String.join(", ", METHODS.stream().sorted().toList()));
        }
        String raw = req.getRequestURI();
        checkRaw(raw);
        checkQuery(req.getQueryString());
        String path = req.getServletPath() + (req.getPathInfo() == null ? "" : req.getPathInfo());
        for (int i = 0; i < path.length(); i++) {
            char ch = path.charAt(i);
            if (ch < 0x21 || ch == 0x7f || ch == '\\' || ch == ';' || ch == '%') {
                throw refused("its decoded path holds a space, control character, '\\', ';' or '%'");
            }
        }
        return path;
    }

    /** The checks on the raw (undecoded) request URI's path. */
    static void checkRaw(String raw) throws AccessDenied {
        if (raw == null || !raw.startsWith("/")) {
            throw refused("the path must start with '/'");
        }
        if (raw.indexOf(';') >= 0) {
            throw refused("';' path parameters (e.g. ;jsessionid) are not accepted");
        }
        if (raw.indexOf('\\') >= 0) {
            throw refused("a backslash is not a path separator here");
        }
        if (raw.contains("//")) {
            throw refused("empty path segments ('//') are not accepted");
        }
        for (String segment : raw.split("/", -1)) {
            if (segment.equals(".") || segment.equals("..")) {
                throw refused("dot segments ('./', '../') are not accepted; send the path they stand for");
            }
        }
        for (int i = 0; i < raw.length(); i++) {
            char ch = raw.charAt(i);
            if (ch < 0x21 || ch >= 0x7f) {
                throw refused("raw control, space or non-ASCII characters must be percent-encoded");
            }
            if (ch == '%') {
                String hex = i + 2 < raw.length() ? raw.substring(i + 1, i + 3).toUpperCase(Locale.ROOT) : "";
                if (!hex.matches("[0-9A-F]{2}")) {
                    throw refused("'%' must start a percent-encoded byte (%XX)");
                }
                int b = Integer.parseInt(hex, 16);
                if (b < 0x80 && (Character.isLetterOrDigit(b) || "-._~".indexOf(b) >= 0 || b == '/' || b == '\\')) {
                    // %41 for 'A', %2F for '/': a second spelling of the path, which the rule must not miss
                    throw refused("'%" + hex + "' encodes a character ('" + (char) b + "') that must be sent "
                            + "as itself in a path");
                }
                if (b == '%' || b == 0 || b == ';') {
                    throw refused("'%" + hex + "' (double encoding, NUL or an encoded ';') is not accepted");
                }
                i += 2;
            }
        }
    }

    /**
     * A query string's '%' must start a percent-encoded byte: Jetty fails such a query only when a
     * servlet asks for its parameters, and HAPI turned that into a 500 quoting the decoder (issue 24,
     * found by FuzzIT: {@code POST /fhir/DiagnosticReport?status=%ZZ}).
     */
    static void checkQuery(String query) throws AccessDenied {
        if (query == null) {
            return;
        }
        for (int i = query.indexOf('%'); i >= 0; i = query.indexOf('%', i + 1)) {
            if (i + 2 >= query.length() || Character.digit(query.charAt(i + 1), 16) < 0
                    || Character.digit(query.charAt(i + 2), 16) < 0) {
                throw new AccessDenied(400, "query string refused: '%' must start a percent-encoded byte (%XX)");
            }
        }
    }

    private static AccessDenied refused(String why) {
        return new AccessDenied(400, "request path refused: " + why);
    }

    private static String printable(String s) {
        return s.length() > 20 || !s.chars().allMatch(c -> c > 0x20 && c < 0x7f) ? "(unprintable)" : s;
    }
}
