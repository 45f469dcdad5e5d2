package io.qrvoucher.ingress.reads;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import org.springframework.web.reactive.function.client.WebClientResponseException;

import io.qrvoucher.avro.AttemptKind;
import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.avro.query.AttemptsAnswer;
import io.qrvoucher.avro.query.ClaimAnswer;
import io.qrvoucher.avro.query.SettingsAnswer;
import io.qrvoucher.avro.query.VoucherAnswer;
import io.qrvoucher.avro.query.VoucherPage;
import io.qrvoucher.ingress.IngressProperties;
import io.qrvoucher.ingress.codes.Uuids;
import io.qrvoucher.support.KeyPartitions;
import io.qrvoucher.support.reads.ColocatedOwners;
import io.qrvoucher.support.reads.VoucherStreamsReads;
import io.qrvoucher.support.reads.VoucherStreamsReads.Role;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * Reads of vouchers, settings and claims, answered by the voucher-streams instance that owns each from
 * its committed state: a voucher by the owner of its partition of the requests topic, a customer's list
 * by the owner of the customer's partition of the customer-vouchers index, a customer's settings by the
 * owner of the customer's partition of settings-changes, the first claim of an Idempotency-Key by the
 * owner of its partition of the claims topic, a customer's recent attempts (for the abuse limits) by the
 * owner of the customer's partition of customer-attempts. This instance keeps no copy of any. When the
 * owner cannot answer (it is gone, or restoring, or the partition moved) a standby is asked, and the
 * routing is refreshed; when nobody can, the read fails with {@link Unavailable}.
 */
public class VoucherReads {

    private static final Logger log = LoggerFactory.getLogger(VoucherReads.class);

    /**
     * How long a read looks for a holder that answers: about 3 s of backoff in all (besides the holders' own
     * time to answer or time out), long enough to outlast a task's hand-over between instances (a standby
     * becoming active, an active moving back to a restarted instance takes a second or two on a busy
     * machine), after which the read fails as unavailable.
     */
    private static final int RETRIES = 8;
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofMillis(500);

    private final WebClient http;
    private final StreamsRouting routing;
    private final Function<String, Mono<Integer>> partitionCounts;
    private final Map<URI, VoucherStreamsReads> colocated;
    private final IngressProperties.Topics topics;
    private final Duration timeout;
    /** Where waits' deadlines are read from: {@link System#nanoTime}, but in tests. */
    private final LongSupplier nanoClock;
    /**
     * The holders that let a read run out its time lately, each until when (an instant of {@link #nanoClock}) reads
     * ask them after the partition's other holders: a standby answers at once where the active one stopped answering
     * (a long pause, a network dropping its packets). Meanwhile one read that does not wait at a time asks such a
     * holder ({@link #probing}) and the other such reads pass it over, so that a holder alone that stopped answering
     * costs one of them its time, not every one of its partitions'. Any answer but another timeout clears the mark.
     */
    private final Map<URI, Long> unresponsive = new ConcurrentHashMap<>();
    /** The holders marked {@link #unresponsive} that a read is asking now (passed over by the others until it ends). */
    private final Set<URI> probing = ConcurrentHashMap.newKeySet();

    /**
     * @param partitionCounts the number of partitions of a topic
     * @param colocated       the instances in this process, asked directly instead of over {@code http}
     */
    public VoucherReads(WebClient http, StreamsRouting routing, Function<String, Mono<Integer>> partitionCounts,
                        ColocatedOwners colocated, IngressProperties properties) {
        this(http, routing, partitionCounts, colocated, properties, System::nanoTime);
    }

    VoucherReads(WebClient http, StreamsRouting routing, Function<String, Mono<Integer>> partitionCounts,
                 ColocatedOwners colocated, IngressProperties properties, LongSupplier nanoClock) {
        this.http = http;
        this.routing = routing;
        this.partitionCounts = partitionCounts;
        this.colocated = colocated.voucherStreams();
        this.topics = properties.topics();
        this.timeout = properties.voucherStreams().timeout();
        this.nanoClock = nanoClock;
    }

    /** The voucher (null inside if there is none) and, if {@code requestId} is given, its refusal. */
    public Mono<VoucherAnswer> voucher(String voucherId, String requestId) {
        return awaitChange(voucherId, requestId, -1, Duration.ZERO);
    }

    /**
     * A long poll on the voucher's owner: the voucher once its version is above {@code afterVersion} or
     * the request was refused; after {@code wait}, as it is then.
     */
    public Mono<VoucherAnswer> awaitChange(String voucherId, String requestId, long afterVersion, Duration wait) {
        if (!Uuids.isCanonical(voucherId)) {
            // Answered here: no owner has such a voucher, and an id a client made up may not fit a request line. Still
            // after the wait, as the owner would answer: a caller that polls again (changes()) must not spin.
            Mono<VoucherAnswer> none = Mono.just(new VoucherAnswer(null, null));
            return wait.isZero() ? none : none.delayElement(wait);
        }
        return askWaiting(topics.requests(), voucherId, wait,
                (instance, left) -> instance.voucher(voucherId, requestId, afterVersion, left));
    }

    /** What is left until {@code deadline}, an instant of {@link #nanoClock}, to the millisecond; none under one. */
    private Duration leftUntil(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - nanoClock.getAsLong())).truncatedTo(ChronoUnit.MILLIS);
    }

    /**
     * Long polls until the answer about the voucher and the request satisfies {@code settled}, or the
     * request was refused; empty if neither happened within {@code wait}.
     */
    public Mono<VoucherAnswer> awaitUntil(String voucherId, String requestId, Predicate<VoucherAnswer> settled,
                                          Duration wait) {
        long deadline = nanoClock.getAsLong() + wait.toNanos();
        return awaitUntil(voucherId, requestId, settled, -1, deadline);
    }

    /**
     * What is left is read as the poll starts, not as it is made: a write's wait is made before its request is
     * published and counts from then, the publish included, as its client asked.
     */
    private Mono<VoucherAnswer> awaitUntil(String voucherId, String requestId, Predicate<VoucherAnswer> settled,
                                           long afterVersion, long deadline) {
        return Mono.defer(() -> {
            Duration left = leftUntil(deadline);
            if (left.isZero()) {
                return Mono.empty();
            }
            return awaitChange(voucherId, requestId, afterVersion, left)
                    .flatMap(answer -> answer.getRefusal() != null || settled.test(answer)
                            ? Mono.just(answer)
                            : awaitUntil(voucherId, requestId, settled, versionOf(answer, afterVersion), deadline));
        });
    }

    /**
     * Every new state of the voucher after {@code afterVersion}, as its owner commits it: one long poll
     * after another, each at most {@code pollWait}. Ends with an error when no owner can answer.
     */
    public Flux<VoucherState> changes(String voucherId, long afterVersion, Duration pollWait) {
        return changes(afterVersion, version -> awaitChange(voucherId, null, version, pollWait));
    }

    /**
     * Every newer state of a voucher, from long polls each asked after the newest version seen so far. A holder that
     * lags (a standby, a task restoring) may answer an older version than one already told: it is neither told nor
     * polled from, so the states told never go back.
     */
    static Flux<VoucherState> changes(long afterVersion, LongFunction<Mono<VoucherAnswer>> pollAfter) {
        return Flux.defer(() -> {
            AtomicLong polledAfter = new AtomicLong(afterVersion);
            AtomicLong told = new AtomicLong(afterVersion);
            return pollAfter.apply(afterVersion)
                    .expand(answer -> pollAfter.apply(polledAfter.accumulateAndGet(versionOf(answer, afterVersion), Math::max)))
                    .mapNotNull(VoucherAnswer::getVoucher)
                    .filter(voucher -> told.getAndAccumulate(voucher.getVersion(), Math::max) < voucher.getVersion());
        });
    }

    private static long versionOf(VoucherAnswer answer, long otherwise) {
        return answer.getVoucher() == null ? otherwise : answer.getVoucher().getVersion();
    }

    /**
     * A page of a customer's vouchers in a role, newest first, in {@code [from, to)}.
     *
     * @param after the {@code next} of the previous page, or null
     * @param skip  matching vouchers to pass over first
     */
    public Mono<VoucherPage> vouchersOf(String customerId, Role role, Instant from, Instant to,
                                        Set<VoucherStatus> statuses, String after, int skip, int size) {
        return ask(topics.customerVouchers(), customerId, () -> timeout,
                instance -> instance.vouchersOf(customerId, role, from, to, statuses, after, skip, size));
    }

    /** The customer's settings, or null inside if the customer never changed any. */
    public Mono<SettingsAnswer> settings(String customerId) {
        return settingsAfter(customerId, -1, Duration.ZERO);
    }

    /**
     * The customer's settings once the change published at {@code offset} of the customer's partition is
     * merged in; after {@code wait}, as they are then.
     */
    public Mono<SettingsAnswer> settingsAfter(String customerId, long offset, Duration wait) {
        return askWaiting(topics.settingsChanges(), customerId, wait,
                (instance, left) -> instance.settings(customerId, offset, left));
    }

    /**
     * The first claim of an Idempotency-Key or sign-in within the claim window, null inside if it has none;
     * with a positive {@code wait}, once there is one, or after the wait.
     *
     * @param claimKey the key the claim is published under ({@code VoucherRules.claimKey})
     */
    public Mono<ClaimAnswer> claim(String claimKey, Duration wait) {
        return askWaiting(topics.idempotency(), claimKey, wait, (instance, left) -> instance.claim(claimKey, left));
    }

    /**
     * A customer's attempts of a kind made since {@code since}, oldest first: the newest {@code max}, as the
     * voucher-streams instance that keeps the customer's counts them for every ingress instance.
     */
    public Mono<AttemptsAnswer> attempts(String customerId, AttemptKind kind, Instant since, int max) {
        return ask(topics.customerAttempts(), customerId, () -> timeout,
                instance -> instance.attempts(customerId, kind, since, max));
    }

    /**
     * A long poll, asked as {@link #ask} asks: each holder, each time, for what is left of {@code wait}, its answer
     * waited for that long and the read's timeout. One asked again after the partition moved (421), or after a holder
     * that stopped answering, must not start the whole wait over, or a Prefer: wait, and a place kept until its write
     * settles, would run many times as long. The wait counts from the subscription, not from when the read is made:
     * a claim's read-back is made before the claim is published.
     */
    private <T> Mono<T> askWaiting(String topic, String key, Duration wait,
                                   BiFunction<VoucherStreamsReads, Duration, Mono<T>> read) {
        return Mono.defer(() -> {
            long deadline = nanoClock.getAsLong() + wait.toNanos();
            return ask(topic, key, () -> leftUntil(deadline).plus(timeout),
                    instance -> read.apply(instance, leftUntil(deadline)));
        });
    }

    /**
     * Asks the holders of the key's partition in turn (active first, then standbys; those that let a read run out its
     * time lately last). When none answers (the partition is moving, or its owner restoring or gone), the routing is
     * asked for again and the holders it names are asked, a few times over about three seconds, before the read gives
     * up. A holder that let this read run out its time is not asked by it again: one that stopped answering would
     * otherwise cost the read the whole timeout once per attempt, about nine times over, and the request waiting on it
     * and its admission place as long. One that let any read run out its time lately is asked by one read that does
     * not wait at a time until it answers again; the other such reads pass it over.
     */
    private <T> Mono<T> ask(String topic, String key, Supplier<Duration> attemptTimeout,
                            Function<VoucherStreamsReads, Mono<T>> read) {
        return Mono.defer(() -> {
            Set<URI> timedOut = ConcurrentHashMap.newKeySet();
            return partitionCounts.apply(topic)
                    .onErrorMap(e -> new Unavailable("The partitions of " + topic + " are not known: " + e.getMessage()))
                    .map(count -> KeyPartitions.of(key, count))
                    .flatMap(partition -> routing.holdersOf(topic, partition)
                            .flatMap(holders -> askEach(holders, timedOut, attemptTimeout, read))
                            .retryWhen(Retry.backoff(RETRIES, FIRST_BACKOFF).maxBackoff(MAX_BACKOFF)
                                    .filter(NotAnswered.class::isInstance)
                                    .doBeforeRetryAsync(retry -> routing.refresh().then())
                                    .onRetryExhaustedThrow((spec, retry) -> new Unavailable("No voucher-streams instance "
                                            + "answered for partition " + partition + " of " + topic + ": "
                                            + retry.failure().getMessage()))));
        });
    }

    /**
     * Asks each holder in turn until one answers, each for at most {@code attemptTimeout} as it is then, but those
     * that let this read run out its time before.
     */
    private <T> Mono<T> askEach(List<URI> holders, Set<URI> timedOut, Supplier<Duration> attemptTimeout,
                                Function<VoucherStreamsReads, Mono<T>> read) {
        List<String> failures = new ArrayList<>();
        return inTurn(holders)
                .concatMap(holder -> Mono.defer(() -> askHolder(holder, timedOut, attemptTimeout, read, failures)))
                .next()
                .switchIfEmpty(Mono.error(() -> new NotAnswered(holders.isEmpty() ? "no instance holds it" : String.join("; ", failures))));
    }

    /**
     * Asks one holder for at most {@code attemptTimeout}, unless it let this read run out its time before. A read that
     * does not wait asks one that let any read run out its time lately only if no other read is asking it, which this
     * one then does; a long poll, which a holder answers only at the end of its wait, asks it as ever, so that it never
     * holds the others off a holder that answers again.
     */
    private <T> Mono<T> askHolder(URI holder, Set<URI> timedOut, Supplier<Duration> attemptTimeout,
                                  Function<VoucherStreamsReads, Mono<T>> read, List<String> failures) {
        if (timedOut.contains(holder)) {
            failures.add(holder + ": did not answer this read in time");
            return Mono.empty();
        }
        Duration askedFor = attemptTimeout.get();
        boolean probe = false;
        if (askedFor.compareTo(timeout) <= 0) {
            Long markedUntil = unresponsive.get(holder);
            boolean marked = markedUntil != null && markedUntil - nanoClock.getAsLong() > 0;
            if (probing.contains(holder) || (marked && !probing.add(holder))) {
                failures.add(holder + ": stopped answering reads lately, and another read is asking it whether it "
                        + "answers again");
                return Mono.empty();
            }
            probe = marked;
        }
        Mono<T> asked = Mono.defer(() -> read.apply(instance(holder)))
                .timeout(askedFor)
                .doOnSuccess(answered -> unresponsive.remove(holder))
                .doOnError(e -> {
                    // Any end but a timeout: an answer, if not with the data (421, 503, a refusal of the query), or a
                    // connection refused, which costs a read no time.
                    if (!(e instanceof TimeoutException)) {
                        unresponsive.remove(holder);
                    }
                })
                .onErrorResume(VoucherReads::askAnother, e -> {
                    if (e instanceof TimeoutException) {
                        timedOut.add(holder);
                        unresponsive.put(holder, nanoClock.getAsLong() + timeout.toNanos());
                    }
                    failures.add(holder + ": " + e.getMessage());
                    return Mono.empty();
                });
        return probe ? asked.doFinally(ended -> probing.remove(holder)) : asked;
    }

    /** The holders as they are to be asked: those that let a read run out its time lately last. */
    private Flux<URI> inTurn(List<URI> holders) {
        if (unresponsive.isEmpty()) {
            return Flux.fromIterable(holders);
        }
        long now = nanoClock.getAsLong();
        return Flux.fromIterable(holders).sort(Comparator.comparing(holder -> unresponsive.getOrDefault(holder, now) - now > 0));
    }

    /** The instance at a URL: the one in this process, if it is, else its HTTP API (nothing to keep: a URL and the client). */
    private VoucherStreamsReads instance(URI url) {
        VoucherStreamsReads inProcess = colocated.get(url);
        return inProcess != null ? inProcess : new HttpVoucherStreamsReads(http, url);
    }

    /** Errors after which another holder may answer: not held there (421), not ready (503), not reachable. */
    private static boolean askAnother(Throwable error) {
        if (error instanceof VoucherStreamsReads.NotHeld) {
            return true;
        }
        if (error instanceof WebClientResponseException response) {
            return response.getStatusCode().isSameCodeAs(HttpStatus.MISDIRECTED_REQUEST)
                    || response.getStatusCode().is5xxServerError();
        }
        return error instanceof WebClientRequestException || error instanceof TimeoutException;
    }

    /** None of the holders asked could answer: worth asking again after refreshing the routing. */
    private static final class NotAnswered extends RuntimeException {
        NotAnswered(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * A read made after its request was published: whatever it does, the request was accepted, so a failure reads as
     * nothing found (the caller answers 202). Answered 500 instead, a client without an Idempotency-Key would send the
     * request again, and a second voucher would be frozen. One that is not the routine {@link Unavailable} is logged.
     */
    public static <T> Mono<T> afterPublished(Mono<T> read) {
        return read.onErrorResume(failure -> {
            if (!(failure instanceof Unavailable)) {
                log.warn("A read after its request was published failed; the request is answered as accepted", failure);
            }
            return Mono.empty();
        });
    }

    /** No instance that holds the data could answer now; the caller may try again shortly. */
    public static class Unavailable extends RuntimeException {
        public Unavailable(String message) {
            super(message);
        }
    }

    /**
     * A write was sent, and no instance confirmed it in time: it may have been done, so the client is not told
     * "nothing happened" but what to do instead ({@link #advice()}).
     */
    public static final class Unconfirmed extends Unavailable {

        private final String advice;

        public Unconfirmed(String message, String advice) {
            super(message);
            this.advice = advice;
        }

        /** What the client should do, in its words. */
        public String advice() {
            return advice;
        }
    }
}
