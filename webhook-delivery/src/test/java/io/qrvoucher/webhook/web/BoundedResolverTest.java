package io.qrvoucher.webhook.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.Test;

/** A name server that answers slowly, as one a customer runs for the host of their URL may on purpose. */
class BoundedResolverTest {

    private final CountDownLatch answer = new CountDownLatch(1);

    private InetAddress[] slowly(String host) throws UnknownHostException {
        boolean interrupted = false;
        while (answer.getCount() > 0) { // as the system's resolver: an interrupt does not end the wait
            try {
                answer.await();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return InetAddress.getAllByName("93.184.215.14"); // a literal: parsed, not looked up
    }

    @Test
    void aLookupPastItsTimeLimitIsGivenUpAndTheNextIsRefusedAtOnceWhileItsThreadIsStillTaken() throws Exception {
        try (BoundedResolver resolver = new BoundedResolver(this::slowly, 1, Duration.ofMillis(200))) {
            assertThatThrownBy(() -> resolver.resolve("slow.example.com")).isInstanceOf(UnknownHostException.class)
                    .hasMessageContaining("did not resolve within 200 ms");

            assertThatThrownBy(() -> resolver.resolve("shop.example.com")).isInstanceOf(BoundedResolver.Busy.class);
        } finally {
            answer.countDown();
        }
    }

    @Test
    void aLookupInTimeIsAnswered() throws Exception {
        answer.countDown();
        try (BoundedResolver resolver = new BoundedResolver(this::slowly, 1, Duration.ofSeconds(10))) {
            assertThat(resolver.resolve("shop.example.com")).extracting(InetAddress::getHostAddress)
                    .containsExactly("93.184.215.14");
            assertThat(resolver.resolve("shop.example.com")).hasSize(1);
        }
    }

    @Test
    void aNameThatDoesNotExistIsUnknown() {
        try (BoundedResolver resolver = new BoundedResolver(host -> {
            throw new UnknownHostException(host);
        }, 1, Duration.ofSeconds(10))) {
            assertThatThrownBy(() -> resolver.resolve("nowhere.example.com")).isInstanceOf(UnknownHostException.class)
                    .isNotInstanceOf(BoundedResolver.Busy.class);
        }
    }
}
