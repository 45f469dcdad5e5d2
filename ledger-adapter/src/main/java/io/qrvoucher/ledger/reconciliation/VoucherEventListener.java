package io.qrvoucher.ledger.reconciliation;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.transaction.support.TransactionTemplate;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.qrvoucher.avro.VoucherEvent;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.schemas.Topics;

/**
 * Reads {@code voucher-events} in its own consumer group, so that the instances share its partitions,
 * and records what the ledger must show for each voucher that reached a final status. A poll's
 * offsets are committed after its expectations are.
 */
class VoucherEventListener {

    private static final Logger log = LoggerFactory.getLogger(VoucherEventListener.class);
    private static final AvroSerde<VoucherEvent> EVENTS = AvroSerde.of(VoucherEvent.class);

    private final ReconciliationStore store;
    private final TransactionTemplate transactions;
    private final Duration gracePeriod;
    private final Counter unreadable;

    VoucherEventListener(ReconciliationStore store, TransactionTemplate transactions, Duration gracePeriod,
                         MeterRegistry meters) {
        this.store = store;
        this.transactions = transactions;
        this.gracePeriod = gracePeriod;
        this.unreadable = Counter.builder("ledger.reconciliation.unreadable.events")
                .description("Voucher events the reconciliation could not read and skipped").register(meters);
    }

    /** The consumer group is {@code ledger.reconciliation.group-id}, set on the container factory. */
    @KafkaListener(id = "ledger-reconciliation", idIsGroup = false,
            topics = "${ledger.topics.voucher-events:" + Topics.VOUCHER_EVENTS + "}",
            containerFactory = ReconciliationConfiguration.LISTENER_CONTAINER_FACTORY)
    public void onEvents(List<ConsumerRecord<String, byte[]>> records) {
        // One row per voucher and statement: the newest version of the poll stands for the voucher.
        Map<String, Expectation> newest = new LinkedHashMap<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            expectationOf(record).ifPresent(expectation -> newest.merge(expectation.voucherId(), expectation,
                    (kept, next) -> next.voucherVersion() > kept.voucherVersion() ? next : kept));
        }
        if (!newest.isEmpty()) {
            transactions.executeWithoutResult(status -> store.expect(newest.values()));
        }
    }

    private Optional<Expectation> expectationOf(ConsumerRecord<String, byte[]> record) {
        try {
            return Expectation.of(EVENTS.decode(record.value()), gracePeriod);
        } catch (SerializationException | IllegalArgumentException e) {
            // Not dead-lettered: voucher-events is voucher-streams' public topic, and a replay to it would
            // reach every subscriber. Logged, counted and skipped; the sweeps still check the ledger itself.
            unreadable.increment();
            log.error("Reconciliation skips the unreadable voucher event {}-{}@{}: {}", record.topic(),
                    record.partition(), record.offset(), e.getMessage());
            return Optional.empty();
        }
    }
}
