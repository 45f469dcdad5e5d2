package io.qrvoucher.ledger.core;

/**
 * The database was asked to commit a command's change and no answer came back (the connection broke
 * while committing): the change may be in or not. Asked again, the ledger answers from what it
 * stored, if it stored anything.
 */
public class CommitOutcomeUnknownException extends RuntimeException {

    CommitOutcomeUnknownException(String commandId, RuntimeException cause) {
        super("The commit of " + commandId + " may or may not have happened: " + cause.getMessage(), cause);
    }
}
