package io.qrvoucher.webhook.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import io.qrvoucher.webhook.Receiver;
import io.qrvoucher.webhook.core.AddressPolicy;
import io.qrvoucher.webhook.store.WebhookStore;

class WebhookSenderTest {

    private static WebhookStore.Due due(String url) {
        return new WebhookStore.Due(7, "e", url, "whsec_test", "v/v2", "{}".getBytes(), Instant.now(), 0, null);
    }

    /** A name that resolved to a public address at registration may resolve to an internal one now (DNS rebinding). */
    @Test
    void anAddressThePolicyRefusesIsRefusedAtConnectTimeAndNothingIsSent() throws Exception {
        try (Receiver receiver = Receiver.answering();
             WebhookSender production = new WebhookSender(new AddressPolicy(false), true, Duration.ofSeconds(1),
                     Duration.ofSeconds(1), 2, Clock.systemUTC())) {
            WebhookSender.Outcome outcome = production.send(due(receiver.url()));

            assertThat(outcome.delivered()).isFalse();
            assertThat(outcome.error()).startsWith("refused: localhost resolves to an address webhooks may not go to");
            assertThat(receiver.requests()).isEmpty();
        }
    }

    @Test
    void aPlainHttpUrlIsNotSentWithoutTheLocalSwitch() throws Exception {
        try (Receiver receiver = Receiver.answering();
             WebhookSender production = new WebhookSender(new AddressPolicy(true), false, Duration.ofSeconds(1),
                     Duration.ofSeconds(1), 2, Clock.systemUTC())) {
            assertThat(production.send(due(receiver.url())).error()).isEqualTo("refused: not an https URL");
            assertThat(receiver.requests()).isEmpty();
        }
    }

    @Test
    void aRedirectIsNotFollowedButCountsAsAFailedAttempt() throws Exception {
        com.sun.net.httpserver.HttpServer redirecting = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 10);
        redirecting.createContext("/", exchange -> {
            exchange.getResponseHeaders().add("Location", "http://127.0.0.1:1/internal");
            exchange.sendResponseHeaders(307, -1);
            exchange.close();
        });
        redirecting.start();
        try (WebhookSender sender = new WebhookSender(new AddressPolicy(true), true, Duration.ofSeconds(1),
                Duration.ofSeconds(1), 2, Clock.systemUTC())) {
            WebhookSender.Outcome outcome = sender.send(due("http://localhost:" + redirecting.getAddress().getPort() + "/"));

            assertThat(outcome.delivered()).isFalse();
            assertThat(outcome.statusCode()).isEqualTo(307);
        } finally {
            redirecting.stop(0);
        }
    }
}
