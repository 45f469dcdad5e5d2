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
 * each attempt, made later by any instance, continues it, sampled or not as the event's trace was. A delivery
 * kept without one (or with one that cannot be read) starts a trace of its own: tracing never holds a delivery up.
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
        // An unsampled span's context too: the attempts' spans then stay unsampled with it, in the same trace.
        Span span = tracer.currentSpan();
        if (span == null) {
            return null;
        }
        Map<String, String> fields = new LinkedHashMap<>();
        propagator.inject(span.context(), fields, Map::put);
        return fields.isEmpty() ? null : JSON.writeValueAsString(fields);
    }

    /** A started span of one attempt, a child of the kept context (or the root of a new trace if there is none). */
    Span attempt(String keptContext) {
        return continuing(keptContext).name("webhook delivery").kind(Span.Kind.CLIENT).start();
    }

    /** The span in scope: the attempt's log lines carry its trace. */
    Tracer.SpanInScope inScope(Span span) {
        return tracer.withSpan(span);
    }

    private Span.Builder continuing(String keptContext) {
        if (keptContext != null) {
            try {
                return propagator.extract(JSON.readValue(keptContext, FIELDS), Map::get);
            } catch (RuntimeException unreadable) {
                // Written by this service, so never expected; the delivery goes all the same, in a trace of its own.
            }
        }
        return tracer.spanBuilder().setNoParent();
    }
}
