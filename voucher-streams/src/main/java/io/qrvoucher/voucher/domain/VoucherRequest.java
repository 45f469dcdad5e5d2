package io.qrvoucher.voucher.domain;

import java.time.Instant;
import java.util.Optional;

/** What a customer asks of one voucher. {@code requestId} is the same on every redelivery. */
public sealed interface VoucherRequest extends VoucherInput {

    String requestId();

    String customerId();

    Instant requestedAt();

    record Generate(String requestId, String voucherId, String customerId, Instant requestedAt,
                    String accountId, Money amount, Optional<Instant> expiresAt, String codeHash)
            implements VoucherRequest {
    }

    /** {@code amount} empty means the full face value. */
    record Redeem(String requestId, String voucherId, String customerId, Instant requestedAt,
                  String presentedCodeHash, Optional<Long> amountMinor, Destination destination)
            implements VoucherRequest {
    }

    record Cancel(String requestId, String voucherId, String customerId, Instant requestedAt)
            implements VoucherRequest {
    }
}
