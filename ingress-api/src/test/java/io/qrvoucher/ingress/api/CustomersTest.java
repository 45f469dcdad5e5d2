package io.qrvoucher.ingress.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.qrvoucher.avro.AccountSnapshot;
import io.qrvoucher.avro.query.AccountList;
import io.qrvoucher.ingress.reads.AccountReads;
import io.qrvoucher.support.reads.ColocatedOwners;
import io.qrvoucher.support.reads.LedgerReads;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** The own-account rule, and how often it asks the ledger. */
class CustomersTest {

    private static final URI LEDGER = URI.create("http://ledger.test");

    private final Map<String, List<AccountSnapshot>> ledgerAccounts = new ConcurrentHashMap<>();
    private final AtomicInteger ledgerReads = new AtomicInteger();
    private final LedgerReads ledger = customerId -> {
        ledgerReads.incrementAndGet();
        return Mono.just(new AccountList(List.copyOf(ledgerAccounts.getOrDefault(customerId, List.of()))));
    };
    private final Customers customers = new Customers(null, new AccountReads(null, List.of(LEDGER),
            new ColocatedOwners(Map.of(), Map.of(LEDGER, ledger)), Duration.ofSeconds(5)));

    @Test
    void anAccountKnownToBeTheCustomersIsNotAskedForAgain() {
        open("alice", "acc-alice", "CNY");

        assertThat(customers.ownAccountIn("alice", "acc-alice", "CNY").block().accountId()).isEqualTo("acc-alice");
        assertThat(customers.ownAccountIn("alice", "acc-alice", "CNY").block().accountId()).isEqualTo("acc-alice");

        assertThat(ledgerReads).hasValue(1);
    }

    @Test
    void someoneElsesAccountIsRefusedThoughItIsKnown() {
        open("alice", "acc-alice", "CNY");
        customers.ownAccount("alice", "acc-alice").block();

        StepVerifier.create(customers.ownAccount("mallory", "acc-alice"))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOfSatisfying(ApiException.class,
                        refusal -> assertThat(refusal.code()).isEqualTo("ACCOUNT_NOT_FOUND")))
                .verify(Duration.ofSeconds(5));
        assertThat(ledgerReads).hasValue(2);
    }

    @Test
    void anAccountOpenedAfterTheCustomersOthersWereMetIsFound() {
        open("alice", "acc-alice", "CNY");
        customers.ownAccount("alice", "acc-alice").block();

        open("alice", "acc-alice-usd", "USD");

        assertThat(customers.ownAccountIn("alice", "acc-alice-usd", "USD").block().accountId()).isEqualTo("acc-alice-usd");
    }

    @Test
    void aKnownAccountInAnotherCurrencyIsStillRefused() {
        open("alice", "acc-alice", "CNY");
        customers.ownAccount("alice", "acc-alice").block();

        StepVerifier.create(customers.ownAccountIn("alice", "acc-alice", "USD"))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOfSatisfying(ApiException.class,
                        refusal -> assertThat(refusal.code()).isEqualTo("CURRENCY_MISMATCH")))
                .verify(Duration.ofSeconds(5));
    }

    private void open(String customerId, String accountId, String currency) {
        ledgerAccounts.computeIfAbsent(customerId, owner -> new CopyOnWriteArrayList<>())
                .add(new AccountSnapshot(accountId, customerId, currency, 100_00L, 0L, 100_00L, "ACTIVE", true,
                        1_000_00L, 1L, Instant.EPOCH));
    }
}
