package io.qrvoucher.webhook.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import io.qrvoucher.avro.VoucherEventType;

/**
 * The event types an endpoint may subscribe to: those of the public {@code voucher-events} contract, except
 * {@code UNKNOWN}, which is what a reader makes of a type newer than its schema and is never written.
 */
public final class EventTypes {

    public static final Set<String> SUBSCRIBABLE = Arrays.stream(VoucherEventType.values())
            .filter(type -> type != VoucherEventType.UNKNOWN).map(Enum::name)
            .collect(java.util.stream.Collectors.toCollection(LinkedHashSet::new));

    private EventTypes() {
    }

    /** The types, each once, in the order given; refused when empty or when one is not subscribable. */
    public static List<String> check(List<String> types) {
        if (types == null || types.isEmpty()) {
            throw new Refusal("UNKNOWN_EVENT_TYPE", "eventTypes must name at least one of " + SUBSCRIBABLE);
        }
        Set<String> checked = new LinkedHashSet<>();
        for (String type : types) {
            if (type == null || !SUBSCRIBABLE.contains(type)) {
                throw new Refusal("UNKNOWN_EVENT_TYPE", "Unknown event type " + type + "; the types are " + SUBSCRIBABLE);
            }
            checked.add(type);
        }
        return new ArrayList<>(checked);
    }
}
