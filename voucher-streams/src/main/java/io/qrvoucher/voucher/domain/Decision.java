package io.qrvoucher.voucher.domain;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the lifecycle decided for one input: the voucher's new state (empty when it did not
 * change), the ledger commands to send and the events to publish, in order.
 */
public record Decision(Optional<Voucher> newState, List<LedgerCommand> commands, List<VoucherEvent> events) {

    public Decision {
        commands = List.copyOf(commands);
        events = List.copyOf(events);
    }

    static Decision nothing() {
        return new Decision(Optional.empty(), List.of(), List.of());
    }

    static Decision refuse(VoucherRequest request, Voucher current, Refusal refusal) {
        return new Decision(Optional.empty(), List.of(), List.of(VoucherEvent.refused(request, current, refusal)));
    }

    static Decision change(Voucher newState, List<LedgerCommand> commands, VoucherEvent event) {
        return new Decision(Optional.of(newState), commands, event == null ? List.of() : List.of(event));
    }

    public boolean isEmpty() {
        return newState.isEmpty() && commands.isEmpty() && events.isEmpty();
    }

    /** The state this decision leaves, given the state it started from. */
    public Optional<Voucher> stateAfter(Optional<Voucher> before) {
        return newState.isPresent() ? newState : before;
    }

    /** This decision followed by one taken on the state this one leaves. */
    Decision then(Decision next) {
        List<LedgerCommand> allCommands = new ArrayList<>(commands);
        allCommands.addAll(next.commands);
        List<VoucherEvent> allEvents = new ArrayList<>(events);
        allEvents.addAll(next.events);
        return new Decision(next.newState.isPresent() ? next.newState : newState, allCommands, allEvents);
    }
}
