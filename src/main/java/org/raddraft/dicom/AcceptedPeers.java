package org.raddraft.dicom;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The calling-AE allow-list, from {@code allowedPeers}: comma-separated entries {@code AE} (that AE
 * from any address) or {@code AE@host} (only from the addresses {@code host} resolves to at
 * start-up). {@code *} as the AE matches any calling AE ({@code *} alone: anyone,
 * {@code *@10.1.2.3}: any AE from that address). An empty list accepts nobody (fail closed).
 * AE titles compare case-sensitively, as DICOM defines them.
 */
final class AcceptedPeers {

    record AcceptedPeer(String aeTitle, String host, Set<InetAddress> addresses) {

        boolean matches(String callingAe, InetAddress remote) {
            boolean ae = "*".equals(aeTitle) || aeTitle.equals(callingAe);
            return ae && (addresses == null || addresses.contains(remote));
        }

        @Override
        public String toString() {
            return host == null ? aeTitle : aeTitle + "@" + host;
        }
    }

    private final List<AcceptedPeer> peers;

    private AcceptedPeers(List<AcceptedPeer> peers) {
        this.peers = List.copyOf(peers);
    }

    /** @throws IllegalArgumentException naming the bad entry and what to write instead */
    static AcceptedPeers parse(String spec) {
        List<AcceptedPeer> peers = new ArrayList<>();
        if (spec == null || spec.isBlank()) {
            return new AcceptedPeers(peers);
        }
        for (String raw : spec.split(",")) {
            String entry = raw.trim();
            if (entry.isEmpty()) {
                continue;
            }
            int at = entry.indexOf('@');
            String ae = at < 0 ? entry : entry.substring(0, at).trim();
            String host = at < 0 ? null : entry.substring(at + 1).trim();
            if (!"*".equals(ae)) {
                AeTitles.check(ae, "allowedPeers entry '" + entry + "'");
            }
            Set<InetAddress> addresses = null;
            if (host != null) {
                if (host.isEmpty()) {
                    throw new IllegalArgumentException("allowedPeers entry '" + entry
                            + "' has an empty host: write AE or AE@host (IP address or host name)");
                }
                try {
                    addresses = Arrays.stream(InetAddress.getAllByName(host)).collect(Collectors.toUnmodifiableSet());
                } catch (UnknownHostException e) {
                    throw new IllegalArgumentException("allowedPeers entry '" + entry + "': host '" + host
                            + "' does not resolve; use an IP address or a resolvable host name", e);
                }
            }
            peers.add(new AcceptedPeer(ae, host, addresses));
        }
        return new AcceptedPeers(peers);
    }

    boolean accepts(String callingAe, InetAddress remote) {
        return peers.stream().anyMatch(p -> p.matches(callingAe, remote));
    }

    /**
     * Whether any entry could accept a caller at this address, decided before a byte of its request is
     * read: an address no {@code AE@host} entry names is refused at once when every entry names a host.
     */
    boolean admitsAddress(InetAddress remote) {
        return peers.stream().anyMatch(p -> p.addresses() == null || p.addresses().contains(remote));
    }

    boolean isEmpty() {
        return peers.isEmpty();
    }

    @Override
    public String toString() {
        return peers.stream().map(AcceptedPeer::toString).collect(Collectors.joining(","));
    }
}
