package io.qrvoucher.webhook.dispatch;

import java.util.LinkedHashMap;
import java.util.Map;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Each attempt to deliver an event is a span of the event's trace: the context of the span that recorded the
 * delivery is kept with it (the propagation's fields, as the configured propagation writes them, in JSON), and
 * each attempt, made later by any instance, continues it. A delivery kept without one starts a trace of its own.
 */
public final class DeliveryTraces {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final TypeReference<Map<String, String>> FIELDS = new TypeReference<>() {
    };

    private final Tracer tracer;
    private final Propagator propagator;

    public DeliveryTraces(Tracer tracer, Propagator propagator) {
        this.tracer = tracer;
        this.propagator = propagator;
    }

    /** Traces nothing: for tests of the delivery alone. */
    public static DeliveryTraces untraced() {
        return new DeliveryTraces(Tracer.NOOP, Propagator.NOOP);
    }

    /** The context of the current span, to keep with a delivery; null outside a trace. */
    public String current() {
        Span span = tracer.currentSpan();
        if (span == null || span.isNoop()) {
            return null;
        }
        Map<String, String> fields = new LinkedHashMap<>();
        propagator.inject(span.context(), fields, Map::put);
        return fields.isEmpty() ? null : JSON.writeValueAsString(fields);
    }

    /** A started span of one attempt, a child of the kept context (or the root of a new trace if there is none). */
    Span attempt(String keptContext) {
        Span.Builder builder = keptContext == null ? tracer.spanBuilder().setNoParent()
                : propagator.extract(JSON.readValue(keptContext, FIELDS), Map::get);
        return builder.name("webhook delivery").kind(Span.Kind.CLIENT).start();
    }
}
