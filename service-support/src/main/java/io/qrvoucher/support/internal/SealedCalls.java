package io.qrvoucher.support.internal;

import java.net.URI;

import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import org.springframework.web.reactive.function.client.ExchangeFunction;

import reactor.core.publisher.Mono;

/**
 * Seals each call to another service's internal API as it is sent ({@link InternalApi}): its
 * method and its path and query as they go on the wire, at the second of sending, so a call retried later
 * is sealed afresh.
 */
public final class SealedCalls implements ExchangeFilterFunction {

    private final InternalApi.Seals seals;

    public SealedCalls(InternalApi.Seals seals) {
        this.seals = seals;
    }

    @Override
    public Mono<ClientResponse> filter(ClientRequest request, ExchangeFunction next) {
        return Mono.defer(() -> {
            URI url = request.url();
            String pathAndQuery = url.getRawPath() + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
            return next.exchange(ClientRequest.from(request)
                    .header(InternalApi.HEADER, seals.seal(request.method().name(), pathAndQuery)).build());
        });
    }
}
