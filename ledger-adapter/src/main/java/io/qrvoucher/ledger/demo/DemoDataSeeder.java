package io.qrvoucher.ledger.demo;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.context.annotation.Profile;
import org.springframework.core.Ordered;
import org.springframework.stereotype.Component;

import io.qrvoucher.ledger.LedgerProperties;
import io.qrvoucher.ledger.core.AccountOpening;

/**
 * The demo customers of the embedded run: alice, bob and carol with one CNY account each, and as many
 * load customers as {@code ledger.demo.load-customers} asks for, opened and funded the way operators open
 * accounts ({@link AccountOpening}). Runs only with the {@code demo} profile, so it never touches a
 * production database, and opens only accounts that do not exist yet, so a restart keeps the demo's balances.
 */
@Component
@Profile("demo")
class DemoDataSeeder implements ApplicationRunner, Ordered {

    private static final Logger log = LoggerFactory.getLogger(DemoDataSeeder.class);
    private static final long DAILY_LIMIT = 50_000_00L;

    private final AccountOpening opening;
    private final LedgerProperties.Demo demo;

    DemoDataSeeder(AccountOpening opening, LedgerProperties properties) {
        this.opening = opening;
        this.demo = properties.demo();
    }

    @Override
    public void run(ApplicationArguments args) {
        opening.openCustomerAccount("alice-cny", "alice", "CNY", 10_000_00L, DAILY_LIMIT);
        opening.openCustomerAccount("bob-cny", "bob", "CNY", 500_00L, DAILY_LIMIT);
        opening.openCustomerAccount("carol-cny", "carol", "CNY", 0L, DAILY_LIMIT);
        for (int i = 1; i <= demo.loadCustomers(); i++) {
            opening.openCustomerAccount("load-payer-" + i + "-cny", "load-payer-" + i, "CNY", demo.loadPayerBalance(), DAILY_LIMIT);
            opening.openCustomerAccount("load-payee-" + i + "-cny", "load-payee-" + i, "CNY", 0L, DAILY_LIMIT);
        }
        log.info("Demo customers alice, bob and carol are ready{}", demo.loadCustomers() == 0 ? ""
                : ", and load-payer-1.." + demo.loadCustomers() + ", load-payee-1.." + demo.loadCustomers());
    }

    @Override
    public int getOrder() {
        return HIGHEST_PRECEDENCE;
    }
}
