package io.qrvoucher.ledger;

import java.time.Duration;
import java.time.ZoneId;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Configuration of the ledger adapter, under {@code ledger.*}. Kafka and the database are set with
 * the usual {@code spring.kafka.*} and {@code spring.datasource.*}.
 *
 * @param bankZone the time zone whose business days bound the daily outward limit
 * @param topics   topic names
 * @param retry    how failures of the database or the broker are retried
 */
@ConfigurationProperties("ledger")
public record LedgerProperties(
        @DefaultValue("Asia/Shanghai") ZoneId bankZone,
        @DefaultValue Topics topics,
        @DefaultValue Retry retry) {

    public record Topics(
            @DefaultValue("ledger-commands") String commands,
            @DefaultValue("ledger-results") String results,
            @DefaultValue("account-snapshots") String accountSnapshots,
            @DefaultValue("ledger-dead-letters") String deadLetters) {
    }

    /**
     * @param initialInterval        first pause after a failure; it doubles up to {@code maxInterval}
     * @param maxInterval            longest pause between two attempts
     * @param transferGiveUpAfter    how long a transfer may fail against the database before it is
     *                               given up: its next attempt that reaches the database stores a
     *                               refusal (LEDGER_UNAVAILABLE) unless the transfer was applied
     *                               before, and publishes what the database then holds. Nothing is
     *                               answered while the database cannot be reached, however long.
     *                               Freezes and releases never give up: giving up could leave money
     *                               held with no voucher to release it
     * @param publishTimeout         how long a result may wait for the broker's acknowledgement
     */
    public record Retry(
            @DefaultValue("200ms") Duration initialInterval,
            @DefaultValue("5s") Duration maxInterval,
            @DefaultValue("30s") Duration transferGiveUpAfter,
            @DefaultValue("10s") Duration publishTimeout) {
    }
}
