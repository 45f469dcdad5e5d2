package io.qrvoucher.ingress.reads;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.springframework.web.reactive.function.client.WebClient;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Which voucher-streams instance holds which partition, actively or as a standby, as the instances
 * themselves report it. Asked for from any of the configured instances, kept for a while, and asked for
 * again at once when an instance no longer holds what it was asked for. An instance that names no instance
 * at all has not had its first assignment yet (it has just started): the next one is asked.
 */
public class StreamsRouting {

    /** The shape of voucher-streams' {@code GET /internal/routing}. */
    record Routing(List<Instance> instances) {
        static final Routing NONE = new Routing(List.of());
    }

    record Instance(URI url, Map<String, List<Integer>> active, Map<String, List<Integer>> standby) {
    }

    private final WebClient http;
    private final List<URI> seeds;
    private final Duration refreshEvery;
    private final Duration timeout;
    private volatile Routing current = Routing.NONE;
    private volatile boolean fetched;
    private volatile long fetchedAt;
    private final AtomicReference<Mono<Routing>> fetching = new AtomicReference<>();

    public StreamsRouting(WebClient http, List<URI> seeds, Duration refreshEvery, Duration timeout) {
        this.http = http;
        this.seeds = List.copyOf(seeds);
        this.refreshEvery = refreshEvery;
        this.timeout = timeout;
    }

    /**
     * The instances that hold a partition: the active one first, then its standbys. A routing older than its refresh
     * interval is asked for again, and used meanwhile: a holder it names that no longer holds the partition says so,
     * and the read asks for the routing again then ({@link VoucherReads}). Every read waited for the refresh, all of
     * them as long as a seed that had stopped answering took to time out.
     */
    public Mono<List<URI>> holdersOf(String topic, int partition) {
        return Mono.defer(() -> {
            if (!fetched) {
                return refresh();
            }
            if (System.nanoTime() - fetchedAt >= refreshEvery.toNanos()) {
                refresh().subscribe(null, failed -> { });
            }
            return Mono.just(current);
        }).map(known -> holders(known, topic, partition));
    }

    /**
     * Asks for the routing again, of every seed and known instance at once, and takes the first that names any
     * instance: one by one, a seed that had stopped answering held up the routing its whole timeout before the next was
     * asked. Concurrent callers share one request.
     */
    public Mono<Routing> refresh() {
        Mono<Routing> inFlight = fetching.get();
        if (inFlight != null) {
            return inFlight;
        }
        synchronized (this) {
            if (fetching.get() == null) {
                AtomicReference<Mono<Routing>> thisFetch = new AtomicReference<>();
                // Done before its callers have it, so that one that asks again at once is not handed it; and only if
                // it is still the one in flight, so that its end does not drop a newer one.
                Runnable done = () -> fetching.compareAndSet(thisFetch.get(), null);
                thisFetch.set(Flux.fromIterable(seedsAndKnown())
                        .flatMap(url -> http.get().uri(url.resolve("/internal/routing")).retrieve()
                                .bodyToMono(Routing.class)
                                .filter(routing -> !routing.instances().isEmpty())
                                .timeout(timeout)
                                .onErrorResume(e -> Mono.empty()))
                        .next()
                        .defaultIfEmpty(current)
                        .doOnNext(routing -> {
                            current = routing;
                            fetchedAt = System.nanoTime();
                            fetched = true;
                            done.run();
                        })
                        .doFinally(signal -> done.run())
                        .cache());
                fetching.set(thisFetch.get());
                return thisFetch.get();
            }
            return fetching.get();
        }
    }

    /** The configured instances; then every instance the last routing named, should those be gone. */
    private List<URI> seedsAndKnown() {
        List<URI> urls = new ArrayList<>(seeds);
        current.instances().stream().map(Instance::url).filter(url -> !urls.contains(url)).forEach(urls::add);
        return urls;
    }

    private static List<URI> holders(Routing routing, String topic, int partition) {
        List<URI> holders = new ArrayList<>();
        routing.instances().stream()
                .filter(instance -> instance.active().getOrDefault(topic, List.of()).contains(partition))
                .forEach(instance -> holders.add(instance.url()));
        routing.instances().stream()
                .filter(instance -> instance.standby().getOrDefault(topic, List.of()).contains(partition))
                .forEach(instance -> holders.add(instance.url()));
        return holders;
    }
}
