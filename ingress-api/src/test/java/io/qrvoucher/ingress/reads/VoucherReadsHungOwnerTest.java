package io.qrvoucher.ingress.reads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.web.reactive.function.client.WebClient;

import com.sun.net.httpserver.HttpServer;

import io.qrvoucher.avro.AttemptKind;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.avro.query.AttemptsAnswer;
import io.qrvoucher.avro.query.ClaimAnswer;
import io.qrvoucher.avro.query.SettingsAnswer;
import io.qrvoucher.avro.query.VoucherAnswer;
import io.qrvoucher.avro.query.VoucherPage;
import io.qrvoucher.ingress.TestIngressProperties;
import io.qrvoucher.support.reads.ColocatedOwners;
import io.qrvoucher.support.reads.VoucherStreamsReads;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/**
 * A write's wait for its voucher is a long poll on the voucher's owner, asked again when no holder answers: each time
 * for what is left of the wait and the read's timeout. Before, each attempt waited the whole wait and the timeout
 * again, so that an owner that stopped answering held the write (and its admission place) nine times as long.
 */
class VoucherReadsHungOwnerTest {

    private static final URI OWNER = URI.create("http://streams-1:8082");
    private static final URI STANDBY = URI.create("http://streams-2:8082");
    private static final Duration READ_TIMEOUT = Duration.ofMillis(50);

    private final AtomicLong nanoClock = new AtomicLong();
    /** The owner holds partition 0 active, the standby a copy of it. */
    private static final String ACTIVE_AND_STANDBY = "{\"instances\": [{\"url\": \"" + OWNER + "\", \"active\": "
            + "{\"voucher-requests\": [0]}, \"standby\": {}}, {\"url\": \"" + STANDBY + "\", \"active\": {}, "
            + "\"standby\": {\"voucher-requests\": [0]}}]}";

    private final HttpServer seed = routingSeed("{\"instances\": [{\"url\": \"" + OWNER + "\", \"active\": "
            + "{\"voucher-requests\": [0], \"ingress-idempotency\": [0]}, \"standby\": {}}]}");

    @AfterEach
    void stop() {
        seed.stop(0);
    }

    @Test
    void aWaitWhoseOwnerStopsAnsweringAfterTheWaitPassedGivesUpWithinTheReadsTimeout() {
        List<Duration> asked = new CopyOnWriteArrayList<>();
        VoucherReads reads = reads(new HangingOwner(wait -> {
            asked.add(wait);
            if (asked.size() == 1) {
                // The partition moves as the wait runs out: the holder asked next hangs.
                nanoClock.addAndGet(Duration.ofHours(1).toNanos());
                return Mono.error(new VoucherStreamsReads.NotHeld("partition 0 moved"));
            }
            return Mono.never();
        }));

        StepVerifier.create(reads.awaitChange(UUID.randomUUID().toString(), null, -1, Duration.ofHours(1)))
                .expectError(VoucherReads.Unavailable.class)
                .verify(Duration.ofSeconds(60));
        assertThat(asked).as("the first attempt, and the retry for what was left of the wait; then not again")
                .containsExactly(Duration.ofHours(1), Duration.ZERO);
    }

    /** Asked again by each attempt, a holder that stopped answering held a read about nine timeouts. */
    @Test
    void aHolderThatLetAReadRunOutItsTimeIsNotAskedAgainByThatRead() {
        List<Duration> asked = new CopyOnWriteArrayList<>();
        VoucherReads reads = reads(new HangingOwner(wait -> {
            asked.add(wait);
            return Mono.never();
        }));

        StepVerifier.create(reads.voucher(UUID.randomUUID().toString(), null))
                .expectError(VoucherReads.Unavailable.class).verify(Duration.ofSeconds(60));
        assertThat(asked).as("asked once, not once per attempt").hasSize(1);
        // Another read asks it: alone, it is the only one that may answer.
        StepVerifier.create(reads.voucher(UUID.randomUUID().toString(), null))
                .expectError(VoucherReads.Unavailable.class).verify(Duration.ofSeconds(60));
        assertThat(asked).hasSize(2);
    }

    /**
     * A holder alone that stopped answering cost every read of its partitions its time: one read at a time asks it
     * whether it answers again, and the others pass it over meanwhile.
     */
    @Test
    void whileOneReadAsksAHolderThatStoppedAnsweringTheOthersPassItOver() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        Sinks.One<VoucherAnswer> answerAgain = Sinks.one();
        VoucherReads reads = reads(seed, Map.of(OWNER, new HangingOwner(wait -> asked.incrementAndGet() == 1
                ? Mono.error(new TimeoutException("ran out of time")) : answerAgain.asMono())), Duration.ofSeconds(20));
        StepVerifier.create(reads.voucher(UUID.randomUUID().toString(), null))
                .expectError(VoucherReads.Unavailable.class).verify(Duration.ofSeconds(60));

        CompletableFuture<VoucherAnswer> asking = reads.voucher(UUID.randomUUID().toString(), null).toFuture();
        await().atMost(Duration.ofSeconds(10)).until(() -> asked.get() == 2);
        StepVerifier.create(reads.voucher(UUID.randomUUID().toString(), null))
                .expectError(VoucherReads.Unavailable.class).verify(Duration.ofSeconds(60));
        assertThat(asked).as("passed over while another read asks it").hasValue(2);

        answerAgain.tryEmitValue(new VoucherAnswer(null, null));
        assertThat(asking.get(10, TimeUnit.SECONDS)).isEqualTo(new VoucherAnswer(null, null));
        StepVerifier.create(reads.voucher(UUID.randomUUID().toString(), null))
                .expectNext(new VoucherAnswer(null, null)).verifyComplete();
        assertThat(asked).as("answering again, asked by every read").hasValue(3);
    }

    /** Any end of a read but a timeout clears a holder's mark: a refusal of the query, which ends the read, too. */
    @Test
    void aHolderThatRefusedAQueryAfterItRanOutATimeIsAskedFirstAgain() {
        HttpServer seed = routingSeed(ACTIVE_AND_STANDBY);
        try {
            List<URI> asked = new CopyOnWriteArrayList<>();
            AtomicInteger askedTheStandby = new AtomicInteger();
            VoucherReads reads = reads(seed, Map.of(OWNER, new HangingOwner(wait -> {
                asked.add(OWNER);
                return asked.size() == 1 ? Mono.error(new TimeoutException("ran out of time"))
                        : Mono.error(new VoucherStreamsReads.BadQuery("not a cursor of this list"));
            }), STANDBY, new HangingOwner(wait -> {
                asked.add(STANDBY);
                return askedTheStandby.incrementAndGet() == 2 ? Mono.error(new VoucherStreamsReads.NotHeld("lacks it"))
                        : Mono.just(new VoucherAnswer(null, null));
            })));

            StepVerifier.create(reads.voucher(UUID.randomUUID().toString(), null))
                    .expectNext(new VoucherAnswer(null, null)).verifyComplete();
            StepVerifier.create(reads.voucher(UUID.randomUUID().toString(), null))
                    .expectError(VoucherStreamsReads.BadQuery.class).verify(Duration.ofSeconds(60));
            StepVerifier.create(reads.voucher(UUID.randomUUID().toString(), null))
                    .expectError(VoucherStreamsReads.BadQuery.class).verify(Duration.ofSeconds(60));

            assertThat(asked).as("timed out; the standby first, then the active that refused the query; it first again")
                    .containsExactly(OWNER, STANDBY, STANDBY, OWNER, OWNER);
        } finally {
            seed.stop(0);
        }
    }

    @Test
    void whileTheActiveHolderLetsReadsRunOutTheirTimeItsStandbyIsAskedFirst() {
        HttpServer seed = routingSeed(ACTIVE_AND_STANDBY);
        try {
            List<Duration> askedTheActive = new CopyOnWriteArrayList<>();
            VoucherReads reads = reads(seed, Map.of(OWNER, new HangingOwner(wait -> {
                askedTheActive.add(wait);
                return Mono.never();
            }), STANDBY, new HangingOwner(wait -> Mono.just(new VoucherAnswer(null, null)))));

            for (int read = 0; read < 2; read++) {
                StepVerifier.create(reads.voucher(UUID.randomUUID().toString(), null))
                        .expectNext(new VoucherAnswer(null, null)).verifyComplete();
            }
            assertThat(askedTheActive).as("by the first read only").hasSize(1);

            nanoClock.addAndGet(READ_TIMEOUT.toNanos());
            StepVerifier.create(reads.voucher(UUID.randomUUID().toString(), null))
                    .expectNext(new VoucherAnswer(null, null)).verifyComplete();
            assertThat(askedTheActive).as("first again once the read's timeout has passed").hasSize(2);
        } finally {
            seed.stop(0);
        }
    }

    /** A claim's read-back is made before the claim is published: its wait counts from when it is asked. */
    @Test
    void aReadsWaitCountsFromWhenItIsAskedNotFromWhenItIsMade() {
        List<Duration> asked = new CopyOnWriteArrayList<>();
        VoucherReads reads = reads(notHoldingYet(asked));

        Mono<ClaimAnswer> readBack = reads.claim("alice/k1", Duration.ofSeconds(10));
        nanoClock.addAndGet(Duration.ofSeconds(10).toNanos());
        StepVerifier.create(readBack).expectError(VoucherReads.Unavailable.class).verify(Duration.ofSeconds(60));

        assertThat(asked).first().isEqualTo(Duration.ofSeconds(10));
    }

    /** A write's wait is made before its request is published: the client's wait counts from then, the publish too. */
    @Test
    void aWritesWaitCountsFromWhenItIsMadeThePublishIncluded() {
        List<Duration> asked = new CopyOnWriteArrayList<>();
        VoucherReads reads = reads(notHoldingYet(asked));

        Mono<VoucherAnswer> settlement = reads.awaitUntil(UUID.randomUUID().toString(), null, answer -> true,
                Duration.ofSeconds(10));
        nanoClock.addAndGet(Duration.ofSeconds(4).toNanos());
        StepVerifier.create(settlement).expectError(VoucherReads.Unavailable.class).verify(Duration.ofSeconds(60));

        assertThat(asked).first().as("what is left of the client's wait once published").isEqualTo(Duration.ofSeconds(6));
    }

    /** An owner that does not hold the partition yet, each time it is asked; {@code asked} gets the waits asked for. */
    private static VoucherStreamsReads notHoldingYet(List<Duration> asked) {
        return new HangingOwner(wait -> {
            asked.add(wait);
            return Mono.error(new VoucherStreamsReads.NotHeld("not yet"));
        });
    }

    private VoucherReads reads(VoucherStreamsReads owner) {
        return reads(seed, Map.of(OWNER, owner));
    }

    private VoucherReads reads(HttpServer routingSeed, Map<URI, VoucherStreamsReads> instances) {
        return reads(routingSeed, instances, READ_TIMEOUT);
    }

    private VoucherReads reads(HttpServer routingSeed, Map<URI, VoucherStreamsReads> instances, Duration readTimeout) {
        return new VoucherReads(WebClient.create(),
                new StreamsRouting(WebClient.create(), List.of(URI.create("http://localhost:" + routingSeed.getAddress().getPort())),
                        Duration.ofMinutes(1), Duration.ofSeconds(10)),
                topic -> Mono.just(1), new ColocatedOwners(instances, Map.of()),
                TestIngressProperties.withBroker("localhost:1", Map.of("ingress.voucher-streams.timeout", readTimeout.toMillis() + "ms")),
                nanoClock::get);
    }

    /** A voucher-streams instance answering the routing given. */
    private static HttpServer routingSeed(String instances) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
            byte[] routing = instances.getBytes(StandardCharsets.UTF_8);
            server.createContext("/internal/routing", exchange -> {
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, routing.length);
                exchange.getResponseBody().write(routing);
                exchange.close();
            });
            server.start();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An owner whose long polls, of a voucher or a claim, end as {@code answer} says given their wait. */
    private record HangingOwner(Function<Duration, Mono<?>> answer) implements VoucherStreamsReads {

        @Override
        public Mono<VoucherAnswer> voucher(String voucherId, String requestId, long afterVersion, Duration wait) {
            return answer.apply(wait).cast(VoucherAnswer.class);
        }

        @Override
        public Mono<VoucherPage> vouchersOf(String customerId, Role role, Instant from, Instant to,
                                            Set<VoucherStatus> statuses, String after, int skip, int size) {
            return Mono.never();
        }

        @Override
        public Mono<SettingsAnswer> settings(String customerId, long afterOffset, Duration wait) {
            return Mono.never();
        }

        @Override
        public Mono<ClaimAnswer> claim(String claimKey, Duration wait) {
            return answer.apply(wait).cast(ClaimAnswer.class);
        }

        @Override
        public Mono<AttemptsAnswer> attempts(String customerId, AttemptKind kind, Instant since, int max) {
            return Mono.never();
        }
    }
}
