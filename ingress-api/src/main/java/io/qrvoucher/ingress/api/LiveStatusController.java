package io.qrvoucher.ingress.api;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.function.client.WebClient;

import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.ingress.IngressProperties;
import io.qrvoucher.ingress.codes.Uuids;
import io.qrvoucher.ingress.kafka.RequestPublisher;
import io.qrvoucher.ingress.reads.InternalClients;
import io.qrvoucher.ingress.reads.StreamsRouting;
import io.qrvoucher.ingress.reads.VoucherReads;
import io.qrvoucher.schemas.VoucherRules;
import io.qrvoucher.support.reads.ColocatedOwners;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.resources.ConnectionProvider;

/**
 * Live status of the caller's vouchers over Server-Sent Events: one voucher's, or several over one stream. With
 * the latter a page follows all its live vouchers with one connection, where one stream per voucher would take
 * the six connections a browser opens to a host over HTTP/1.1 and leave every later call of the page waiting.
 *
 * <p>Each event carries one voucher; its {@code id} is the stream's position: the version of every
 * followed voucher, in the order of {@code ids}, joined by dots ({@code -1} for one not seen yet). A client
 * that sends it back as {@code Last-Event-ID} (with the same {@code ids}) is sent only what changed since;
 * one that follows a different set composes the header from the versions it knows. A stream ends when
 * every voucher it follows is final, after {@code ingress.live-status.max-age}, when the caller's token
 * expires (the resumed stream is refused with 401 and the page asks the customer to sign in again), or when
 * no owner of a voucher can answer; the client resumes it from its last event id.
 *
 * <p>A single voucher's stream ends likewise (its event ids are the voucher's versions), and is refused with 404
 * for a voucher the caller cannot see. Either stream lasts no longer than the caller's token: it never outlives
 * the sign-in.
 *
 * <p>Vouchers are read from their owners by long polls over a connection pool of their own
 * ({@code ingress.live-status.connections}, each carrying many over HTTP/2: {@link LongPollConnections}), so that
 * streams never hold up other reads. An id the caller cannot see
 * (another's voucher, or one not issued yet) is followed without a word: nothing about it is sent until it
 * exists and is the caller's, so the stream tells nothing about others' vouchers.
 */
@RestController
@Tag(name = "vouchers")
@EnableConfigurationProperties(LiveStatusProperties.class)
class LiveStatusController implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(LiveStatusController.class);
    private static final int FIRST_READS_AT_ONCE = 8;
    /** Marks the end of the vouchers' changes in the merged stream; never sent. */
    private static final ServerSentEvent<Object> END = ServerSentEvent.builder().comment("end").build();
    private static final String TOO_MANY_STREAMS = "TOO_MANY_STREAMS: you have as many live status streams open as you "
            + "may, or they would follow more vouchers than you may; close one first";

    private final LiveStatusProperties settings;
    private final Representations representations;
    private final Clock clock;
    private final ConnectionProvider connections;
    private final VoucherReads reads;
    /** The streams open on this instance, by customer, and the vouchers they follow. */
    private final Map<String, Open> openStreams = new ConcurrentHashMap<>();

    /** A customer's open streams on this instance, and how many vouchers they follow together. */
    private record Open(int streams, int followed) {

        Open plus(Open other) {
            return new Open(streams + other.streams, followed + other.followed);
        }
    }

    LiveStatusController(LiveStatusProperties settings, Representations representations, StreamsRouting routing,
                         RequestPublisher publisher, ObjectProvider<ColocatedOwners> colocatedOwners,
                         IngressProperties properties, InternalClients internalClients, Clock clock) {
        this.settings = settings;
        this.representations = representations;
        this.clock = clock;
        this.connections = LongPollConnections.pool("live-status", settings.connections());
        WebClient http = internalClients.voucherStreams().mutate()
                .clientConnector(new ReactorClientHttpConnector(LongPollConnections.client(connections, settings.http2())))
                .build();
        this.reads = new VoucherReads(http, routing, publisher::partitionCount,
                colocatedOwners.getIfAvailable(ColocatedOwners::none), properties);
    }

    @GetMapping(value = "/api/vouchers/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    @Operation(summary = "Live status of several of your vouchers over one stream (Server-Sent Events)",
            description = "Sends each voucher now (unless `Last-Event-ID` shows it was seen at that version) and at "
                    + "every change (event `voucher`). An event's id is the version of every followed voucher, in the "
                    + "order of `ids`, joined by dots (-1: not seen); send the last one back as `Last-Event-ID` to "
                    + "resume without repeats. Ids you cannot see send nothing. The stream ends when every voucher is "
                    + "final, when your token expires, or after `ingress.live-status.max-age`: resume it then.")
    @ApiResponse(responseCode = "200", description = "The stream of the vouchers' events")
    @ApiResponse(responseCode = "429", description = TOO_MANY_STREAMS)
    Flux<ServerSentEvent<Object>> events(
            @AuthenticationPrincipal Jwt caller,
            @Parameter(description = "voucher ids, comma-separated or repeated; at most ingress.live-status.max-vouchers")
            @RequestParam List<String> ids,
            @Parameter(description = "the id of the last event received, or one composed from the versions known")
            @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId) {
        List<String> followed = followed(ids);
        long[] seen = cursor(lastEventId, followed.size());
        String customerId = caller.getSubject();
        Duration lifetime = lifetime(caller);
        return counted(customerId, followed.size(), Flux.fromIterable(followed)
                .flatMapSequential(id -> reads.voucher(id, null).map(answer -> Optional.ofNullable(answer.getVoucher())),
                        FIRST_READS_AT_ONCE)
                .collectList()
                .flatMapMany(current -> stream(followed, current, seen, customerId))
                .take(lifetime));
    }

    @GetMapping(value = "/api/vouchers/{id}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    @Operation(summary = "Live status of a voucher as Server-Sent Events",
            description = "Sends the voucher now and at every change (event `voucher`, whose id is the voucher's "
                    + "version). The stream ends after a final status, when your token expires, or after "
                    + "`ingress.live-status.max-age`: open it again then.")
    @ApiResponse(responseCode = "200", description = "The stream of the voucher's events")
    @ApiResponse(responseCode = "429", description = TOO_MANY_STREAMS)
    Flux<ServerSentEvent<Object>> voucherEvents(@AuthenticationPrincipal Jwt caller, @PathVariable String id) {
        String customerId = caller.getSubject();
        Duration lifetime = lifetime(caller);
        return counted(customerId, 1, representations.visible(reads, id, customerId)
                .flatMapMany(current -> withHeartbeats(Flux.concat(Flux.just(current),
                                reads.changes(id, current.getVersion(), settings.pollWait()))
                        .filter(voucher -> Representations.isVisibleTo(voucher, customerId))
                        .takeUntil(voucher -> VoucherRules.isFinal(voucher.getStatus().name()))
                        .map(voucher -> ServerSentEvent.<Object>builder(representations.voucher(voucher, customerId))
                                .event("voucher").id(Long.toString(voucher.getVersion())).build())))
                .take(lifetime));
    }

    /**
     * The stream, following {@code vouchers}, counted among the customer's open ones while it lasts; refused 429 if
     * they have as many open on this instance as they may, or would follow more vouchers than they may (each holds a
     * long poll on its owner). Counted when it starts and until it ends however it ends, the client gone included.
     */
    private <T> Flux<T> counted(String customerId, int vouchers, Flux<T> stream) {
        return Flux.defer(() -> {
            Open open = openStreams.merge(customerId, new Open(1, vouchers), Open::plus);
            if (open.streams() > settings.maxStreamsPerCustomer() || open.followed() > settings.maxFollowedPerCustomer()) {
                ended(customerId, vouchers);
                String detail = open.streams() > settings.maxStreamsPerCustomer()
                        ? "You have " + settings.maxStreamsPerCustomer() + " live status streams open; close one first"
                        : "Your live status streams would follow more than " + settings.maxFollowedPerCustomer()
                                + " vouchers; close one first, or follow fewer";
                return Flux.error(new ApiException(HttpStatus.TOO_MANY_REQUESTS, "TOO_MANY_STREAMS", detail).retryAfter(5));
            }
            return stream.doFinally(signal -> ended(customerId, vouchers));
        });
    }

    private void ended(String customerId, int vouchers) {
        openStreams.computeIfPresent(customerId,
                (id, open) -> open.streams() > 1 ? new Open(open.streams() - 1, open.followed() - vouchers) : null);
    }

    /**
     * How long a stream opened now with the caller's token may last: until the token expires, at most
     * {@code max-age}. An expired token opens none.
     */
    private Duration lifetime(Jwt caller) {
        Instant now = clock.instant();
        Instant expiry = caller.getExpiresAt();
        if (expiry != null && !expiry.isAfter(now)) {
            // Within the validators' clock skew an expired token still passes; a stream is not opened with it.
            ApiException expired = new ApiException(HttpStatus.UNAUTHORIZED, "UNAUTHENTICATED", "The token has expired");
            expired.getHeaders().set(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
            throw expired;
        }
        Duration untilExpiry = expiry == null ? settings.maxAge() : Duration.between(now, expiry);
        return untilExpiry.compareTo(settings.maxAge()) < 0 ? untilExpiry : settings.maxAge();
    }

    private Flux<ServerSentEvent<Object>> stream(List<String> followed, List<Optional<VoucherState>> current,
                                                 long[] seen, String customerId) {
        List<Flux<Change>> perVoucher = new ArrayList<>();
        for (int i = 0; i < followed.size(); i++) {
            int position = i;
            Optional<VoucherState> now = current.get(i);
            long known = now.map(VoucherState::getVersion).orElse(-1L);
            boolean visible = now.filter(voucher -> Representations.isVisibleTo(voucher, customerId)).isPresent();
            Flux<VoucherState> first = visible && known > seen[i] ? Flux.just(now.get()) : Flux.empty();
            // Followed to its end only if the caller may see it: another's voucher, final or not, keeps the stream
            // open as an id of no voucher does, so that when the stream ends tells nothing about it.
            Flux<VoucherState> later = now.filter(voucher -> isFinalTo(voucher, customerId)).isPresent()
                    ? Flux.empty()
                    : reads.changes(followed.get(i), Math.max(known, seen[i]), settings.pollWait())
                            .takeUntil(voucher -> isFinalTo(voucher, customerId));
            perVoucher.add(Flux.concat(first, later).map(voucher -> new Change(position, voucher)));
        }
        long[] versions = seen.clone();
        Flux<ServerSentEvent<Object>> changes = Flux.merge(perVoucher)
                // After the merge, one change at a time: the versions are this stream's own.
                .filter(change -> Representations.isVisibleTo(change.voucher(), customerId)
                        && change.voucher().getVersion() > versions[change.position()])
                .map(change -> {
                    versions[change.position()] = change.voucher().getVersion();
                    return ServerSentEvent.<Object>builder(representations.voucher(change.voucher(), customerId))
                            .event("voucher")
                            .id(Arrays.stream(versions).mapToObj(Long::toString).collect(Collectors.joining(".")))
                            .build();
                });
        return withHeartbeats(changes);
    }

    private static boolean isFinalTo(VoucherState voucher, String customerId) {
        return VoucherRules.isFinal(voucher.getStatus().name()) && Representations.isVisibleTo(voucher, customerId);
    }

    /**
     * The events, with a comment on a quiet stream every {@code heartbeat} so that proxies keep it open, ending
     * with them; or once no owner of a voucher can answer, for the client to resume.
     */
    private Flux<ServerSentEvent<Object>> withHeartbeats(Flux<ServerSentEvent<Object>> events) {
        Flux<ServerSentEvent<Object>> answered = events.onErrorResume(VoucherReads.Unavailable.class, unavailable -> {
            log.warn("Live status stream ended, to be resumed: {}", unavailable.getMessage());
            return Flux.empty();
        });
        Flux<ServerSentEvent<Object>> heartbeats = Flux.interval(settings.heartbeat())
                .map(tick -> ServerSentEvent.builder().comment("keep-alive").build());
        return Flux.merge(answered.concatWith(Mono.just(END)), heartbeats)
                .takeUntil(event -> event == END)
                .filter(event -> event != END);
    }

    private List<String> followed(List<String> ids) {
        Set<String> distinct = new LinkedHashSet<>();
        for (String id : ids) {
            String trimmed = id.trim();
            if (!Uuids.isCanonical(trimmed)) {
                throw ApiException.badRequest("INVALID_QUERY", "ids are voucher ids, comma-separated");
            }
            distinct.add(trimmed);
        }
        if (distinct.isEmpty() || distinct.size() > settings.maxVouchers()) {
            throw ApiException.badRequest("INVALID_QUERY", "Follow between 1 and " + settings.maxVouchers()
                    + " vouchers in one stream");
        }
        return List.copyOf(distinct);
    }

    /** The versions a Last-Event-ID names, one per followed voucher; all unseen if it names something else. */
    static long[] cursor(String lastEventId, int size) {
        long[] versions = new long[size];
        Arrays.fill(versions, -1);
        if (lastEventId == null || lastEventId.isBlank()) {
            return versions;
        }
        String[] parts = lastEventId.trim().split("\\.", -1);
        if (parts.length != size) {
            return versions;
        }
        long[] given = new long[size];
        try {
            for (int i = 0; i < size; i++) {
                given[i] = Math.max(-1, Long.parseLong(parts[i]));
            }
        } catch (NumberFormatException e) {
            return versions;
        }
        return given;
    }

    private record Change(int position, VoucherState voucher) {
    }

    @Override
    public void destroy() {
        connections.dispose();
    }
}
