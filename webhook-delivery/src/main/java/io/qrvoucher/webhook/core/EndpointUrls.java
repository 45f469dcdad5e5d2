package io.qrvoucher.webhook.core;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Which URLs a customer may register: absolute {@code https} URLs without credentials or fragment, to one of the
 * ports webhooks go to, whose host resolves only to addresses the {@link AddressPolicy} permits. {@code
 * allowLocalHttp} (tests and the demo) also takes {@code http}, loopback addresses and any port; private addresses
 * stay refused. The ports are few so that the bank's servers cannot be made to knock on any port of any host (and
 * tell, by how an attempt failed, which are open). The check at
 * registration answers the customer at once; the sender checks the scheme and port again before every attempt
 * (the list may have changed since), and the addresses on every connection, since what a name resolves to can
 * change after it was registered (DNS rebinding).
 */
public final class EndpointUrls {

    public static final int MAX_LENGTH = 2048;

    /** Resolves a host name to all its addresses, as {@link InetAddress#getAllByName} does. */
    public interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    private final boolean allowLocalHttp;
    private final AddressPolicy addresses;
    private final Set<Integer> ports;

    /** @param ports the ports webhooks go to (an https URL without one goes to 443) */
    public EndpointUrls(boolean allowLocalHttp, Set<Integer> ports) {
        this.allowLocalHttp = allowLocalHttp;
        this.addresses = new AddressPolicy(allowLocalHttp);
        this.ports = Set.copyOf(ports);
    }

    public AddressPolicy addresses() {
        return addresses;
    }

    /** The URL, normalised, or a {@link Refusal} saying what is wrong with it; its host resolved by {@code resolver}. */
    public URI check(String url, Resolver resolver) {
        URI uri = normalised(url);
        requirePublic(uri, resolver);
        return uri;
    }

    /** Refuses a URL, {@link #normalised} already, whose host does not resolve to public addresses only. */
    public void requirePublic(URI uri, Resolver resolver) {
        InetAddress[] resolved;
        try {
            resolved = resolver.resolve(uri.getHost());
        } catch (UnknownHostException e) {
            resolved = new InetAddress[0];
        }
        // One answer whether the host does not resolve or resolves to an internal address: two would tell a
        // customer which names the bank's own network has.
        if (resolved.length == 0 || !Arrays.stream(resolved).allMatch(addresses::permits)) {
            throw new Refusal("WEBHOOK_URL_NOT_ALLOWED", notPublic(uri.getHost()));
        }
    }

    /**
     * The URL, normalised as {@link #check} gives it, or a {@link Refusal} saying what is wrong with its form; its host
     * not looked up.
     */
    public URI normalised(String url) {
        if (url == null || url.isBlank()) {
            throw invalid("url is required: the https URL the events are POSTed to");
        }
        if (url.length() > MAX_LENGTH) {
            throw invalid("url is longer than " + MAX_LENGTH + " characters");
        }
        URI uri;
        try {
            uri = new URI(url.trim()).normalize();
        } catch (URISyntaxException e) {
            throw invalid("url is not a URL: " + e.getReason());
        }
        if (uri.getPort() == 0 || uri.getPort() > 65_535) {
            throw invalid("url names port " + uri.getPort() + ": a port is 1 to 65535");
        }
        Optional<String> wrong = wrongDestination(uri);
        if (wrong.isPresent()) {
            throw invalid(wrong.get());
        }
        if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
            throw invalid("url must name a host, without user name, password or fragment");
        }
        return uri;
    }

    /**
     * What is wrong with where a URL goes by its scheme and port, if anything: asked at registration and again before
     * every attempt, since a URL may have been registered before its port was dropped from the list (or before ports
     * were listed at all).
     */
    public Optional<String> wrongDestination(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !(allowLocalHttp && scheme.equals("http"))) {
            return Optional.of("url must be an https URL");
        }
        int port = uri.getPort() == -1 ? (scheme.equals("https") ? 443 : 80) : uri.getPort();
        if (!allowLocalHttp && !ports.contains(port)) {
            return Optional.of("url names port " + port + ": webhooks go to " + new TreeSet<>(ports).stream()
                    .map(String::valueOf).collect(Collectors.joining(", ")) + " only");
        }
        return Optional.empty();
    }

    /**
     * The one answer, at registration and at every attempt, for a host that does not resolve in time or resolves to
     * an address webhooks may not go to: two would tell a customer which names the bank's own network has.
     */
    public static String notPublic(String host) {
        return "the host " + host + " does not resolve within the time limit to public addresses only (not private, "
                + "loopback, link-local or reserved ones)";
    }

    private static Refusal invalid(String detail) {
        return new Refusal("INVALID_WEBHOOK_URL", detail);
    }
}
