package io.qrvoucher.webhook.core;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * Which addresses the bank's servers may call for a customer (SSRF): public ones only. Refused are
 * loopback (unless {@code allowLoopback}, for tests and the demo), the unspecified address, private
 * (10/8, 172.16/12, 192.168/16), link-local (169.254/16 — the clouds' metadata service), carrier-grade NAT
 * (100.64/10), multicast, and the reserved and documentation ranges. An IPv6 address is permitted only in global
 * unicast (2000::/3), and not in the parts of it that carry an IPv4 address (Teredo in 2001::/23, 6to4 2002::/16)
 * or are for documentation: so unique local, link-local, NAT64 (64:ff9b::/96 carries an IPv4 address) and ranges
 * assigned later are refused without being listed. An IPv4-mapped
 * address (::ffff:a.b.c.d) is judged as the IPv4 address it carries, which is where a dual-stack socket
 * connects: Java reads such a literal as IPv4, but a name's AAAA record can still give one as IPv6.
 */
public record AddressPolicy(boolean allowLoopback) {

    public boolean permits(InetAddress address) {
        if (address instanceof Inet6Address && isIpv4Mapped(address.getAddress())) {
            return permits(ipv4Within(address.getAddress()));
        }
        if (address.isLoopbackAddress()) {
            return allowLoopback;
        }
        if (address.isAnyLocalAddress() || address.isLinkLocalAddress() || address.isSiteLocalAddress()
                || address.isMulticastAddress()) {
            return false;
        }
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            return !(first == 0 // "this network"
                    || first == 100 && second >= 64 && second < 128 // carrier-grade NAT
                    || first == 192 && second == 0 && (b[2] & 0xff) == 0 // IETF protocol assignments
                    || first == 192 && second == 0 && (b[2] & 0xff) == 2 // documentation
                    || first == 198 && (second == 18 || second == 19) // benchmarking
                    || first == 198 && second == 51 && (b[2] & 0xff) == 100 // documentation
                    || first == 203 && second == 0 && (b[2] & 0xff) == 113 // documentation
                    || first >= 240); // reserved, broadcast
        }
        if (address instanceof Inet6Address) {
            // Allowed, not refused: global unicast (2000::/3) is the public internet, and every other range, new ones
            // too, is not. Within it, refused are the IETF's protocol assignments (2001::/23: Teredo carries an IPv4
            // address, benchmarking, ORCHID), 6to4 (which carries one), and documentation.
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            int third = b[2] & 0xff;
            return (first & 0xe0) == 0x20
                    && !(first == 0x20 && second == 0x01 && (third & 0xfe) == 0x00) // 2001::/23
                    && !(first == 0x20 && second == 0x01 && third == 0x0d && (b[3] & 0xff) == 0xb8) // 2001:db8::/32
                    && !(first == 0x20 && second == 0x02) // 6to4 2002::/16
                    && !(first == 0x3f && second == 0xff && (third & 0xf0) == 0x00); // 3fff::/20
        }
        return false;
    }

    /** ::ffff:a.b.c.d. */
    private static boolean isIpv4Mapped(byte[] b) {
        return isZero(b, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
    }

    private static InetAddress ipv4Within(byte[] ipv6) {
        try {
            return InetAddress.getByAddress(Arrays.copyOfRange(ipv6, 12, 16));
        } catch (UnknownHostException e) {
            throw new IllegalStateException("Four bytes are an IPv4 address", e);
        }
    }

    private static boolean isZero(byte[] b, int length) {
        for (int i = 0; i < length; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
