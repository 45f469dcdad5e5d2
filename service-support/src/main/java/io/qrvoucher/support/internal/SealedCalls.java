package io.qrvoucher.support.internal;

import java.security.MessageDigest;
import java.util.function.Function;

import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.client.reactive.ClientHttpRequest;
import org.springframework.http.client.reactive.ClientHttpRequestDecorator;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import org.springframework.web.reactive.function.client.ExchangeFunction;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.qrvoucher.support.internal.InternalApi.Call;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Seals each call to another service's internal API as it is sent ({@link InternalApi}): its method, its path and
 * query as they go on the wire, its {@code Idempotency-Key} and the digest of the body bytes as written, at the second
 * of sending, with the key of the one service it calls, so a call retried later is sealed afresh. A call whose seal
 * is refused (401: the keys or the clocks of the services disagree) is the services' fault, never the customer's: it
 * is logged as an error (at most every ten seconds), counted ({@code internal.api.seal.refused}, tagged with the
 * {@code callee}) and handed to the caller as 503, so that the caller asks
 * another instance or answers the customer {@code 503} as for any owner that cannot answer.
 */
public final class SealedCalls implements ExchangeFilterFunction {

    private static final Logger log = LoggerFactory.getLogger(SealedCalls.class);

    private final String service;
    private final InternalApi.Seals seals;
    private final Counter refused;
    private final LogThrottle logThrottle = new LogThrottle();

    SealedCalls(String service, InternalApi.Seals seals, MeterRegistry meters) {
        this.service = service;
        this.seals = seals;
        this.refused = Counter.builder("internal.api.seal.refused")
                .description("Calls to another service's internal API whose seal it refused (keys or clocks disagree)")
                .tag("callee", service)
                .register(meters);
    }

    @Override
    public Mono<ClientResponse> filter(ClientRequest request, ExchangeFunction next) {
        ClientRequest sealed = ClientRequest.from(request)
                .body((message, context) -> request.body().insert(new Sealing(message, request), context))
                .build();
        return next.exchange(sealed)
                .map(response -> response.statusCode().isSameCodeAs(HttpStatus.UNAUTHORIZED) ? refused(request, response) : response);
    }

    private ClientResponse refused(ClientRequest request, ClientResponse response) {
        refused.increment();
        if (logThrottle.due()) {
            log.error("{} {} refused this service's seal: {}'s internal-api.keys and this service's "
                    + "internal-api.callees.{}, or their clocks, disagree (logged at most every 10 s; "
                    + "internal_api_seal_refused_total counts them all)", request.method(), request.url(), service, service);
        }
        return response.mutate().statusCode(HttpStatus.SERVICE_UNAVAILABLE).build();
    }

    /** The request on its way out: sealed when its body is written (or found to be none), before its headers go. */
    private final class Sealing extends ClientHttpRequestDecorator {

        private final ClientRequest request;
        private boolean sealed;

        Sealing(ClientHttpRequest message, ClientRequest request) {
            super(message);
            this.request = request;
        }

        @Override
        public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
            return DataBufferUtils.join(body)
                    .flatMap(bytes -> {
                        MessageDigest digest = InternalApi.sha256();
                        InternalApi.update(digest, bytes);
                        seal(InternalApi.bodyDigestOf(digest));
                        return super.writeWith(Mono.just(bytes));
                    })
                    .switchIfEmpty(Mono.defer(() -> {
                        seal(null);
                        return super.writeWith(Flux.empty());
                    }));
        }

        @Override
        public Mono<Void> writeAndFlushWith(Publisher<? extends Publisher<? extends DataBuffer>> body) {
            return writeWith(Flux.from(body).flatMapSequential(Function.identity()));
        }

        @Override
        public Mono<Void> setComplete() {
            seal(null);
            return super.setComplete();
        }

        /** Once, before the headers go: a writer may complete the request again after its body. */
        private void seal(String bodyDigest) {
            if (sealed || isCommitted()) {
                return;
            }
            sealed = true;
            HttpHeaders headers = getHeaders();
            if (bodyDigest != null) {
                headers.set(InternalApi.BODY_DIGEST_HEADER, bodyDigest);
            } else {
                headers.remove(InternalApi.BODY_DIGEST_HEADER);
            }
            HttpMethod method = request.method();
            headers.set(InternalApi.HEADER, seals.seal(new Call(method.name(), InternalApi.pathAndQuery(request.url()),
                    headers.getFirst(InternalApi.IDEMPOTENCY_KEY_HEADER), bodyDigest)));
        }
    }
}
