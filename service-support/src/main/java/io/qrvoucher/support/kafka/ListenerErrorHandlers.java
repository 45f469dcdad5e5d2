package io.qrvoucher.support.kafka;

import java.time.Duration;
import java.util.Map;

import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.util.backoff.ExponentialBackOff;

/** Error handlers of the services' spring-kafka listeners. */
public final class ListenerErrorHandlers {

    private ListenerErrorHandlers() {
    }

    /**
     * Retries a poll that failed without end, from {@code initialInterval} doubling up to {@code maxInterval} apart:
     * skipping would lose its records. Also for the failures Spring Kafka takes as fatal by default (a
     * {@code ClassCastException} anywhere in the cause, a conversion's), which it would log and skip.
     */
    public static DefaultErrorHandler retryingEveryFailure(Duration initialInterval, Duration maxInterval) {
        ExponentialBackOff backOff = new ExponentialBackOff(initialInterval.toMillis(), 2.0);
        backOff.setMaxInterval(maxInterval.toMillis());
        DefaultErrorHandler handler = new DefaultErrorHandler(backOff);
        handler.setClassifications(Map.of(), true);
        return handler;
    }
}
