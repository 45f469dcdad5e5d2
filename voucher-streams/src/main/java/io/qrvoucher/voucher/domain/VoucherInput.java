package io.qrvoucher.voucher.domain;

/**
 * Whatever reaches a voucher: a customer's request, or the ledger's answer to one of its commands.
 * Both are keyed by voucher id and applied one at a time, in the order the voucher's task reads them.
 */
public sealed interface VoucherInput permits VoucherRequest, LedgerResult {

    String voucherId();
}
