package io.qrvoucher.ingress.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.server.WebFilterChain;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import tools.jackson.databind.json.JsonMapper;

/** What the ingress cannot take it refuses at once, before anything is published; what it took it finishes. */
class AdmissionControlTest {

    /** How long a write keeps its place for its voucher to settle, at most (ingress.limits.max-wait). */
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final AdmissionControl admission = new AdmissionControl(2, 2, JsonMapper.builder().build(), meters);

    @Test
    void aGenerationBeyondTheBoundIsRefusedAtOnceWithRetryAfterAndNothingReachesTheApi() {
        Sinks.Empty<Void> stillHandling = Sinks.empty();
        WebFilterChain slowApi = exchange -> stillHandling.asMono();
        Disposable first = admission.filter(post("/api/vouchers"), slowApi).subscribe();
        Disposable second = admission.filter(post("/api/vouchers"), slowApi).subscribe();

        MockServerWebExchange third = post("/api/vouchers");
        boolean[] reachedTheApi = {false};
        admission.filter(third, exchange -> {
            reachedTheApi[0] = true;
            return Mono.empty();
        }).block(Duration.ofSeconds(1));

        assertThat(reachedTheApi[0]).isFalse();
        assertThat(third.getResponse().getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(third.getResponse().getHeaders().getFirst("Retry-After")).isEqualTo("1");
        assertThat(third.getResponse().getBodyAsString().block(Duration.ofSeconds(1))).contains("\"code\":\"OVERLOADED\"");
        assertThat(meters.get("ingress.writes.refused").counter().count()).isEqualTo(1.0);

        stillHandling.tryEmitEmpty();
        first.dispose();
        second.dispose();
        MockServerWebExchange later = post("/api/vouchers");
        admission.filter(later, exchange -> Mono.empty()).block(Duration.ofSeconds(1));
        assertThat(later.getResponse().getStatusCode()).as("admitted once the others finished").isNull();
        assertThat(writesInFlight()).isZero();
    }

    /** The handlers match decoded paths: a write spelt with percent-encoding is a write all the same. */
    @Test
    void aWriteWhosePathIsPercentEncodedTakesAPlaceAsTheSameWriteSpeltPlainly() {
        Sinks.Empty<Void> stillHandling = Sinks.empty();
        WebFilterChain slowApi = exchange -> stillHandling.asMono();
        admission.filter(post("/api/%76ouchers"), slowApi).subscribe();
        admission.filter(post("/api/vouchers"), slowApi).subscribe();

        MockServerWebExchange encoded = post("/api/%76ouchers");
        admission.filter(encoded, slowApi).subscribe();
        MockServerWebExchange encodedRedemption = post("/api/%72edemptions");
        admission.filter(encodedRedemption, slowApi).subscribe();

        assertThat(encoded.getResponse().getStatusCode()).as("a generation beyond the bound")
                .isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(encodedRedemption.getResponse().getStatusCode()).as("a redemption, in the quarter more").isNull();
        assertThat(writesInFlight()).isEqualTo(3.0);
        stillHandling.tryEmitEmpty();
    }

    @Test
    void redemptionsAndCancellationsHaveAQuarterMoreThanGenerationsSoThatWhatWasGeneratedCanFinish() {
        AdmissionControl fourGenerations = new AdmissionControl(4, 4, JsonMapper.builder().build(), new SimpleMeterRegistry());
        Sinks.Empty<Void> stillHandling = Sinks.empty();
        WebFilterChain slowApi = exchange -> stillHandling.asMono();
        for (int i = 0; i < 4; i++) {
            fourGenerations.filter(post("/api/vouchers"), slowApi).subscribe();
        }

        MockServerWebExchange generation = post("/api/vouchers");
        fourGenerations.filter(generation, slowApi).subscribe();
        MockServerWebExchange redemption = post("/api/redemptions");
        fourGenerations.filter(redemption, slowApi).subscribe();
        MockServerWebExchange cancellation = post("/api/vouchers/v1/cancel");
        fourGenerations.filter(cancellation, slowApi).subscribe();

        assertThat(generation.getResponse().getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(redemption.getResponse().getStatusCode()).as("admitted into the place kept for finishing").isNull();
        assertThat(cancellation.getResponse().getStatusCode()).as("beyond the quarter more")
                .isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        MockServerWebExchange settingsChange = MockServerWebExchange.from(
                MockServerHttpRequest.method(HttpMethod.PUT, URI.create("/api/settings")));
        fourGenerations.filter(settingsChange, slowApi).subscribe();
        assertThat(settingsChange.getResponse().getStatusCode()).as("a settings change, published too")
                .isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        stillHandling.tryEmitEmpty();
    }

    @Test
    void aPlaceIsFreeAsSoonAsTheAnswerStartsSoAClosedLoopOfTheBoundIsNeverRefused() {
        Sinks.Empty<Void> stillFinishing = Sinks.empty();
        WebFilterChain answersThenFinishes = exchange -> exchange.getResponse().setComplete().then(stillFinishing.asMono());
        Disposable first = admission.filter(post("/api/vouchers"), answersThenFinishes).subscribe();
        Disposable second = admission.filter(post("/api/redemptions"), answersThenFinishes).subscribe();

        MockServerWebExchange next = post("/api/vouchers");
        admission.filter(next, exchange -> Mono.empty()).block(Duration.ofSeconds(1));

        assertThat(next.getResponse().getStatusCode()).as("admitted: the first two have answered").isNull();
        stillFinishing.tryEmitEmpty();
        first.dispose();
        second.dispose();
        assertThat(writesInFlight()).as("each released once").isZero();
    }

    @Test
    void aRequestAnswered202KeepsItsPlaceUntilItsWorkIsDoneAndOneAnswered200DoesNot() {
        Sinks.Empty<Void> settled = Sinks.empty();
        WebTestClient api = WebTestClient.bindToController(new PublishingHandlers(settled.asMono()))
                .webFilter(admission).build();

        api.post().uri("/api/vouchers?settled=true").exchange().expectStatus().isOk();
        api.post().uri("/api/vouchers").exchange().expectStatus().isAccepted();
        api.post().uri("/api/redemptions").exchange().expectStatus().isAccepted();
        api.post().uri("/api/vouchers").exchange().expectStatus().isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(writesInFlight()).as("the two 202s, whose work goes on")
                .isEqualTo(2.0);

        settled.tryEmitEmpty();
        api.post().uri("/api/vouchers?settled=true").exchange().expectStatus().isOk();
        assertThat(writesInFlight()).as("every place freed once").isZero();
    }

    @Test
    void aRequestWhoseClientLeftAfterItWasPublishedKeepsItsPlaceUntilItsWorkIsDone() {
        Sinks.Empty<Void> settled = Sinks.empty();
        Disposable leftBeforeItsAnswer = admission.filter(post("/api/vouchers"),
                exchange -> AdmissionControl.publish(Mono.empty(), WAIT, within -> settled.asMono()).then(Mono.never())).subscribe();
        leftBeforeItsAnswer.dispose();

        assertThat(writesInFlight()).isEqualTo(1.0);
        settled.tryEmitEmpty();
        assertThat(writesInFlight()).isZero();
    }

    @Test
    void aRequestWhoseClientLeftWhileItWasBeingSentIsStillSentAndKeepsItsPlaceUntilItsWorkIsDone() {
        Sinks.One<String> acknowledged = Sinks.one();
        Sinks.Empty<Void> settled = Sinks.empty();
        boolean[] sent = {false};
        Mono<String> send = acknowledged.asMono().doOnNext(ack -> sent[0] = true);
        Disposable leftWhileSending = admission.filter(post("/api/vouchers"),
                exchange -> AdmissionControl.publish(send, WAIT, within -> settled.asMono()).then(Mono.never())).subscribe();
        leftWhileSending.dispose();

        assertThat(writesInFlight()).as("its send not acknowledged yet").isEqualTo(1.0);
        acknowledged.tryEmitValue("offset 7");
        assertThat(sent[0]).as("the send went on without its client").isTrue();
        assertThat(writesInFlight()).as("its voucher not settled yet").isEqualTo(1.0);
        settled.tryEmitEmpty();
        assertThat(writesInFlight()).isZero();
    }

    /**
     * A request answered 202 after its client's wait kept its place for the whole bound again from its answer: twice the
     * bound after it was published, under a stalled pipeline, while new requests were refused.
     */
    @Test
    void aRequestAnswered202AfterItsWaitKeepsItsPlaceForWhatIsLeftOfTheBoundSinceItWasPublished() {
        AtomicLong nanoClock = new AtomicLong();
        Sinks.One<String> acknowledged = Sinks.one();
        Sinks.Empty<Void> clientsWaitOver = Sinks.empty();
        Duration[] askedWithin = {null};
        MockServerWebExchange request = post("/api/vouchers");
        admission.filter(request, exchange -> AdmissionControl.publish(acknowledged.asMono(), WAIT, within -> {
                    askedWithin[0] = within;
                    return Mono.never();
                }, nanoClock::get)
                .then(clientsWaitOver.asMono())
                .then(Mono.defer(() -> {
                    exchange.getResponse().setStatusCode(HttpStatus.ACCEPTED);
                    return exchange.getResponse().setComplete();
                }))).subscribe();
        nanoClock.addAndGet(Duration.ofSeconds(1).toNanos());
        acknowledged.tryEmitValue("offset 7");

        nanoClock.addAndGet(Duration.ofSeconds(5).toNanos());
        clientsWaitOver.tryEmitEmpty();

        assertThat(request.getResponse().getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);
        assertThat(writesInFlight()).as("its voucher not settled yet").isEqualTo(1.0);
        assertThat(askedWithin[0]).as("what is left of the bound since it was published, not since it was sent")
                .isEqualTo(WAIT.minusSeconds(5));
    }

    /** The client's wait took the whole bound: nothing is left to keep the place for. */
    @Test
    void aRequestAnswered202OnlyOnceTheBoundHasPassedFreesItsPlaceAtTheAnswer() {
        AtomicLong nanoClock = new AtomicLong();
        MockServerWebExchange request = post("/api/vouchers");
        admission.filter(request, exchange -> AdmissionControl.publish(Mono.just("offset 8"), WAIT,
                        within -> within.isZero() ? Mono.empty() : Mono.never(), nanoClock::get)
                .then(Mono.fromRunnable(() -> nanoClock.addAndGet(WAIT.toNanos())))
                .then(Mono.defer(() -> {
                    exchange.getResponse().setStatusCode(HttpStatus.ACCEPTED);
                    return exchange.getResponse().setComplete();
                }))).subscribe();

        assertThat(request.getResponse().getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);
        assertThat(writesInFlight()).isZero();
    }

    /** Publishes, then answers as the API does: 200 if the voucher settled within the wait, else 202. */
    @RestController
    static final class PublishingHandlers {

        private final Mono<Void> workDone;

        PublishingHandlers(Mono<Void> workDone) {
            this.workDone = workDone;
        }

        @PostMapping({"/api/vouchers", "/api/redemptions"})
        Mono<ResponseEntity<String>> publish(@RequestParam(defaultValue = "false") boolean settled) {
            return AdmissionControl.publish(Mono.empty(), WAIT, within -> workDone)
                    .thenReturn(settled ? ResponseEntity.ok("UNUSED") : ResponseEntity.accepted().body("PENDING"));
        }
    }

    @Test
    void oneCustomersExcessIsRefused429AtOnceWhileAnotherCustomerIsStillAdmitted() {
        SimpleMeterRegistry twoEachMeters = new SimpleMeterRegistry();
        AdmissionControl twoEach = new AdmissionControl(8, 2, JsonMapper.builder().build(), twoEachMeters);
        Sinks.Empty<Void> stillHandling = Sinks.empty();
        WebFilterChain slowApi = exchange -> stillHandling.asMono();
        admitted(twoEach, as("alice"), slowApi).subscribe();
        admitted(twoEach, as("alice"), slowApi).subscribe();

        MockServerWebExchange third = as("alice");
        boolean[] reachedTheApi = {false};
        admitted(twoEach, third, exchange -> {
            reachedTheApi[0] = true;
            return Mono.empty();
        }).block(Duration.ofSeconds(1));
        MockServerWebExchange bobs = as("bob");
        admitted(twoEach, bobs, slowApi).subscribe();

        assertThat(reachedTheApi[0]).isFalse();
        assertThat(third.getResponse().getStatusCode()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
        assertThat(third.getResponse().getHeaders().getFirst("Retry-After")).isEqualTo("1");
        assertThat(third.getResponse().getBodyAsString().block(Duration.ofSeconds(1)))
                .contains("\"code\":\"TOO_MANY_REQUESTS_IN_FLIGHT\"");
        assertThat(bobs.getResponse().getStatusCode()).as("another customer's request").isNull();
        assertThat(twoEachMeters.get("ingress.writes.refused.customer").counter().count()).isEqualTo(1.0);
        assertThat(twoEachMeters.get("ingress.writes.in.flight").gauge().value())
                .as("alice's two and bob's; the refused one's place freed").isEqualTo(3.0);
        stillHandling.tryEmitEmpty();
        assertThat(twoEachMeters.get("ingress.writes.in.flight").gauge().value()).isZero();
    }

    @Test
    void aCustomerHoldingTheirShareWithGenerationsCanStillFinishAVoucher() {
        AdmissionControl twoEach = new AdmissionControl(8, 2, JsonMapper.builder().build(), new SimpleMeterRegistry());
        Sinks.Empty<Void> stillHandling = Sinks.empty();
        WebFilterChain slowApi = exchange -> stillHandling.asMono();
        admitted(twoEach, as("alice"), slowApi).subscribe();
        admitted(twoEach, as("alice"), slowApi).subscribe();

        MockServerWebExchange cancellation = as("alice", "/api/vouchers/v1/cancel");
        admitted(twoEach, cancellation, slowApi).subscribe();
        MockServerWebExchange beyondTheQuarterMore = as("alice", "/api/vouchers/v2/cancel");
        admitted(twoEach, beyondTheQuarterMore, slowApi).subscribe();

        assertThat(cancellation.getResponse().getStatusCode()).as("within the quarter more kept for finishing").isNull();
        assertThat(beyondTheQuarterMore.getResponse().getStatusCode()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
        stillHandling.tryEmitEmpty();
    }

    @Test
    void aCustomersShareIsFreedWithTheirRequestsPlaceAlsoWhenTheirClientLeft() {
        AdmissionControl twoEach = new AdmissionControl(8, 2, JsonMapper.builder().build(), new SimpleMeterRegistry());
        Sinks.Empty<Void> stillHandling = Sinks.empty();
        WebFilterChain slowApi = exchange -> stillHandling.asMono();
        admitted(twoEach, as("alice"), slowApi).subscribe();
        admitted(twoEach, as("alice"), slowApi).subscribe().dispose();

        MockServerWebExchange afterTheClientLeft = as("alice");
        admitted(twoEach, afterTheClientLeft, slowApi).subscribe();
        MockServerWebExchange beyondHerShare = as("alice");
        admitted(twoEach, beyondHerShare, slowApi).subscribe();

        assertThat(afterTheClientLeft.getResponse().getStatusCode()).isNull();
        assertThat(beyondHerShare.getResponse().getStatusCode()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
        stillHandling.tryEmitEmpty();
        MockServerWebExchange onceAnswered = as("alice");
        admitted(twoEach, onceAnswered, exchange -> Mono.empty()).block(Duration.ofSeconds(1));
        assertThat(onceAnswered.getResponse().getStatusCode()).isNull();
    }

    /** Else a few dozen bodies sent a byte at a time held every place, and everyone else was refused. */
    @Test
    void aWriteWhoseBodyIsStillArrivingHoldsNoPlaceAndTakesOneWhenItsBodyHasCome() {
        Sinks.Many<DataBuffer> firstBody = Sinks.many().unicast().onBackpressureBuffer();
        Sinks.Many<DataBuffer> secondBody = Sinks.many().unicast().onBackpressureBuffer();
        Sinks.Empty<Void> stillHandling = Sinks.empty();
        WebFilterChain readsTheBodyThenHandles = exchange -> exchange.getRequest().getBody()
                .doOnNext(DataBufferUtils::release).then(stillHandling.asMono());
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        admission.filter(withBody("/api/vouchers", firstBody.asFlux()), readsTheBodyThenHandles)
                .subscribe(null, failures::add);
        admission.filter(withBody("/api/vouchers", secondBody.asFlux()), readsTheBodyThenHandles)
                .subscribe(null, failures::add);
        assertThat(writesInFlight()).as("two bodies still arriving").isZero();

        MockServerWebExchange whole = post("/api/vouchers");
        admission.filter(whole, readsTheBodyThenHandles).subscribe();
        assertThat(whole.getResponse().getStatusCode()).as("admitted past the two").isNull();
        assertThat(writesInFlight()).isEqualTo(1.0);

        firstBody.tryEmitNext(DefaultDataBufferFactory.sharedInstance.wrap(new byte[] {'{'}));
        firstBody.tryEmitComplete();
        assertThat(writesInFlight()).as("the first body came: its place taken").isEqualTo(2.0);
        secondBody.tryEmitComplete();
        assertThat(failures).as("the second came with every place taken")
                .singleElement(InstanceOfAssertFactories.type(ApiException.class))
                .satisfies(refusal -> {
                    assertThat(refusal.getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
                    assertThat(refusal.code()).isEqualTo("OVERLOADED");
                    assertThat(refusal.getHeaders().getFirst("Retry-After")).isEqualTo("1");
                });
        assertThat(meters.get("ingress.writes.refused").counter().count()).isEqualTo(1.0);

        stillHandling.tryEmitEmpty();
        assertThat(writesInFlight()).as("each taken place freed once, the refused one never taken").isZero();
    }

    /** As the API answers it: problem details, with the Retry-After the refusal at once carries too. */
    @Test
    void aWriteRefusedWhenItsBodyHasComeIsAnswered503WithRetryAfter() {
        Sinks.Empty<Void> stillHandling = Sinks.empty();
        admission.filter(post("/api/vouchers"), exchange -> stillHandling.asMono()).subscribe();
        byte[] json = "{\"amount\":\"1.00\"}".getBytes(StandardCharsets.UTF_8);
        // The body is read once the request is past the look at the places; meanwhile the last one is taken.
        Flux<DataBuffer> body = Flux.defer(() -> {
            admission.filter(post("/api/vouchers"), exchange -> stillHandling.asMono()).subscribe();
            return Flux.just(DefaultDataBufferFactory.sharedInstance.wrap(json));
        });
        WebTestClient api = WebTestClient.bindToController(new ReadingHandler()).controllerAdvice(new ProblemHandler())
                .webFilter(admission).build();

        api.post().uri("/api/vouchers").contentType(MediaType.APPLICATION_JSON).contentLength(json.length)
                .body(BodyInserters.fromDataBuffers(body)).exchange()
                .expectStatus().isEqualTo(HttpStatus.SERVICE_UNAVAILABLE)
                .expectHeader().valueEquals("Retry-After", "1")
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.code").isEqualTo("OVERLOADED");
        assertThat(writesInFlight()).as("the two that hold their places").isEqualTo(2.0);
        stillHandling.tryEmitEmpty();
    }

    /** Reads a JSON body, as the write handlers do. */
    @RestController
    static final class ReadingHandler {

        @PostMapping("/api/vouchers")
        Mono<String> generate(@RequestBody Map<String, String> request) {
            return Mono.just("read " + request);
        }
    }

    @Test
    void aWriteWhoseBodyNeverCameWholeFreesNothingItDidNotTake() {
        Sinks.Many<DataBuffer> body = Sinks.many().unicast().onBackpressureBuffer();
        admission.filter(withBody("/api/vouchers", body.asFlux()), exchange -> exchange.getRequest().getBody().then())
                .subscribe(null, failure -> { });
        body.tryEmitError(new IllegalStateException("the body stopped arriving"));

        assertThat(writesInFlight()).isZero();
        MockServerWebExchange next = post("/api/vouchers");
        admission.filter(next, exchange -> Mono.never()).subscribe();
        MockServerWebExchange andNext = post("/api/vouchers");
        admission.filter(andNext, exchange -> Mono.never()).subscribe();
        assertThat(next.getResponse().getStatusCode()).isNull();
        assertThat(andNext.getResponse().getStatusCode()).as("both places free").isNull();
        assertThat(writesInFlight()).isEqualTo(2.0);
    }

    /** A handler that acts before the body has ended (a form's parts, or a publish without reading it) takes it then. */
    @Test
    void aHandlerThatPublishesBeforeTheBodyEndedTakesThePlaceThenOrIsRefused() {
        Sinks.Empty<Void> stillHandling = Sinks.empty();
        admission.filter(post("/api/vouchers"), exchange -> stillHandling.asMono()).subscribe();
        boolean[] sent = {false};
        Mono<String> send = Mono.fromCallable(() -> {
            sent[0] = true;
            return "offset 1";
        });
        WebFilterChain publishesUnread = exchange -> AdmissionControl.publish(send, WAIT, within -> Mono.never())
                .then(stillHandling.asMono());
        admission.filter(withBody("/api/vouchers/v1/cancel", Flux.never()), publishesUnread).subscribe();
        assertThat(sent[0]).isTrue();
        assertThat(writesInFlight()).as("taken as it published").isEqualTo(2.0);

        List<Throwable> failures = new CopyOnWriteArrayList<>();
        // Both past the look at the places as they came (two of three taken), then their forms are read.
        Sinks.Empty<Void> formsRead = Sinks.empty();
        WebFilterChain actsOnAForm = exchange -> formsRead.asMono().then(AdmissionControl.takePlace())
                .then(stillHandling.asMono());
        admission.filter(withBody("/api/redemptions", Flux.never()), actsOnAForm).subscribe(null, failures::add);
        admission.filter(withBody("/api/redemptions", Flux.never()), actsOnAForm).subscribe(null, failures::add);
        formsRead.tryEmitEmpty();

        assertThat(failures).as("two generations' places and a quarter more: the second one refused").hasSize(1);
        assertThat(writesInFlight()).isEqualTo(3.0);
        stillHandling.tryEmitEmpty();
    }

    @Test
    void aCustomersShareIsTakenWithThePlaceWhenTheirBodyHasComeAndItsRefusalHoldsForWhatTheHandlerDoesNext() {
        SimpleMeterRegistry twoEachMeters = new SimpleMeterRegistry();
        AdmissionControl twoEach = new AdmissionControl(8, 2, JsonMapper.builder().build(), twoEachMeters);
        Sinks.Empty<Void> stillHandling = Sinks.empty();
        WebFilterChain readsTheBodyThenHandles = exchange -> exchange.getRequest().getBody().then(stillHandling.asMono());
        admitted(twoEach, as("alice", Flux.empty()), readsTheBodyThenHandles).subscribe();
        Sinks.Many<DataBuffer> second = Sinks.many().unicast().onBackpressureBuffer();
        Sinks.Many<DataBuffer> third = Sinks.many().unicast().onBackpressureBuffer();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        admitted(twoEach, as("alice", second.asFlux()), readsTheBodyThenHandles).subscribe(null, failures::add);
        // A handler that reads past a refused body (as the form parser may) and acts: refused alike.
        admitted(twoEach, as("alice", third.asFlux()), exchange -> exchange.getRequest().getBody()
                .onErrorResume(refused -> Flux.empty()).then(AdmissionControl.takePlace()))
                .subscribe(null, failures::add);
        assertThat(failures).as("two of alice's bodies arriving, one in her place, none refused yet").isEmpty();

        second.tryEmitComplete();
        third.tryEmitComplete();

        assertThat(failures).singleElement(InstanceOfAssertFactories.type(ApiException.class))
                .satisfies(refusal -> assertThat(refusal.code()).isEqualTo("TOO_MANY_REQUESTS_IN_FLIGHT"));
        assertThat(twoEachMeters.get("ingress.writes.in.flight").gauge().value()).isEqualTo(2.0);
        stillHandling.tryEmitEmpty();
        assertThat(twoEachMeters.get("ingress.writes.in.flight").gauge().value()).isZero();
        MockServerWebExchange onceAnswered = as("alice");
        admitted(twoEach, onceAnswered, exchange -> Mono.empty()).block(Duration.ofSeconds(1));
        assertThat(onceAnswered.getResponse().getStatusCode()).as("her share given back").isNull();
    }

    /** Else one token could keep thousands of bodies trickling in, each holding its connection and its buffers. */
    @Test
    void bodiesStillArrivingAreBoundedAndOneCustomersAsTheirPlacesAre() {
        SimpleMeterRegistry twoPlacesMeters = new SimpleMeterRegistry();
        AdmissionControl twoPlaces = new AdmissionControl(2, 2, JsonMapper.builder().build(), twoPlacesMeters);
        WebFilterChain readsTheBody = exchange -> exchange.getRequest().getBody().then();
        Disposable alicesFirst = admitted(twoPlaces, as("alice", Flux.never()), readsTheBody).subscribe();
        admitted(twoPlaces, as("alice", Flux.never()), readsTheBody).subscribe();
        MockServerWebExchange alicesThird = as("alice", Flux.never());
        admitted(twoPlaces, alicesThird, readsTheBody).subscribe();
        assertThat(alicesThird.getResponse().getStatusCode()).as("as many of hers arriving as she may hold places")
                .isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
        assertThat(twoPlacesMeters.get("ingress.writes.arriving").gauge().value()).as("the refused one not counted")
                .isEqualTo(2.0);
        // One of hers whose client leaves gives its room back.
        alicesFirst.dispose();
        MockServerWebExchange alicesNext = as("alice", Flux.never());
        admitted(twoPlaces, alicesNext, readsTheBody).subscribe();
        assertThat(alicesNext.getResponse().getStatusCode()).isNull();
        assertThat(twoPlacesMeters.get("ingress.writes.arriving").gauge().value()).isEqualTo(2.0);

        // Three places (two and a quarter more), four bodies arriving a place: twelve.
        for (int i = 0; i < 10; i++) {
            MockServerWebExchange others = as("customer-" + i, Flux.never());
            admitted(twoPlaces, others, readsTheBody).subscribe();
            assertThat(others.getResponse().getStatusCode()).isNull();
        }
        MockServerWebExchange thirteenth = as("bob", Flux.never());
        admitted(twoPlaces, thirteenth, readsTheBody).subscribe();

        assertThat(thirteenth.getResponse().getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(twoPlacesMeters.get("ingress.writes.arriving").gauge().value()).isEqualTo(12.0);
        assertThat(twoPlacesMeters.get("ingress.writes.in.flight").gauge().value()).isZero();
        MockServerWebExchange withoutABody = as("carol");
        admitted(twoPlaces, withoutABody, exchange -> Mono.never()).subscribe();
        assertThat(withoutABody.getResponse().getStatusCode()).as("the places themselves free").isNull();
    }

    @Test
    void readsAreNeverRefusedHere() {
        Sinks.Empty<Void> stillHandling = Sinks.empty();
        admission.filter(post("/api/vouchers"), exchange -> stillHandling.asMono()).subscribe();
        admission.filter(post("/api/vouchers"), exchange -> stillHandling.asMono()).subscribe();

        MockServerWebExchange read = MockServerWebExchange.from(MockServerHttpRequest.get("/api/vouchers"));
        admission.filter(read, exchange -> Mono.empty()).block(Duration.ofSeconds(1));

        assertThat(read.getResponse().getStatusCode()).isNull();
    }

    private double writesInFlight() {
        return meters.get("ingress.writes.in.flight").gauge().value();
    }

    /** Through both halves of admission, as the application's filter chain runs them around authentication. */
    private static Mono<Void> admitted(AdmissionControl admission, MockServerWebExchange exchange, WebFilterChain api) {
        return admission.filter(exchange, checked -> admission.customerShares().filter(checked, api));
    }

    /** A generation by an authenticated customer. */
    private static MockServerWebExchange as(String customer) {
        return as(customer, "/api/vouchers");
    }

    private static MockServerWebExchange as(String customer, String path) {
        return MockServerWebExchange.builder(MockServerHttpRequest.post(path)).principal(() -> customer).build();
    }

    /** A POST that declares a body, which comes as {@code body} sends it. */
    private static MockServerWebExchange withBody(String path, Flux<DataBuffer> body) {
        return MockServerWebExchange.from(MockServerHttpRequest.post(path).contentLength(1).body(body));
    }

    /** A customer's generation, declaring a body, which comes as {@code body} sends it. */
    private static MockServerWebExchange as(String customer, Flux<DataBuffer> body) {
        return MockServerWebExchange.builder(MockServerHttpRequest.post("/api/vouchers").contentLength(1).body(body))
                .principal(() -> customer).build();
    }

    /** A POST to the path as given, percent-encoding and all. */
    private static MockServerWebExchange post(String path) {
        return MockServerWebExchange.from(MockServerHttpRequest.method(HttpMethod.POST, URI.create(path)));
    }
}
