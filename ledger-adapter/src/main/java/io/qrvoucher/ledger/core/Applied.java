package io.qrvoucher.ledger.core;

import java.time.Instant;
import java.util.List;

/**
 * What applying a command came to: its outcome, the amounts moved, and the accounts it changed.
 * {@code redelivered} is true when the command had been applied before and this is its stored result.
 */
public record Applied(String commandId, String voucherId, Outcome outcome, String reason, long transferredMinor,
                      long releasedMinor, List<String> affectedAccounts, Instant processedAt, boolean redelivered) {

    public Applied {
        affectedAccounts = List.copyOf(affectedAccounts);
    }

    public enum Outcome {
        FROZEN, FREEZE_REFUSED, TRANSFERRED, TRANSFER_FAILED, RELEASED, RELEASE_REFUSED
    }
}
