package org.raddraft.review;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The client's address for throttling and the audit trail. Behind a reverse proxy every request comes
 * from the proxy, so that one client's failed logins would lock out everyone: for a connection from
 * an address in {@code http.trusted-proxies} (addresses or CIDR ranges), the client is the right-most
 * {@code X-Forwarded-For} entry that is not itself a trusted proxy. From any other address the header
 * is ignored (anyone can send it), and a malformed entry stops the walk at the last trusted hop.
 */
public final class ClientAddress {

    private record Range(byte[] network, int prefix) {
        boolean contains(byte[] a) {
            if (a.length != network.length) {
                return false;
            }
            for (int bit = 0; bit < prefix; bit++) {
                int mask = 0x80 >> (bit % 8);
                if ((a[bit / 8] & mask) != (network[bit / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }

    private final List<Range> trusted;

    /**
     * @param trustedProxies comma-separated IP addresses or CIDR ranges (e.g. {@code 10.0.0.5, 10.1.0.0/16});
     *                       empty = no proxy, the connection's address is the client's
     * @throws IllegalArgumentException naming an entry that is not an IP address or range
     */
    public ClientAddress(String trustedProxies) {
        List<Range> ranges = new ArrayList<>();
        for (String entry : trustedProxies.split(",")) {
            String e = entry.strip();
            if (e.isEmpty()) {
                continue;
            }
            String[] parts = e.split("/", 2);
            byte[] network = literal(parts[0]);
            if (network == null) {
                throw new IllegalArgumentException("http.trusted-proxies: '" + e + "' is not an IP address or CIDR range "
                        + "(e.g. 10.0.0.5 or 10.1.0.0/16); host names are not accepted");
            }
            int prefix = network.length * 8;
            if (parts.length == 2) {
                try {
                    prefix = Integer.parseInt(parts[1]);
                } catch (NumberFormatException x) {
                    prefix = -1;
                }
                if (prefix < 0 || prefix > network.length * 8) {
                    throw new IllegalArgumentException("http.trusted-proxies: '" + e + "' has a bad prefix length");
                }
            }
            ranges.add(new Range(network, prefix));
        }
        this.trusted = List.copyOf(ranges);
    }

    /** An IP literal's bytes without any DNS look-up, or null when it is none. */
    static byte[] literal(String s) {
        String t = s.strip();
        if (t.startsWith("[") && t.endsWith("]")) {
            t = t.substring(1, t.length() - 1);
        }
        if (t.isEmpty() || !(t.matches("[0-9.]+") && t.chars().filter(c -> c == '.').count() == 3 || t.contains(":")
                && t.matches("[0-9A-Fa-f:.]+"))) {
            return null;
        }
        try {
            return InetAddress.getByName(t).getAddress(); // a literal: no look-up happens
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private boolean isTrusted(String address) {
        byte[] a = literal(address);
        return a != null && trusted.stream().anyMatch(r -> r.contains(a));
    }

    /** The client's address for this request. */
    public String of(HttpServletRequest req) {
        String addr = req.getRemoteAddr();
        if (trusted.isEmpty() || !isTrusted(addr)) {
            return addr;
        }
        List<String> hops = new ArrayList<>();
        for (java.util.Enumeration<String> h = req.getHeaders("X-Forwarded-For"); h != null && h.hasMoreElements();) {
            for (String hop : h.nextElement().split(",")) {
                hops.add(hop.strip());
            }
        }
        for (int i = hops.size() - 1; i >= 0 && isTrusted(addr); i--) {
            if (literal(hops.get(i)) == null) {
                break; // not an address: keep the last trusted hop
            }
            addr = hops.get(i);
        }
        return addr;
    }

    /** The request with {@link #of}'s address as its remote address, for everything behind the filter. */
    HttpServletRequest wrap(HttpServletRequest req) {
        String client = of(req);
        if (client.equals(req.getRemoteAddr())) {
            return req;
        }
        return new HttpServletRequestWrapper(req) {
            @Override
            public String getRemoteAddr() {
                return client;
            }

            @Override
            public String getRemoteHost() {
                return client;
            }
        };
    }
}
