package io.qrvoucher.ledger.reconciliation;

/**
 * One check that failed on one subject.
 *
 * @param subject   what was checked: a voucher id, a journal transaction id or an account id
 * @param voucherId the voucher concerned, if there is one
 * @param expected  what the check expected, in words and minor units
 * @param found     what the ledger showed
 */
record Finding(Check check, String subject, String voucherId, String expected, String found) {
}
