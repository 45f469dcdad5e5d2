package io.qrvoucher.webhook.dispatch;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;

import io.qrvoucher.webhook.core.AddressPolicy;
import io.qrvoucher.webhook.core.EndpointUrls;
import io.qrvoucher.webhook.core.Lookups;

/**
 * Resolves a host for the sender and refuses it when any of its addresses is one the bank's servers must not
 * call. The client connects only to addresses this resolver returned, so the check holds for the connection
 * itself: a name that resolved to a public address at registration and to an internal one now (DNS
 * rebinding) is refused now.
 *
 * <p>The customer chooses the name, and so its name server and its addresses, and an attempt holds a worker, its
 * endpoint's lock and a database connection: a lookup is given up after {@code timeout} (the attempt's deadline does
 * not cover it), and only the first {@value #MAX_ADDRESSES} addresses are tried, each of which may take the connect
 * timeout (a name with many addresses that never answer would otherwise hold the attempt for each in turn).
 */
final class PolicyDnsResolver implements DnsResolver, AutoCloseable {

    static final int MAX_ADDRESSES = 2;

    private final AddressPolicy policy;
    private final EndpointUrls.Resolver system;
    /**
     * Bounded by the workers: each waits for one lookup at a time. Lookups given up keep their threads until the
     * system's resolver gives up too, so a customer's slow name server adds a few threads for a while.
     */
    private final Lookups lookups;

    PolicyDnsResolver(AddressPolicy policy, EndpointUrls.Resolver system, Duration timeout) {
        this.policy = policy;
        this.system = system;
        this.lookups = new Lookups("webhook-lookup", timeout);
    }

    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
        InetAddress[] addresses = lookups.within(host, () -> system.resolve(host));
        if (addresses.length == 0 || !Arrays.stream(addresses).allMatch(policy::permits)) {
            throw new UnknownHostException(host + " resolves to an address webhooks may not go to");
        }
        return Arrays.copyOf(addresses, Math.min(addresses.length, MAX_ADDRESSES));
    }

    @Override
    public List<InetSocketAddress> resolve(String host, int port) throws UnknownHostException {
        return Arrays.stream(resolve(host)).map(address -> new InetSocketAddress(address, port)).toList();
    }

    @Override
    public String resolveCanonicalHostname(String host) throws UnknownHostException {
        return SystemDefaultDnsResolver.INSTANCE.resolveCanonicalHostname(host);
    }

    @Override
    public void close() {
        lookups.close();
    }
}
