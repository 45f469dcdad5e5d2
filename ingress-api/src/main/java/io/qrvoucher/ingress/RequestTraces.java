package io.qrvoucher.ingress;

import java.util.function.Supplier;

import io.micrometer.observation.Observation;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import reactor.util.context.ContextView;

/**
 * The trace of the HTTP request being served. Spring's server observation of the request rides in the
 * Reactor context, not on a thread: work that starts spans of its own (a record sent) runs within it.
 */
public final class RequestTraces {

    private RequestTraces() {
    }

    /** Does the work with the request's observation (and so its span) current, if there is one. */
    public static <T> T within(ContextView context, Supplier<T> work) {
        Observation request = context.getOrDefault(ObservationThreadLocalAccessor.KEY, null);
        if (request == null) {
            return work.get();
        }
        try (Observation.Scope scope = request.openScope()) {
            return work.get();
        }
    }
}
