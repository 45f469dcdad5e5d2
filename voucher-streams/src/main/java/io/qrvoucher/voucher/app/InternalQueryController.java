package io.qrvoucher.voucher.app;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;

import org.apache.kafka.streams.KafkaStreams;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.qrvoucher.avro.AttemptKind;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.avro.query.AttemptsAnswer;
import io.qrvoucher.avro.query.ClaimAnswer;
import io.qrvoucher.avro.query.SettingsAnswer;
import io.qrvoucher.avro.query.VoucherAnswer;
import io.qrvoucher.avro.query.VoucherPage;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.voucher.query.Routing;
import io.qrvoucher.voucher.query.Ticks;
import io.qrvoucher.voucher.query.VoucherQueries;
import io.qrvoucher.voucher.query.VoucherQueries.NotHereException;
import io.qrvoucher.voucher.query.VoucherWatches;
import io.qrvoucher.voucher.streams.CustomerVoucherIndex.Role;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The internal read API of voucher-streams, for the ingress: the committed state of this instance's
 * stores, Avro-encoded ({@link VoucherAnswer}, {@link VoucherPage}, {@link SettingsAnswer},
 * {@link ClaimAnswer}, {@link AttemptsAnswer}). A key whose partition this instance
 * does not hold is answered 421 (Misdirected Request): the caller refreshes its routing and asks again.
 */
@RestController
@RequestMapping("/internal")
class InternalQueryController {

    static final MediaType AVRO = MediaType.parseMediaType("application/vnd.qrvoucher+avro");
    private static final AvroSerde<VoucherAnswer> ANSWERS = AvroSerde.of(VoucherAnswer.class);
    private static final AvroSerde<VoucherPage> PAGES = AvroSerde.of(VoucherPage.class);
    private static final AvroSerde<SettingsAnswer> SETTINGS = AvroSerde.of(SettingsAnswer.class);
    private static final AvroSerde<ClaimAnswer> CLAIMS = AvroSerde.of(ClaimAnswer.class);
    private static final AvroSerde<AttemptsAnswer> ATTEMPTS = AvroSerde.of(AttemptsAnswer.class);
    /** The most attempts one read answers: far above any limit, so that a read stays small. */
    private static final int MAX_ATTEMPTS = 1000;
    private static final Duration MAX_WAIT = Duration.ofSeconds(60);

    private final KafkaStreams streams;
    private final VoucherQueries queries;
    private final VoucherWatches watches;
    private final Ticks ticks;
    private final VoucherStreamsProperties properties;

    InternalQueryController(KafkaStreams streams, VoucherQueries queries, VoucherWatches watches, Ticks ticks,
                            VoucherStreamsProperties properties) {
        this.streams = streams;
        this.queries = queries;
        this.watches = watches;
        this.ticks = ticks;
        this.properties = properties;
    }

    /**
     * A voucher, and the refusal of one request about it. With {@code wait}, a long poll: answered when
     * the voucher's version exceeds {@code afterVersion} or the request was refused, at the latest after
     * {@code wait}.
     */
    @GetMapping("/vouchers/{voucherId}")
    Mono<ResponseEntity<byte[]>> voucher(@PathVariable String voucherId,
                                         @RequestParam(required = false) String requestId,
                                         @RequestParam(defaultValue = "-1") long afterVersion,
                                         @RequestParam(required = false) Duration wait) {
        Mono<VoucherAnswer> answer = isWait(wait)
                ? watches.awaitChange(voucherId, requestId, afterVersion, min(wait, MAX_WAIT))
                : Mono.fromCallable(() -> queries.voucher(voucherId, requestId));
        return answer.map(found -> ResponseEntity.ok().contentType(AVRO).body(ANSWERS.encode(found)));
    }

    /** A page of a customer's vouchers in a role, newest first. */
    @GetMapping("/customers/{customerId}/vouchers")
    Mono<ResponseEntity<byte[]>> vouchersOf(@PathVariable String customerId,
                                            @RequestParam String role,
                                            @RequestParam Instant from,
                                            @RequestParam Instant to,
                                            @RequestParam(required = false) Set<String> status,
                                            @RequestParam(required = false) String after,
                                            @RequestParam(defaultValue = "0") int skip,
                                            @RequestParam int size) {
        Role parsedRole = Role.valueOf(role.toUpperCase(Locale.ROOT));
        Set<VoucherStatus> statuses = EnumSet.allOf(VoucherStatus.class);
        if (status != null && !status.isEmpty()) {
            statuses = EnumSet.noneOf(VoucherStatus.class);
            for (String name : status) {
                statuses.add(VoucherStatus.valueOf(name));
            }
        }
        Set<VoucherStatus> wanted = statuses;
        return Mono.fromCallable(() -> queries.vouchersOf(customerId, parsedRole, from, to, wanted, after, skip, size))
                .subscribeOn(Schedulers.boundedElastic())
                .map(page -> ResponseEntity.ok().contentType(AVRO).body(PAGES.encode(page)));
    }

    /**
     * A customer's settings. With {@code wait}, answered once a change at {@code afterOffset} of the
     * customer's settings-changes partition (or a later one) is merged in, at the latest after {@code wait}:
     * how a writer reads its own write.
     */
    @GetMapping("/customers/{customerId}/settings")
    Mono<ResponseEntity<byte[]>> settings(@PathVariable String customerId,
                                          @RequestParam(defaultValue = "-1") long afterOffset,
                                          @RequestParam(required = false) Duration wait) {
        return readOrAwait(() -> queries.settings(customerId),
                found -> found.getSettings() != null && found.getSettings().getChangeOffset() >= afterOffset, wait)
                .map(found -> ResponseEntity.ok().contentType(AVRO).body(SETTINGS.encode(found)));
    }

    /**
     * The first claim of an Idempotency-Key or sign-in ({@code claimKey}: customer, slash, key) within the
     * claim window. With {@code wait}, answered once there is one, at the latest after {@code wait}: how an
     * ingress learns whether the claim it just published is the first.
     */
    @GetMapping("/claims")
    Mono<ResponseEntity<byte[]>> claim(@RequestParam String claimKey, @RequestParam(required = false) Duration wait) {
        return readOrAwait(() -> queries.claim(claimKey, oldestClaimHeld()), found -> found.getClaim() != null, wait)
                .map(found -> ResponseEntity.ok().contentType(AVRO).body(CLAIMS.encode(found)));
    }

    /**
     * A customer's attempts of a kind since {@code since}, the newest {@code max}: what the abuse limits of
     * every ingress instance count.
     */
    @GetMapping("/customers/{customerId}/attempts")
    Mono<ResponseEntity<byte[]>> attempts(@PathVariable String customerId, @RequestParam AttemptKind kind,
                                          @RequestParam Instant since, @RequestParam int max) {
        if (max < 1 || max > MAX_ATTEMPTS) {
            throw new IllegalArgumentException("max must be between 1 and " + MAX_ATTEMPTS);
        }
        return Mono.fromCallable(() -> queries.attempts(customerId, kind, since, max))
                .map(found -> ResponseEntity.ok().contentType(AVRO).body(ATTEMPTS.encode(found)));
    }

    /**
     * A read now; with a wait, the first read that is {@code wanted}, at the latest the read after the wait.
     * A writer waiting for its own settings change or claim reads at every tick: nobody announces those. A
     * claim is there as soon as its task has processed it (it is read uncommitted), a few milliseconds after
     * it was published, so the wait is short and each look cheap (one key of one store).
     */
    private <T> Mono<T> readOrAwait(Supplier<T> read, Predicate<T> wanted, Duration wait) {
        Mono<T> now = Mono.fromSupplier(read);
        if (!isWait(wait)) {
            return now;
        }
        return ticks.fromNow()
                .map(tick -> read.get())
                .filter(wanted)
                .next()
                .timeout(min(wait, MAX_WAIT), now);
    }

    private static boolean isWait(Duration wait) {
        return wait != null && !wait.isZero() && !wait.isNegative();
    }

    private Instant oldestClaimHeld() {
        return Instant.now().minus(properties.claimWindow());
    }

    /** Which instance holds which partitions of the voucher and customer topics, actively or as a standby. */
    @GetMapping("/routing")
    Routing routing() {
        VoucherStreamsProperties.Topics topics = properties.topics();
        return Routing.of(streams.metadataForAllStreamsClients(),
                Set.of(topics.requests(), topics.customerVouchers(), topics.settingsChanges(), topics.idempotencyClaims(),
                        topics.customerAttempts()));
    }

    @ExceptionHandler(NotHereException.class)
    ResponseEntity<ProblemDetail> notHere(NotHereException e) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.MISDIRECTED_REQUEST, e.getMessage());
        problem.setTitle("Not held by this instance");
        return ResponseEntity.status(HttpStatus.MISDIRECTED_REQUEST).body(problem);
    }

    @ExceptionHandler(IllegalArgumentException.class)
    ResponseEntity<ProblemDetail> badQuery(IllegalArgumentException e) {
        return ResponseEntity.badRequest().body(ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, e.getMessage()));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
