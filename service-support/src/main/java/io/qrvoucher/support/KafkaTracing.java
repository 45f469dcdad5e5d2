package io.qrvoucher.support;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;

/**
 * Traces across Kafka records for the clients Spring does not observe itself (the ingress's producer,
 * Kafka Streams): the trace context travels in record headers as the configured propagation writes it
 * (W3C {@code traceparent} by default), read with Micrometer Tracing's {@link Propagator}, so that a
 * request's spans in every service form one trace.
 */
public final class KafkaTracing {

    private final Tracer tracer;
    private final Propagator propagator;

    public KafkaTracing(Tracer tracer, Propagator propagator) {
        this.tracer = tracer;
        this.propagator = propagator;
    }

    /** Traces nothing and carries nothing on: for clients outside a service (tools, tests). */
    public static KafkaTracing untraced() {
        return new KafkaTracing(Tracer.NOOP, Propagator.NOOP);
    }

    /** A started span of handling a record: a child of the trace its headers carry, or the root of a new one. */
    public Span handling(String name, Headers headers) {
        return propagator.extract(headers, KafkaTracing::header).name(name).kind(Span.Kind.CONSUMER).start();
    }

    /**
     * A started span of sending a record, a child of the current span (or the root of a new trace), whose
     * context the record's headers now carry.
     */
    public Span sending(String name, Headers headers) {
        Span current = tracer.currentSpan();
        Span.Builder builder = tracer.spanBuilder().name(name).kind(Span.Kind.PRODUCER);
        Span span = (current == null ? builder.setNoParent() : builder.setParent(current.context())).start();
        carryOn(span.context(), headers);
        return span;
    }

    /** Writes the context into the headers, as the next hop's parent. */
    public void carryOn(TraceContext context, Headers headers) {
        propagator.inject(context, headers, KafkaTracing::setHeader);
    }

    private static String header(Headers headers, String name) {
        Header header = headers.lastHeader(name);
        // Kafka lets a header have no value: such a header carries no context.
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static void setHeader(Headers headers, String name, String value) {
        headers.remove(name);
        headers.add(name, value.getBytes(StandardCharsets.UTF_8));
    }
}
