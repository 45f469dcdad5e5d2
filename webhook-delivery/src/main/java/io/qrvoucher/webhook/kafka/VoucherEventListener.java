package io.qrvoucher.webhook.kafka;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.transaction.support.TransactionTemplate;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;

import io.qrvoucher.avro.VoucherEvent;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.support.RecordObservations;
import io.qrvoucher.webhook.core.Recipients;
import io.qrvoucher.webhook.dispatch.DeliveryTraces;
import io.qrvoucher.webhook.core.WebhookPayload;
import io.qrvoucher.webhook.store.WebhookStore;
import tools.jackson.databind.ObjectMapper;

/**
 * Reads {@code voucher-events} in the group {@code webhook-delivery} (the instances share its partitions) and
 * records, for each event, a delivery to every endpoint of the voucher's payer and payee that subscribes to the
 * event's type. A poll's deliveries are committed in one transaction before its offsets: a crash in between
 * reads the events again, and they are recorded once per endpoint. The body is rendered here, once, so that a
 * retry and a resend send the same bytes, and only for an event some endpoint subscribes to: the subscriptions
 * of a poll's parties are read first, in one query. An endpoint registered meanwhile gets the events of the
 * polls after its registration.
 * <p>
 * An event that cannot be read is not skipped: the poll fails and is retried (with backoff, logged) until the
 * service can read it — an upgrade, since the reader must know every schema the topology writes with. Skipping
 * would lose the event for its customers; the consumer waits instead — all the partitions it holds, for a batch is
 * retried whole (with {@code webhook.listener-concurrency} 1, all of the instance's) — and each voucher's order holds.
 * <p>
 * Each event that some endpoint subscribes to is a span of the trace its record carries, ended when its deliveries
 * are committed (the events of a poll share that transaction, so their spans overlap); the events nobody subscribes
 * to are not traced. Its deliveries keep that span's context, so that their attempts are spans of the same trace
 * ({@link DeliveryTraces}).
 */
public class VoucherEventListener {

    private static final String ID = "webhook-delivery";
    private static final AvroSerde<VoucherEvent> EVENTS = AvroSerde.of(VoucherEvent.class);

    private final WebhookStore store;
    private final TransactionTemplate transactions;
    private final ObjectMapper json;
    private final Clock clock;
    private final ObservationRegistry observations;
    private final DeliveryTraces traces;

    public VoucherEventListener(WebhookStore store, TransactionTemplate transactions, ObjectMapper json, Clock clock,
                                ObservationRegistry observations, DeliveryTraces traces) {
        this.store = store;
        this.transactions = transactions;
        this.json = json;
        this.clock = clock;
        this.observations = observations;
        this.traces = traces;
    }

    /** The consumer group is {@code spring.kafka.consumer.group-id}. */
    @KafkaListener(id = ID, idIsGroup = false, batch = "true",
            topics = "${webhook.topics.voucher-events:" + io.qrvoucher.schemas.Topics.VOUCHER_EVENTS + "}",
            concurrency = "${webhook.listener-concurrency:1}")
    public void onEvents(List<ConsumerRecord<String, byte[]>> records) {
        List<Observation> traced = new ArrayList<>();
        try {
            record(records, traced);
        } catch (RuntimeException e) {
            traced.forEach(observation -> observation.error(e));
            throw e;
        } finally {
            traced.forEach(Observation::stop);
        }
    }

    /** Records the poll's deliveries; {@code traced} gets a started observation for each event that has some. */
    private void record(List<ConsumerRecord<String, byte[]>> records, List<Observation> traced) {
        List<VoucherEvent> events = records.stream().map(record -> EVENTS.decode(record.value())).toList();
        // Most customers have no endpoint: one read of the poll's parties' subscriptions spares a payload and a
        // statement for every party of every event.
        Map<String, Set<String>> subscribed = store.subscriptionsOf(events.stream()
                .flatMap(event -> Recipients.of(event).stream())
                .map(Recipients.Recipient::customerId)
                .collect(Collectors.toSet()));
        List<WebhookStore.NewDelivery> deliveries = new ArrayList<>();
        for (int index = 0; index < events.size(); index++) {
            VoucherEvent event = events.get(index);
            List<Recipients.Recipient> recipients = Recipients.of(event).stream()
                    .filter(recipient -> subscribed.getOrDefault(recipient.customerId(), Set.of())
                            .contains(event.getType().name()))
                    .toList();
            if (recipients.isEmpty()) {
                continue;
            }
            Observation recording = RecordObservations.handling(records.get(index), ID, observations).start();
            traced.add(recording);
            String traceContext;
            try (Observation.Scope scope = recording.openScope()) {
                traceContext = traces.current();
            }
            for (Recipients.Recipient recipient : recipients) {
                deliveries.add(new WebhookStore.NewDelivery(recipient.customerId(), event.getEventId(),
                        event.getType().name(), event.getVoucherId(),
                        json.writeValueAsBytes(WebhookPayload.of(event, recipient)), traceContext));
            }
        }
        if (!deliveries.isEmpty()) {
            transactions.executeWithoutResult(status -> store.record(deliveries, clock.instant()));
        }
    }
}
