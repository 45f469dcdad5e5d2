package io.qrvoucher.ingress.reads;

import org.springframework.web.reactive.function.client.WebClient;

/**
 * The ingress's clients of the other services' internal APIs, one a service: each seals its calls with the key of
 * the service it calls, which that service alone holds beside the ingress.
 */
public record InternalClients(WebClient voucherStreams, WebClient ledger, WebClient webhookDelivery) {
}
