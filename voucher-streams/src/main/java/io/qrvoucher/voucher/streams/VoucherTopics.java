package io.qrvoucher.voucher.streams;

import io.qrvoucher.schemas.Topics;

/**
 * The topics the topology reads and writes. Requests and ledger results must have the same number
 * of partitions: both are keyed by voucher id, so that one task sees every input of a voucher.
 * {@code customerVouchers} is the per-customer index (compacted, partitioned by customer), written and
 * read by the topology itself. {@code settingsChanges} (the ingress's changes of settings) and
 * {@code legacySettings} (settings as the ingress used to write them whole) are keyed by customer and
 * must have the same number of partitions too. {@code idempotencyClaims} holds the ingress's claims of
 * Idempotency-Keys and sign-ins, keyed by customer and key. {@code customerAttempts} holds the attempts
 * the abuse limits count, keyed by customer.
 */
public record VoucherTopics(String requests, String ledgerCommands, String ledgerResults, String events,
                            String customerVouchers, String settingsChanges, String legacySettings,
                            String idempotencyClaims, String customerAttempts, String deadLetters) {

    public static VoucherTopics defaults() {
        return new VoucherTopics(Topics.VOUCHER_REQUESTS, Topics.LEDGER_COMMANDS, Topics.LEDGER_RESULTS,
                Topics.VOUCHER_EVENTS, Topics.CUSTOMER_VOUCHERS, Topics.SETTINGS_CHANGES, Topics.CUSTOMER_SETTINGS,
                Topics.INGRESS_IDEMPOTENCY, Topics.CUSTOMER_ATTEMPTS, Topics.VOUCHER_DEAD_LETTERS);
    }
}
