package io.qrvoucher.ledger.core;

import java.time.Instant;

/** An account row as the ledger holds it. */
public record Account(String accountId, String ownerCustomerId, String kind, String currency, long balanceMinor,
                      long heldMinor, String status, boolean outwardTransfersAllowed, long dailyOutwardLimitMinor,
                      long version, Instant updatedAt) {

    public long availableMinor() {
        return balanceMinor - heldMinor;
    }

    public boolean isActive() {
        return "ACTIVE".equals(status);
    }
}
