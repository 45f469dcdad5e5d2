package io.qrvoucher.ingress;

import java.util.List;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;

/**
 * Every span the services of the tests finish — the ingress's and those of the pipeline behind it, which
 * share this JVM — kept in memory, in the order they ended.
 */
public final class CapturedSpans {

    private static final InMemorySpanExporter EXPORTED = InMemorySpanExporter.create();

    private CapturedSpans() {
    }

    /** The finished spans of one trace. */
    static List<SpanData> ofTrace(String traceId) {
        return EXPORTED.getFinishedSpanItems().stream().filter(span -> span.getTraceId().equals(traceId)).toList();
    }

    /** Added to a service's context: its spans are kept here, each as it ends. */
    @Configuration(proxyBeanMethods = false)
    public static class Export {

        @Bean
        SpanProcessor capturedSpans() {
            return SimpleSpanProcessor.create(EXPORTED);
        }
    }
}
