package io.qrvoucher.support;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.kafka.support.micrometer.KafkaListenerObservation;
import org.springframework.kafka.support.micrometer.KafkaListenerObservation.DefaultKafkaListenerObservationConvention;
import org.springframework.kafka.support.micrometer.KafkaRecordReceiverContext;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;

/**
 * For batch listeners that handle their records one by one: the observation spring-kafka makes of a record
 * listener's record (it makes none for a batch), continuing the trace the record's headers carry.
 */
public final class RecordObservations {

    private RecordObservations() {
    }

    /** The handling of {@code record} by the listener {@code listenerId}, not started yet. */
    public static Observation handling(ConsumerRecord<?, ?> record, String listenerId, ObservationRegistry registry) {
        return KafkaListenerObservation.LISTENER_OBSERVATION.observation(null,
                DefaultKafkaListenerObservationConvention.INSTANCE,
                () -> new KafkaRecordReceiverContext(record, listenerId, () -> null), registry);
    }
}
