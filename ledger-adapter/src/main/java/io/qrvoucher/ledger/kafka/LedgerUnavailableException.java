package io.qrvoucher.ledger.kafka;

import io.qrvoucher.ledger.core.LedgerCommand;

/** The database could not apply a command; the command says how long it may be retried. */
class LedgerUnavailableException extends RuntimeException {

    private final transient LedgerCommand command;

    LedgerUnavailableException(LedgerCommand command, Throwable cause) {
        super("Ledger could not apply " + command.commandId() + ": " + cause.getMessage(), cause);
        this.command = command;
    }

    LedgerCommand command() {
        return command;
    }
}
