package org.raddraft.dicom;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AcceptedPeersTest {

    static final InetAddress PACS_HOST = address("10.1.2.3");
    static final InetAddress OTHER_HOST = address("10.9.9.9");

    @Test
    void aeAloneMatchesFromAnyHostAndAeAtHostOnlyFromThatHost() {
        AcceptedPeers peers = AcceptedPeers.parse(" CR01 , PACS@10.1.2.3");
        assertTrue(peers.accepts("CR01", OTHER_HOST));
        assertTrue(peers.accepts("PACS", PACS_HOST));
        assertFalse(peers.accepts("PACS", OTHER_HOST));
        assertFalse(peers.accepts("pacs", PACS_HOST), "AE titles are case-sensitive");
        assertFalse(peers.accepts("DX02", PACS_HOST));
    }

    @Test
    void emptyAcceptsNobodyAndStarAcceptsAnyAe() {
        assertTrue(AcceptedPeers.parse("").isEmpty());
        assertFalse(AcceptedPeers.parse("").accepts("PACS", PACS_HOST));
        assertTrue(AcceptedPeers.parse("*").accepts("ANYONE", OTHER_HOST));
        assertTrue(AcceptedPeers.parse("*@10.1.2.3").accepts("ANYONE", PACS_HOST));
        assertFalse(AcceptedPeers.parse("*@10.1.2.3").accepts("ANYONE", OTHER_HOST));
    }

    @Test
    void badEntriesSayWhatToWrite() {
        var tooLong = assertThrows(IllegalArgumentException.class, () -> AcceptedPeers.parse("THIS_AE_IS_FAR_TOO_LONG"));
        assertTrue(tooLong.getMessage().contains("1 to 16 characters"), tooLong.getMessage());
        var noHost = assertThrows(IllegalArgumentException.class, () -> AcceptedPeers.parse("PACS@"));
        assertTrue(noHost.getMessage().contains("AE@host"), noHost.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AcceptedPeers.parse("PACS@no-such-host.invalid"));
    }

    private static InetAddress address(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
