package io.qrvoucher.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.web.reactive.server.FluxExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;

import io.qrvoucher.ingress.security.DemoTokens;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/**
 * One live status stream for many vouchers ({@code GET /api/vouchers/events}): what the web app follows its vouchers
 * with; and how long a single voucher's stream ({@code GET /api/vouchers/{id}/events}) lasts.
 */
class LiveStatusTest extends IngressTestBase {

    private static final ParameterizedTypeReference<ServerSentEvent<Map<String, Object>>> EVENTS =
            new ParameterizedTypeReference<>() { };

    @Test
    void oneStreamFollowsSeveralVouchersUntilAllAreFinalAndResumesFromTheLastEventIdWithoutRepeats() {
        Map<String, Object> first = alice.issuedVoucher("3.01");
        Map<String, Object> second = alice.issuedVoucher("3.02");
        String ids = first.get("id") + "," + second.get("id");

        List<ServerSentEvent<Map<String, Object>>> received = new java.util.ArrayList<>();
        StepVerifier.create(stream(alice.token(), ids, null))
                .recordWith(() -> received)
                .expectNextMatches(event -> "UNUSED".equals(event.data().get("status")))
                .expectNextMatches(event -> "UNUSED".equals(event.data().get("status")))
                .then(() -> bob.post("/api/redemptions")
                        .bodyValue(Map.of("code", first.get("code"), "accountId", "bob-cny"))
                        .exchange().expectStatus().isAccepted().expectBody(Void.class))
                // REDEEMING, unless the transfer was done before the owner was asked again
                .thenConsumeWhile(event -> first.get("id").equals(event.data().get("id"))
                        && "REDEEMING".equals(event.data().get("status")))
                .expectNextMatches(event -> first.get("id").equals(event.data().get("id"))
                        && "REDEEMED".equals(event.data().get("status")))
                .then(() -> alice.post("/api/vouchers/" + second.get("id") + "/cancel").exchange().expectStatus().isOk().expectBody(Void.class))
                .expectNextMatches(event -> second.get("id").equals(event.data().get("id"))
                        && "CANCELLED".equals(event.data().get("status")))
                .expectComplete()
                .verify(Duration.ofSeconds(40));

        // Each id is the version of both vouchers, in the order asked for.
        ServerSentEvent<Map<String, Object>> last = received.get(received.size() - 1);
        Map<String, Object> lastFirst = received.get(received.size() - 2).data();
        assertThat(last.id()).isEqualTo(version(lastFirst) + "." + version(last.data()));

        // Resumed from the last event: both are final, so the stream ends at once, with nothing it had sent
        // (a final voucher may have moved on since, its hold released: that, once, at its new version).
        long[] lastSeen = java.util.Arrays.stream(last.id().split("\\.")).mapToLong(Long::parseLong).toArray();
        List<String> order = List.of((String) first.get("id"), (String) second.get("id"));
        StepVerifier.create(stream(alice.token(), ids, last.id()))
                .thenConsumeWhile(event -> version(event.data()) > lastSeen[order.indexOf((String) event.data().get("id"))]
                        && List.of("REDEEMED", "CANCELLED").contains(event.data().get("status")))
                .expectComplete()
                .verify(Duration.ofSeconds(20));
        // Resumed from after the first two events: only the vouchers as they are now, once each.
        StepVerifier.create(stream(alice.token(), ids, received.get(1).id()))
                .expectNextMatches(event -> "REDEEMED".equals(event.data().get("status")))
                .expectNextMatches(event -> "CANCELLED".equals(event.data().get("status")))
                .expectComplete()
                .verify(Duration.ofSeconds(20));
        // A position the stream does not know (other ids, garbage) counts as nothing seen.
        StepVerifier.create(stream(alice.token(), ids, "7.not-a-version"))
                .expectNextCount(2)
                .expectComplete()
                .verify(Duration.ofSeconds(20));
    }

    @Test
    void anotherCustomersVoucherInTheStreamSendsNothingAboutIt() {
        Map<String, Object> alices = alice.issuedVoucher("3.03");
        Map<String, Object> bobs = bob.issuedVoucher("1.03");
        String nobodys = UUID.randomUUID().toString();

        Flux<ServerSentEvent<Map<String, Object>>> events = stream(bob.token(),
                alices.get("id") + "," + bobs.get("id") + "," + nobodys, null);
        StepVerifier.create(events)
                .expectNextMatches(event -> bobs.get("id").equals(event.data().get("id")) && event.id().startsWith("-1."))
                .then(() -> alice.post("/api/vouchers/" + alices.get("id") + "/cancel").exchange().expectStatus().isOk().expectBody(Void.class))
                .then(() -> bob.post("/api/vouchers/" + bobs.get("id") + "/cancel").exchange().expectStatus().isOk().expectBody(Void.class))
                .expectNextMatches(event -> bobs.get("id").equals(event.data().get("id"))
                        && "CANCELLED".equals(event.data().get("status"))
                        && event.id().startsWith("-1.") && event.id().endsWith(".-1"))
                // The unknown id keeps the stream open: it ends with the token or max-age; stop here.
                .thenCancel()
                .verify(Duration.ofSeconds(30));
    }

    @Test
    void anotherCustomersFinalVoucherKeepsTheStreamOpenAsAnIdOfNoVoucherDoes() {
        Map<String, Object> alices = alice.issuedVoucher("3.04");
        alice.post("/api/vouchers/" + alices.get("id") + "/cancel").exchange().expectStatus().isOk().expectBody(Void.class);

        // Were the stream to end, bob would learn that the voucher exists and is final.
        StepVerifier.create(stream(bob.token(), (String) alices.get("id"), null).filter(event -> event.data() != null))
                .expectSubscription()
                .expectNoEvent(Duration.ofSeconds(3))
                .thenCancel()
                .verify(Duration.ofSeconds(30));
    }

    @Test
    void aCustomerHasAtMostTheConfiguredNumberOfStreamsOpenAtOnce() {
        String customer = "watcher-" + UUID.randomUUID();
        RealPipeline.start().openAccount(customer + "-cny", customer, 10_00L);
        ApiClient watcher = new ApiClient(http, customer);
        String uri = "/api/vouchers/events?ids=" + watcher.issuedVoucher("1.00").get("id");
        List<Disposable> open = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) { // ingress.live-status.max-streams-per-customer
                open.add(watcher.get(uri).accept(MediaType.TEXT_EVENT_STREAM).exchange().expectStatus().isOk()
                        .returnResult(String.class).getResponseBody().subscribe());
            }
            WebTestClient.ResponseSpec refused = watcher.get(uri).accept(MediaType.TEXT_EVENT_STREAM).exchange()
                    .expectStatus().isEqualTo(429);
            refusedAsProblem(refused.expectHeader().exists("Retry-After"), 429, "TOO_MANY_STREAMS");
        } finally {
            open.forEach(Disposable::dispose);
        }
        // A stream closed by its client no longer counts.
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            FluxExchangeResult<String> again = watcher.get(uri).accept(MediaType.TEXT_EVENT_STREAM).exchange()
                    .expectStatus().isOk().returnResult(String.class);
            again.getResponseBody().subscribe().dispose();
        });
    }

    /** Each followed voucher holds a long poll on its owner: one customer cannot take the streams' pool by following many. */
    @Test
    void aCustomersStreamsFollowAtMostTheConfiguredNumberOfVouchersTogether() {
        ApiClient watcher = new ApiClient(http, "watcher-" + UUID.randomUUID());
        Supplier<String> twenty = () -> "/api/vouchers/events?ids=" + IntStream.range(0, 20)
                .mapToObj(i -> UUID.randomUUID().toString()).collect(Collectors.joining(","));
        List<Disposable> open = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) { // 40: ingress.live-status.max-followed-per-customer
                open.add(watcher.get(twenty.get()).accept(MediaType.TEXT_EVENT_STREAM).exchange().expectStatus().isOk()
                        .returnResult(String.class).getResponseBody().subscribe());
            }
            refusedAsProblem(watcher.get("/api/vouchers/" + UUID.randomUUID() + "/events").accept(MediaType.TEXT_EVENT_STREAM)
                    .exchange().expectStatus().isEqualTo(429).expectHeader().exists("Retry-After"), 429, "TOO_MANY_STREAMS");

            open.remove(0).dispose();
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> open.add(watcher.get(twenty.get())
                    .accept(MediaType.TEXT_EVENT_STREAM).exchange().expectStatus().isOk()
                    .returnResult(String.class).getResponseBody().subscribe()));
        } finally {
            open.forEach(Disposable::dispose);
        }
    }

    @Test
    void aStreamEndsWhenTheTokenExpiresAndIsNotOpenedAgainWithIt() {
        Map<String, Object> voucher = alice.issuedVoucher("3.04");
        Instant now = Instant.now();
        String shortLived = DemoTokens.sign("alice", now, now.plusSeconds(3), ApiClient.ISSUER, ApiClient.AUDIENCE,
                ApiClient.TOKEN_KEY);

        List<String> streams = List.of("/api/vouchers/events?ids=" + voucher.get("id"),
                "/api/vouchers/" + voucher.get("id") + "/events");

        // The voucher stays UNUSED: only the token's expiry ends either stream.
        StepVerifier.create(Flux.merge(events(shortLived, streams.get(0), null), events(shortLived, streams.get(1), null)))
                .expectNextMatches(event -> "UNUSED".equals(event.data().get("status")))
                .expectNextMatches(event -> "UNUSED".equals(event.data().get("status")))
                .expectComplete()
                .verify(Duration.ofSeconds(20));
        // A token's expiry is in whole seconds.
        assertThat(Instant.now()).isAfterOrEqualTo(now.plusSeconds(3).truncatedTo(ChronoUnit.SECONDS));

        // Within the validators' clock skew the token still passes the filter, but no stream is opened with it.
        for (String stream : streams) {
            refusedAsProblem(http.get().uri(stream)
                    .headers(h -> h.setBearerAuth(shortLived))
                    .accept(MediaType.TEXT_EVENT_STREAM)
                    .exchange(), 401, "UNAUTHENTICATED");
        }
    }

    @Test
    void aStreamFollowsABoundedNumberOfVouchers() {
        String tooMany = IntStream.range(0, 21).mapToObj(i -> UUID.randomUUID().toString()).collect(Collectors.joining(","));
        refusedAsProblem(alice.get("/api/vouchers/events?ids=" + tooMany).accept(MediaType.TEXT_EVENT_STREAM).exchange(),
                400, "INVALID_QUERY");
        refusedAsProblem(alice.get("/api/vouchers/events?ids=").accept(MediaType.TEXT_EVENT_STREAM).exchange(),
                400, "INVALID_QUERY");
        // No voucher has such an id: refused at once rather than followed for the stream's whole life.
        for (String cannotBeAVoucher : List.of("x", UUID.randomUUID().toString().toUpperCase(Locale.ROOT))) {
            refusedAsProblem(alice.get("/api/vouchers/events?ids=" + cannotBeAVoucher).accept(MediaType.TEXT_EVENT_STREAM)
                    .exchange(), 400, "INVALID_QUERY");
        }
        refusedAsProblem(http.get().uri("/api/vouchers/events?ids=" + UUID.randomUUID()).accept(MediaType.TEXT_EVENT_STREAM)
                .exchange(), 401, "UNAUTHENTICATED");
        http.get().uri("/v3/api-docs").exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.paths['/api/vouchers/events'].get.parameters[0].name").isEqualTo("ids");
    }

    /** A stream refused before it opens: problem details, not an event, though the client accepts only events. */
    private static void refusedAsProblem(WebTestClient.ResponseSpec response, int status, String code) {
        response.expectStatus().isEqualTo(status)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.code").isEqualTo(code);
    }

    private Flux<ServerSentEvent<Map<String, Object>>> stream(String token, String ids, String lastEventId) {
        return events(token, "/api/vouchers/events?ids=" + ids, lastEventId);
    }

    private Flux<ServerSentEvent<Map<String, Object>>> events(String token, String uri, String lastEventId) {
        return http.get().uri(uri)
                .headers(h -> {
                    h.setBearerAuth(token);
                    if (lastEventId != null) {
                        h.set("Last-Event-ID", lastEventId);
                    }
                })
                .accept(MediaType.TEXT_EVENT_STREAM)
                .exchange()
                .expectStatus().isOk()
                .returnResult(EVENTS)
                .getResponseBody()
                .filter(event -> "voucher".equals(event.event()));
    }

    private static long version(Map<String, Object> voucher) {
        return ((Number) voucher.get("version")).longValue();
    }
}
