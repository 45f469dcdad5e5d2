package io.qrvoucher.voucher.app;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

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
import io.qrvoucher.support.reads.VoucherStreamsReads.BadQuery;
import io.qrvoucher.support.reads.VoucherStreamsReads.NotHeld;
import io.qrvoucher.support.reads.VoucherStreamsReads.Role;
import io.qrvoucher.voucher.query.BadParameter;
import io.qrvoucher.voucher.query.BrokerContact;
import io.qrvoucher.voucher.query.Routing;
import io.qrvoucher.voucher.query.StoreReads;
import reactor.core.publisher.Mono;

/**
 * The internal read API of voucher-streams, for the ingress over HTTP: {@link StoreReads}' answers,
 * Avro-encoded ({@link VoucherAnswer}, {@link VoucherPage}, {@link SettingsAnswer}, {@link ClaimAnswer},
 * {@link AttemptsAnswer}). A key whose partition this instance does not hold is answered 421 (Misdirected
 * Request): the caller refreshes its routing and asks again.
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
    /** A millisecond after the first: a list's bounds are taken a millisecond before what is asked. */
    private static final Instant EARLIEST = Instant.ofEpochMilli(Long.MIN_VALUE + 1);
    private static final Instant LATEST = Instant.ofEpochMilli(Long.MAX_VALUE);

    private final KafkaStreams streams;
    private final StoreReads reads;
    private final BrokerContact contact;
    private final VoucherStreamsProperties.Topics topics;

    InternalQueryController(KafkaStreams streams, StoreReads reads, BrokerContact contact,
                            VoucherStreamsProperties properties) {
        this.streams = streams;
        this.reads = reads;
        this.contact = contact;
        this.topics = properties.topics();
    }

    @GetMapping("/vouchers/{voucherId}")
    Mono<ResponseEntity<byte[]>> voucher(@PathVariable String voucherId,
                                         @RequestParam(required = false) String requestId,
                                         @RequestParam(defaultValue = "-1") long afterVersion,
                                         @RequestParam(required = false) Duration wait) {
        return reads.voucher(voucherId, requestId, afterVersion, orNone(wait)).map(answer -> avro(ANSWERS.encode(answer)));
    }

    @GetMapping("/customers/{customerId}/vouchers")
    Mono<ResponseEntity<byte[]>> vouchersOf(@PathVariable String customerId,
                                            @RequestParam String role,
                                            @RequestParam Instant from,
                                            @RequestParam Instant to,
                                            @RequestParam(required = false) Set<String> status,
                                            @RequestParam(required = false) String after,
                                            @RequestParam(defaultValue = "0") int skip,
                                            @RequestParam int size) {
        Role parsedRole = named(Role.class, role.toUpperCase(Locale.ROOT), "role");
        Set<VoucherStatus> statuses = EnumSet.allOf(VoucherStatus.class);
        if (status != null && !status.isEmpty()) {
            statuses = EnumSet.noneOf(VoucherStatus.class);
            for (String name : status) {
                statuses.add(named(VoucherStatus.class, name, "status"));
            }
        }
        return reads.vouchersOf(customerId, parsedRole, inMillis(from, "from"), inMillis(to, "to"), statuses, after, skip, size)
                .map(page -> avro(PAGES.encode(page)));
    }

    @GetMapping("/customers/{customerId}/settings")
    Mono<ResponseEntity<byte[]>> settings(@PathVariable String customerId,
                                          @RequestParam(defaultValue = "-1") long afterOffset,
                                          @RequestParam(required = false) Duration wait) {
        return reads.settings(customerId, afterOffset, orNone(wait)).map(found -> avro(SETTINGS.encode(found)));
    }

    @GetMapping("/claims")
    Mono<ResponseEntity<byte[]>> claim(@RequestParam String claimKey, @RequestParam(required = false) Duration wait) {
        return reads.claim(claimKey, orNone(wait)).map(found -> avro(CLAIMS.encode(found)));
    }

    @GetMapping("/customers/{customerId}/attempts")
    Mono<ResponseEntity<byte[]>> attempts(@PathVariable String customerId, @RequestParam AttemptKind kind,
                                          @RequestParam Instant since, @RequestParam int max) {
        return reads.attempts(customerId, kind, inMillis(since, "since"), max).map(found -> avro(ATTEMPTS.encode(found)));
    }

    /** The constant of that name, or a 400 (a 500 before: a caller's word, not this service's fault). */
    private static <E extends Enum<E>> E named(Class<E> type, String name, String parameter) {
        try {
            return Enum.valueOf(type, name);
        } catch (IllegalArgumentException unknown) {
            throw new BadParameter(parameter + " is not one of " + EnumSet.allOf(type));
        }
    }

    /** A time the stores can hold, in milliseconds since the epoch, or a 400. */
    private static Instant inMillis(Instant time, String parameter) {
        if (time.isBefore(EARLIEST) || time.isAfter(LATEST)) {
            throw new BadParameter(parameter + " is not a time between " + EARLIEST + " and " + LATEST);
        }
        return time;
    }

    /**
     * Which instance holds which partitions of the voucher and customer topics, actively or as a standby; not told by
     * an instance out of contact with the brokers, whose view may be of partitions that have moved since.
     */
    @GetMapping("/routing")
    Routing routing() {
        contact.requireContact();
        return Routing.of(streams.metadataForAllStreamsClients(),
                Set.of(topics.requests(), topics.customerVouchers(), topics.settingsChanges(), topics.idempotencyClaims(),
                        topics.customerAttempts()));
    }

    @ExceptionHandler(NotHeld.class)
    ResponseEntity<ProblemDetail> notHere(NotHeld e) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.MISDIRECTED_REQUEST, e.getMessage());
        problem.setTitle("Not held by this instance");
        return ResponseEntity.status(HttpStatus.MISDIRECTED_REQUEST).body(problem);
    }

    /**
     * A query refused as asked (a cursor of another list): 422, apart from the 400 of a malformed one, so that the
     * ingress passes this one on as its client's and keeps the other as its own mistake.
     */
    @ExceptionHandler(BadQuery.class)
    ResponseEntity<ProblemDetail> badQuery(BadQuery e) {
        return ResponseEntity.unprocessableContent()
                .body(ProblemDetail.forStatusAndDetail(HttpStatus.UNPROCESSABLE_CONTENT, e.getMessage()));
    }

    private static ResponseEntity<byte[]> avro(byte[] body) {
        return ResponseEntity.ok().contentType(AVRO).body(body);
    }

    private static Duration orNone(Duration wait) {
        return wait == null ? Duration.ZERO : wait;
    }
}
