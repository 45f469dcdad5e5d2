package io.qrvoucher.ledger.kafka;

import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.core.Ordered;

/**
 * Publishes every account's snapshot when the adapter starts, after any seeding, where snapshots are published
 * ({@link ResultPublisher} decides), so that the compacted snapshot topic holds every account even before its
 * first change.
 */
class AccountSnapshotsAtStart implements ApplicationRunner, Ordered {

    private final ResultPublisher publisher;

    AccountSnapshotsAtStart(ResultPublisher publisher) {
        this.publisher = publisher;
    }

    @Override
    public void run(ApplicationArguments args) {
        publisher.publishAllAccounts();
    }

    @Override
    public int getOrder() {
        return LOWEST_PRECEDENCE;
    }
}
