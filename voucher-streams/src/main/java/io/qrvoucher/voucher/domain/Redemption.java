package io.qrvoucher.voucher.domain;

import java.time.Instant;

/** The one redemption a voucher accepts. */
public record Redemption(String requestId, String payeeCustomerId, Money amount, Destination destination,
                         Instant requestedAt) {
}
