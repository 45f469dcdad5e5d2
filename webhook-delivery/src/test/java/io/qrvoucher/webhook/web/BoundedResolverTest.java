package io.qrvoucher.webhook.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.qrvoucher.webhook.SlowNameServer;

/** A name server that answers slowly, as one a customer runs for the host of their URL may on purpose. */
class BoundedResolverTest {

    private final SlowNameServer nameServer;

    BoundedResolverTest() throws Exception {
        nameServer = new SlowNameServer(InetAddress.getAllByName("93.184.215.14")); // a literal: parsed, not looked up
    }

    @Test
    void aLookupPastItsTimeLimitIsGivenUpButKeepsItsPlaceAndItsCustomersTurnUntilTheSystemGivesUpToo() throws Exception {
        try (BoundedResolver resolver = new BoundedResolver(nameServer, 1, Duration.ofMillis(200))) {
            assertThatThrownBy(() -> resolver.of("mallory").resolve("slow.example.com"))
                    .isInstanceOf(UnknownHostException.class).hasMessageContaining("did not resolve within 200 ms");

            assertThatThrownBy(() -> resolver.of("mallory").resolve("slow2.example.com"))
                    .isInstanceOf(BoundedResolver.CustomerBusy.class);
            assertThatThrownBy(() -> resolver.of("alice").resolve("shop.example.com"))
                    .isInstanceOf(BoundedResolver.Busy.class);

            nameServer.answer(); // the system's resolver answers at last: the place and the turn are free again
            await().atMost(Duration.ofSeconds(10)).ignoreExceptionsInstanceOf(BoundedResolver.Busy.class)
                    .until(() -> resolver.of("alice").resolve("shop.example.com").length == 1);
            assertThat(resolver.of("mallory").resolve("shop.example.com")).hasSize(1);
        } finally {
            nameServer.answer();
        }
    }

    @Test
    void lookupsAnsweredInTimeFreeTheirPlaceAndTheirCustomersTurn() throws Exception {
        nameServer.answer();
        try (BoundedResolver resolver = new BoundedResolver(nameServer, 2, Duration.ofSeconds(10))) {
            assertThat(resolver.of("alice").resolve("shop.example.com")).extracting(InetAddress::getHostAddress)
                    .containsExactly("93.184.215.14");
            assertThat(resolver.of("alice").resolve("shop.example.com")).hasSize(1);
            assertThat(resolver.of("bob").resolve("shop.example.com")).hasSize(1);
        }
    }

    @Test
    void aNameThatDoesNotExistIsUnknownAndFreesItsPlace() throws Exception {
        try (BoundedResolver resolver = new BoundedResolver(host -> {
            throw new UnknownHostException(host);
        }, 1, Duration.ofSeconds(10))) {
            assertThatThrownBy(() -> resolver.of("alice").resolve("nowhere.example.com"))
                    .isInstanceOf(UnknownHostException.class);
            await().atMost(Duration.ofSeconds(10)).ignoreExceptionsInstanceOf(BoundedResolver.Busy.class)
                    .ignoreExceptionsInstanceOf(BoundedResolver.CustomerBusy.class)
                    .untilAsserted(() -> assertThatThrownBy(() -> resolver.of("alice").resolve("nowhere.example.com"))
                            .isInstanceOf(UnknownHostException.class));
        }
    }
}
