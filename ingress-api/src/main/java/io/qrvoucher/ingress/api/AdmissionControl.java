package io.qrvoucher.ingress.api;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;

import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.PathContainer;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.qrvoucher.support.ProblemResponses;
import io.qrvoucher.support.Problems;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;
import reactor.util.context.Context;
import tools.jackson.databind.ObjectMapper;

/**
 * Takes at most {@code ingress.limits.max-in-flight-writes} generations at once, and a quarter more requests
 * that finish vouchers already generated (redeem, cancel) or change a customer's settings, and refuses the next at once — 503
 * {@code OVERLOADED} with {@code Retry-After}, before anything is published — so that what the ingress
 * accepts it can see through, instead of accepting more than the pipeline drains and letting every request
 * time out. The quarter is kept for finishing: under overload a refused generation costs nothing, but a
 * refused redemption wastes the generation before it and leaves the payer's money held. Reads and waits on
 * vouchers already accepted are not limited here.
 *
 * <p>A write takes its place once its body has arrived whole (one without a body, as it comes; a handler that acts
 * before, on a form's parts or by publishing, takes it then: {@link #takePlace}), and is refused then if the places
 * were taken meanwhile: a body that trickles in, from a client on a poor line or one doing it on purpose, holds no
 * place while it does. Taken as the headers came, a few dozen slow bodies (two customers' shares) held every place
 * until they timed out, a minute and a half, while the ingress refused everyone else. A write that comes while every
 * place is taken is refused at once, before its token is checked or its body read; so is one that comes while as many
 * bodies are still arriving as may be (four a place; one customer's as many as their places).
 *
 * <p>A request that published holds its place until its work is done, not only until it is answered: answered
 * {@code 202} before its voucher settled (the client's {@code Prefer: wait} ran out, or it asked for none), or gone
 * with its client before any answer, it keeps the place while the pipeline still works on it
 * ({@link #publish}). Released at the answer, such places let in new requests faster than the pipeline
 * finished the old ones: under overload every step then took longer than the clients' waits, each 202 freed its
 * place at once, and the backlog — and the clients' polls on it — grew without bound (measured: thousands of
 * cycles in flight, 8 s a step, a fifth of the throughput).
 *
 * <p>One customer holds at most {@code ingress.limits.max-in-flight-writes-per-customer} of the places with their
 * generations, and a quarter more with their redemptions, cancellations and settings changes: their excess is refused 429
 * {@code TOO_MANY_REQUESTS_IN_FLIGHT} with {@code Retry-After} ({@link #customerShares()}), so that one customer's
 * burst (a script, a merchant's back office) cannot take every place from the others. The customer is known only
 * once the token is checked, so that half runs after authentication, and their share is taken with the place.
 */
final class AdmissionControl implements WebFilter, Ordered {

    private static final HttpHeaders RETRY_IN_A_SECOND = ProblemResponses.header(HttpHeaders.RETRY_AFTER, "1");
    private static final String OVERLOADED = "OVERLOADED";
    private static final String OVERLOADED_DETAIL = "Too many requests are being handled; nothing was recorded. Retry it "
            + "in a moment.";
    private static final String TOO_MANY_IN_FLIGHT = "TOO_MANY_REQUESTS_IN_FLIGHT";
    /**
     * Writes whose bodies may be arriving at once, for each place: enough for clients on slow lines to send theirs
     * while the places are busy, and a bound on what trickled bodies hold (connections, buffers, a picture's spooled
     * parts). One customer's are bounded as their places are, {@code max-in-flight-writes-per-customer} and a quarter.
     */
    private static final int ARRIVING_PER_PLACE = 4;
    private static final String TOO_MANY_IN_FLIGHT_DETAIL = "You have too many requests being handled; nothing was "
            + "recorded. Retry it once one of them is answered.";
    private static final PathPattern ANY_VOUCHER_PATH = PathPatternParser.defaultInstance.parse("/api/vouchers/**");
    private static final PathPattern ANY_REDEMPTION_PATH = PathPatternParser.defaultInstance.parse("/api/redemptions/**");
    private static final PathPattern GENERATION_PATH = PathPatternParser.defaultInstance.parse("/api/vouchers");
    private static final PathPattern SETTINGS_PATH = PathPatternParser.defaultInstance.parse("/api/settings");

    private final int maxGenerations;
    private final int maxInFlight;
    private final int maxPerCustomer;
    private final int maxPerCustomerFinishing;
    private final ObjectMapper json;
    private final int maxArriving;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger arriving = new AtomicInteger();
    private final Map<String, Integer> heldByCustomer = new ConcurrentHashMap<>();
    private final Map<String, Integer> arrivingByCustomer = new ConcurrentHashMap<>();
    private final Counter refused;
    private final Counter refusedForCustomer;

    /**
     * @param maxGenerations generations in flight at most; with redemptions, cancellations and settings changes a
     *                       quarter more
     * @param maxPerCustomer places one customer may hold at once with generations; with redemptions, cancellations and
     *                       settings changes a quarter more
     */
    AdmissionControl(int maxGenerations, int maxPerCustomer, ObjectMapper json, MeterRegistry meters) {
        this.maxGenerations = maxGenerations;
        this.maxInFlight = withAQuarterMore(maxGenerations);
        if (maxGenerations < 1 || maxPerCustomer < 1) {
            throw new IllegalArgumentException("ingress.limits.max-in-flight-writes and max-in-flight-writes-per-customer "
                    + "must be at least 1: with 0 every write is refused");
        }
        this.maxPerCustomer = maxPerCustomer;
        this.maxPerCustomerFinishing = withAQuarterMore(maxPerCustomer);
        this.maxArriving = ARRIVING_PER_PLACE * maxInFlight;
        this.json = json;
        Gauge.builder("ingress.writes.in.flight", inFlight, AtomicInteger::get)
                .description("Requests that publish, from when their body has come until they are answered, or until "
                        + "the pipeline has done their work if that is later")
                .register(meters);
        Gauge.builder("ingress.writes.arriving", arriving, AtomicInteger::get)
                .description("Requests that publish whose bodies are still arriving").register(meters);
        this.refused = Counter.builder("ingress.writes.refused")
                .description("Requests that publish, refused because too many were in flight or arriving")
                .register(meters);
        this.refusedForCustomer = Counter.builder("ingress.writes.refused.customer")
                .description("Requests that publish, refused because their customer had too many in flight or arriving")
                .register(meters);
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (!publishes(exchange)) {
            return chain.filter(exchange);
        }
        int most = generates(exchange) ? maxGenerations : maxInFlight;
        // Full already: refused before its token is checked or its body read, what an overloaded ingress does most.
        if (inFlight.get() >= most) {
            refused.increment();
            return overloaded(exchange);
        }
        Place place = new Place(most);
        ServerWebExchange admitted = exchange;
        if (declaresABody(exchange.getRequest())) {
            if (!place.startArriving()) {
                return overloaded(exchange);
            }
            admitted = exchange.mutate().request(new TakingItsPlace(exchange.getRequest(), place)).build();
        } else if (place.take() != null) {
            return overloaded(exchange);
        }
        // Freed as the answer starts, not after it is written (a client that sends its next request as soon as it
        // has the answer must find the place free, or a closed loop of exactly the limit is refused) — unless the
        // answer is a 202, whose work goes on.
        exchange.getResponse().beforeCommit(() -> Mono.fromRunnable(() ->
                place.answered(exchange.getResponse().getStatusCode() == HttpStatus.ACCEPTED)));
        return chain.filter(admitted)
                .contextWrite(Context.of(Place.class, place))
                // Cancelled: the client went away before its answer, maybe after its request was published.
                .doFinally(signal -> place.answered(signal == SignalType.CANCEL));
    }

    private Mono<Void> overloaded(ServerWebExchange exchange) {
        return ProblemResponses.write(exchange, json, Problems.problem(HttpStatus.SERVICE_UNAVAILABLE, OVERLOADED,
                OVERLOADED_DETAIL), RETRY_IN_A_SECOND);
    }

    /**
     * Takes the request's place now if it has not taken it yet (a handler about to act on a request whose body it has
     * not read to its end: a form's parts are complete before the body is), or refuses it as the place would have been.
     * Nothing outside admission control.
     */
    static Mono<Void> takePlace() {
        return Mono.deferContextual(context -> context.<Place>getOrEmpty(Place.class).map(Place::taken)
                .orElseGet(Mono::empty));
    }

    /**
     * Publishes the request with {@code send}, and tells admission control what its work is: should the request be
     * answered 202, or its client go away before an answer, its place is kept until the send is acknowledged (or
     * refused) and then until the work ends (empty, a value or an error). The work is asked for with what is left of
     * {@code bound} since the acknowledgement, and should wait for the voucher that long at most: a request answered
     * 202 after waiting as its client preferred keeps its place about {@code bound} after it was published, not that
     * wait and the whole bound again. The send is subscribed here, not by the exchange: a client that goes away while
     * the broker has not acknowledged yet does not take it back (it cannot be), and its place is not freed for the next
     * request while this one is still being written. Outside admission control (a read), or answered otherwise, the
     * place is not kept.
     */
    static <T> Mono<T> publish(Mono<T> send, Duration bound, Function<Duration, Mono<?>> workDoneWithin) {
        return publish(send, bound, workDoneWithin, System::nanoTime);
    }

    /** As {@link #publish(Mono, Duration, Function)}, on this clock of nanoseconds. */
    static <T> Mono<T> publish(Mono<T> send, Duration bound, Function<Duration, Mono<?>> workDoneWithin,
                               LongSupplier nanoClock) {
        return takePlace().then(Mono.deferContextual(context -> {
            AtomicLong acknowledgedAt = new AtomicLong();
            Mono<T> sent = send.contextWrite(context).doOnSuccess(ack -> acknowledgedAt.set(nanoClock.getAsLong())).cache();
            context.<Place>getOrEmpty(Place.class).ifPresent(place -> place.keepUntil(sent.then(Mono.defer(() ->
                    workDoneWithin.apply(leftOf(bound, nanoClock.getAsLong() - acknowledgedAt.get()))))));
            sent.subscribe(null, error -> {
                // The exchange's own subscription below answers it.
            });
            return sent;
        }));
    }

    /**
     * What is left of {@code bound} after {@code elapsedNanos}. Each work waits through {@link
     * io.qrvoucher.ingress.reads.VoucherReads#awaitUntil}, which finds nothing left under a millisecond.
     */
    private static Duration leftOf(Duration bound, long elapsedNanos) {
        Duration left = bound.minusNanos(elapsedNanos);
        return left.isNegative() ? Duration.ZERO : left;
    }

    /** The places that finish vouchers already generated: a quarter more than those of generations, at least one. */
    private static int withAQuarterMore(int generations) {
        return generations + Math.max(1, generations / 4);
    }

    /**
     * The customer's share of the places, after authentication, taken with the request's place: a request whose
     * customer already holds {@code max-in-flight-writes-per-customer} places is refused 429 then (at once if it has no
     * body), and its place freed with its answer; otherwise the customer holds one more place until the request's
     * place is freed. A customer with as many bodies still arriving is refused 429 at once.
     */
    WebFilter customerShares() {
        return new CustomerShares();
    }

    private final class CustomerShares implements WebFilter, Ordered {

        @Override
        public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
            return Mono.deferContextual(context -> {
                Place place = context.<Place>getOrEmpty(Place.class).orElse(null);
                if (place == null) {
                    return chain.filter(exchange);
                }
                // The principal's name is the token's subject, the customer id the handlers act for. No principal: a
                // path that needs none, refused or answered by what follows.
                return exchange.getPrincipal().map(principal -> Optional.of(principal.getName()))
                        .defaultIfEmpty(Optional.empty())
                        .flatMap(customer -> customer.isEmpty() ? chain.filter(exchange)
                                : admit(customer.get(), place, exchange, chain));
            });
        }

        private Mono<Void> admit(String customer, Place place, ServerWebExchange exchange, WebFilterChain chain) {
            if (!place.ofCustomer(customer, generates(exchange) ? maxPerCustomer : maxPerCustomerFinishing)) {
                return ProblemResponses.write(exchange, json, Problems.problem(HttpStatus.TOO_MANY_REQUESTS,
                        TOO_MANY_IN_FLIGHT, TOO_MANY_IN_FLIGHT_DETAIL), RETRY_IN_A_SECOND);
            }
            return chain.filter(exchange);
        }

        /** After Spring Security's filters (order -100): the token is checked, the customer known. */
        @Override
        public int getOrder() {
            return 0;
        }
    }

    /** One more of the customer's in {@code counts}, unless they have {@code most} there already. */
    private static boolean takeOne(Map<String, Integer> counts, String customer, int most) {
        boolean[] taken = {false};
        counts.compute(customer, (id, held) -> {
            int now = held == null ? 0 : held;
            if (now >= most) {
                return held;
            }
            taken[0] = true;
            return now + 1;
        });
        return taken[0];
    }

    private static void giveOne(Map<String, Integer> counts, String customer) {
        counts.computeIfPresent(customer, (id, held) -> held <= 1 ? null : held - 1);
    }

    /**
     * One write's place in {@code inFlight} and its customer's share, taken once the request has arrived whole and
     * freed once: a body that trickles in holds only its room among those {@code arriving} (and its customer's).
     */
    private final class Place {

        private final int most;
        /** Guarded by this place, as are the fields below it. */
        private State state = State.WAITING;
        private boolean countedArriving;
        private boolean customerCountedArriving;
        private String customer;
        private int customersMost;
        private boolean holdsShare;
        private ApiException refusal;
        private volatile Mono<?> workLeft = Mono.empty();

        /** @param most places in flight at most, this one's included, for a request of its kind */
        Place(int most) {
            this.most = most;
        }

        /**
         * Takes the place, and the customer's share if the customer is known: null once it holds them, else the
         * refusal it is answered with. Taken once; a request answered or refused already takes none.
         */
        synchronized ApiException take() {
            if (state == State.TAKEN) {
                return null;
            }
            if (state == State.DONE) {
                return refusal != null ? refusal : overloadedRefusal();
            }
            stopArriving();
            if (inFlight.incrementAndGet() > most) {
                inFlight.decrementAndGet();
                refused.increment();
                return refused(overloadedRefusal());
            }
            if (customer != null && !takeOne(heldByCustomer, customer, customersMost)) {
                inFlight.decrementAndGet();
                refusedForCustomer.increment();
                return refused(tooManyInFlightRefusal());
            }
            holdsShare = customer != null;
            state = State.TAKEN;
            return null;
        }

        /** {@link #take}, as what a request does next waits for it. */
        Mono<Void> taken() {
            return Mono.defer(() -> {
                ApiException refused = take();
                return refused == null ? Mono.empty() : Mono.error(refused);
            });
        }

        /** The request is refused with this, and any later take with it too. */
        private ApiException refused(ApiException refused) {
            state = State.DONE;
            refusal = refused;
            return refused;
        }

        /** Counts the request's body among those arriving; false if as many are arriving as may. */
        synchronized boolean startArriving() {
            if (arriving.incrementAndGet() > maxArriving) {
                arriving.decrementAndGet();
                refused.increment();
                state = State.DONE;
                return false;
            }
            countedArriving = true;
            return true;
        }

        /** Its body has come, or will not: it no longer counts among those arriving. */
        private void stopArriving() {
            if (countedArriving) {
                arriving.decrementAndGet();
                countedArriving = false;
            }
            if (customerCountedArriving) {
                giveOne(arrivingByCustomer, customer);
                customerCountedArriving = false;
            }
        }

        /**
         * The request's customer, once its token is checked, and how many places they may hold with requests of its
         * kind: their share is taken with the place, or now if the place was taken before (a request without a body).
         * False if it cannot be.
         */
        synchronized boolean ofCustomer(String customerId, int mostOfTheirs) {
            if (customer != null) {
                return true; // told already: counted then
            }
            customer = customerId;
            customersMost = mostOfTheirs;
            if (state == State.WAITING && countedArriving) {
                // Its body still to come: counted among the customer's arriving, as many as their places at most.
                customerCountedArriving = takeOne(arrivingByCustomer, customerId, mostOfTheirs);
                if (!customerCountedArriving) {
                    refusedForCustomer.increment();
                    stopArriving();
                    refused(tooManyInFlightRefusal());
                }
                return customerCountedArriving;
            }
            if (state != State.TAKEN) {
                return true;
            }
            holdsShare = takeOne(heldByCustomer, customerId, mostOfTheirs);
            if (!holdsShare) {
                refusedForCustomer.increment();
            }
            return holdsShare;
        }

        void keepUntil(Mono<?> workDone) {
            workLeft = workDone;
        }

        /**
         * The answer starts, or the exchange ended without one (the first of the two counts): a place taken is freed
         * now, or once the work kept for is done if {@code workGoesOn}.
         */
        void answered(boolean workGoesOn) {
            String shareOf;
            synchronized (this) {
                stopArriving();
                boolean taken = state == State.TAKEN;
                state = State.DONE;
                if (!taken) {
                    return;
                }
                shareOf = holdsShare ? customer : null;
            }
            if (workGoesOn) {
                workLeft.onErrorComplete().doFinally(signal -> free(shareOf)).subscribe();
            } else {
                free(shareOf);
            }
        }

        /** Gives the place back, and the share of the customer named, if one is. */
        private void free(String shareOf) {
            inFlight.decrementAndGet();
            if (shareOf != null) {
                giveOne(heldByCustomer, shareOf);
            }
        }
    }

    private static ApiException overloadedRefusal() {
        return new ApiException(HttpStatus.SERVICE_UNAVAILABLE, OVERLOADED, OVERLOADED_DETAIL).retryAfter(1);
    }

    private static ApiException tooManyInFlightRefusal() {
        return new ApiException(HttpStatus.TOO_MANY_REQUESTS, TOO_MANY_IN_FLIGHT, TOO_MANY_IN_FLIGHT_DETAIL).retryAfter(1);
    }

    /** Not taken yet; taken; answered, refused, or gone (freed if it was taken, or to be once its work is done). */
    private enum State { WAITING, TAKEN, DONE }

    /** The request, taking its place when its body has been read to its end. */
    private static final class TakingItsPlace extends ServerHttpRequestDecorator {

        private final Place place;

        TakingItsPlace(ServerHttpRequest delegate, Place place) {
            super(delegate);
            this.place = place;
        }

        @Override
        public Flux<DataBuffer> getBody() {
            return super.getBody().concatWith(place.taken().then(Mono.empty()));
        }
    }

    /**
     * Without a body to wait for, a request takes its place as it comes. (Netty gives an HTTP/2 request with a body and
     * no length a {@code Transfer-Encoding}, so it waits for its body as HTTP/1.1's chunked ones do.)
     */
    private static boolean declaresABody(ServerHttpRequest request) {
        HttpHeaders headers = request.getHeaders();
        return headers.getContentLength() > 0 || headers.getFirst(HttpHeaders.TRANSFER_ENCODING) != null;
    }

    /**
     * Matched on the path as the handlers match it, its segments decoded: {@code /api/%76ouchers} is a generation
     * too, and must not pass as something else.
     */
    private static boolean publishes(ServerWebExchange exchange) {
        PathContainer path = exchange.getRequest().getPath().pathWithinApplication();
        HttpMethod method = exchange.getRequest().getMethod();
        return (method == HttpMethod.POST && (ANY_VOUCHER_PATH.matches(path) || ANY_REDEMPTION_PATH.matches(path)))
                // A settings change is published and its owner waited for (up to 5 s): under overload it was taken,
                // to be answered 503 "may have been done" seconds later, rather than refused at once.
                || (method == HttpMethod.PUT && SETTINGS_PATH.matches(path));
    }

    /** A new voucher: work that may wait, where a redemption or a cancellation finishes work already done. */
    private static boolean generates(ServerWebExchange exchange) {
        return GENERATION_PATH.matches(exchange.getRequest().getPath().pathWithinApplication());
    }

    /**
     * Before security: an overloaded ingress does not even check tokens of what it will refuse. After the trace's
     * filter and the upload bound ({@link UploadLimit}).
     */
    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE + 2;
    }
}
