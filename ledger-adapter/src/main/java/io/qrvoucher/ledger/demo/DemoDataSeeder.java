package io.qrvoucher.ledger.demo;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.context.annotation.Profile;
import org.springframework.core.Ordered;
import org.springframework.stereotype.Component;

import io.qrvoucher.ledger.core.AccountOpening;

/**
 * The demo customers of the embedded run: alice, bob and carol with one CNY account each. Runs
 * only with the {@code demo} profile, so it never touches a production database, and opens only
 * accounts that do not exist yet, so a restart keeps the demo's balances.
 */
@Component
@Profile("demo")
class DemoDataSeeder implements ApplicationRunner, Ordered {

    private static final Logger log = LoggerFactory.getLogger(DemoDataSeeder.class);
    private static final long DAILY_LIMIT = 50_000_00L;

    private final AccountOpening opening;

    DemoDataSeeder(AccountOpening opening) {
        this.opening = opening;
    }

    @Override
    public void run(ApplicationArguments args) {
        opening.openBankAccounts("CNY");
        opening.openCustomerAccount("alice-cny", "alice", "CNY", 10_000_00L, DAILY_LIMIT);
        opening.openCustomerAccount("bob-cny", "bob", "CNY", 500_00L, DAILY_LIMIT);
        opening.openCustomerAccount("carol-cny", "carol", "CNY", 0L, DAILY_LIMIT);
        log.info("Demo customers alice, bob and carol are ready");
    }

    @Override
    public int getOrder() {
        return HIGHEST_PRECEDENCE;
    }
}
