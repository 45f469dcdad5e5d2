package io.qrvoucher.webhook.dispatch;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;

import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;

import io.qrvoucher.webhook.core.AddressPolicy;

/**
 * Resolves a host for the sender and refuses it when any of its addresses is one the bank's servers must not
 * call. The client connects only to addresses this resolver returned, so the check holds for the connection
 * itself: a name that resolved to a public address at registration and to an internal one now (DNS
 * rebinding) is refused now.
 */
final class PolicyDnsResolver implements DnsResolver {

    private final AddressPolicy policy;

    PolicyDnsResolver(AddressPolicy policy) {
        this.policy = policy;
    }

    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
        InetAddress[] addresses = SystemDefaultDnsResolver.INSTANCE.resolve(host);
        if (addresses.length == 0 || !Arrays.stream(addresses).allMatch(policy::permits)) {
            throw new RefusedAddressException(host);
        }
        return addresses;
    }

    @Override
    public List<InetSocketAddress> resolve(String host, int port) throws UnknownHostException {
        return Arrays.stream(resolve(host)).map(address -> new InetSocketAddress(address, port)).toList();
    }

    @Override
    public String resolveCanonicalHostname(String host) throws UnknownHostException {
        return SystemDefaultDnsResolver.INSTANCE.resolveCanonicalHostname(host);
    }

    /** A host that resolves to an address webhooks may not go to. */
    static final class RefusedAddressException extends UnknownHostException {
        RefusedAddressException(String host) {
            super(host + " resolves to an address webhooks may not go to (private, loopback, link-local or reserved)");
        }
    }
}
