package io.qrvoucher.voucher.streams;

import java.util.List;

import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.qrvoucher.support.KafkaTracing;

/** Micrometer Tracing over an OpenTelemetry SDK whose finished spans are kept in memory, as the service has it but without export. */
final class InMemoryTracing {

    private final InMemorySpanExporter spans = InMemorySpanExporter.create();
    private final KafkaTracing kafka;

    InMemoryTracing() {
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
                .build();
        Tracer tracer = sdk.getTracer("voucher-streams-test");
        kafka = new KafkaTracing(new OtelTracer(tracer, new OtelCurrentTraceContext(), event -> { }),
                new OtelPropagator(sdk.getPropagators(), tracer));
    }

    KafkaTracing kafka() {
        return kafka;
    }

    List<SpanData> finishedSpans() {
        return spans.getFinishedSpanItems();
    }
}
