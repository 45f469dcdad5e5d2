package io.qrvoucher.ledger.kafka;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The commands of this instance whose commit may have happened although the database did not say so
 * (the connection broke while committing). A transfer among them is never given up: answering
 * TRANSFER_FAILED could contradict money that moved. It is retried until the database answers, from
 * the result it stored or by applying it. Kept in memory: if this instance dies meanwhile, the
 * instance that takes the partition over does not know, which is the one case left in which a
 * transfer could be given up after it moved the money.
 */
final class UncertainCommits {

    private final Set<String> commandIds = ConcurrentHashMap.newKeySet();

    void uncertain(String commandId) {
        commandIds.add(commandId);
    }

    void settled(String commandId) {
        commandIds.remove(commandId);
    }

    boolean contains(String commandId) {
        return commandIds.contains(commandId);
    }
}
