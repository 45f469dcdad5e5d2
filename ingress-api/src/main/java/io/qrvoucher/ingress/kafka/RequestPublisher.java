package io.qrvoucher.ingress.kafka;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.tracing.Span;
import io.qrvoucher.avro.CustomerAttempt;
import io.qrvoucher.avro.IdempotencyClaim;
import io.qrvoucher.avro.SettingsChange;
import io.qrvoucher.avro.VoucherRequest;
import io.qrvoucher.ingress.IngressProperties;
import io.qrvoucher.ingress.RequestTraces;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.schemas.VoucherRules;
import io.qrvoucher.support.KafkaConnection;
import io.qrvoucher.support.KafkaTracing;
import io.qrvoucher.support.RequestSignatures;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Publishes what the ingress writes, with an idempotent producer that waits for all in-sync
 * replicas. A publish completes only when the broker acknowledged it; otherwise it fails with
 * {@link NotPublishedException}, which the API answers with a status the client may retry. As a
 * {@link MeterBinder} it puts the producer's own metrics ({@code kafka_producer_*}) in the service's.
 */
public class RequestPublisher implements MeterBinder, AutoCloseable {

    private static final AvroSerde<VoucherRequest> REQUESTS = AvroSerde.of(VoucherRequest.class);
    private static final AvroSerde<SettingsChange> SETTINGS_CHANGES = AvroSerde.of(SettingsChange.class);
    private static final AvroSerde<IdempotencyClaim> CLAIMS = AvroSerde.of(IdempotencyClaim.class);
    private static final AvroSerde<CustomerAttempt> ATTEMPTS = AvroSerde.of(CustomerAttempt.class);

    private static final Duration METADATA_KEPT_UNUSED = Duration.ofDays(365);
    // A keyed step sends twice, one after the other (its claim, then its request): a longer linger delays both, and
    // a step that then misses a commit of the topology waits the next (5 ms: light-load p50 58 -> 83 ms,
    // docs/benchmarks.md, fifteenth race).
    private static final Duration LINGER = Duration.ofMillis(1);

    private final KafkaProducer<String, byte[]> producer;
    private final KafkaClientMetrics producerMetrics;
    private final IngressProperties properties;
    private final RequestSignatures signatures;
    private final KafkaTracing tracing;
    private final Map<String, Integer> partitionCounts = new ConcurrentHashMap<>();

    /**
     * @param connection the cluster, with its security settings: the producer writes as the ingress's principal
     * @param tracing    how a record sent joins the trace of the request it serves
     */
    public RequestPublisher(IngressProperties properties, KafkaConnection connection, KafkaTracing tracing) {
        this.properties = properties;
        this.tracing = tracing;
        this.signatures = new RequestSignatures(properties.requestSigning().keyId(), properties.requestSigning().keys());
        long timeout = properties.limits().publishTimeout().toMillis();
        this.producer = new KafkaProducer<>(connection.with(Map.of(
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, (int) LINGER.toMillis(),
                ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout,
                // The least the producer takes (it insists on room for the linger and one request).
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) (timeout + LINGER.toMillis()),
                // A topic's metadata, once fetched, is kept through a year unused, so that send() does not block.
                // (The producer adds this to the time now: Long.MAX_VALUE would overflow and drop it at once.)
                ProducerConfig.METADATA_MAX_IDLE_CONFIG, METADATA_KEPT_UNUSED.toMillis())),
                new StringSerializer(), new ByteArraySerializer());
        this.producerMetrics = new KafkaClientMetrics(producer);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        producerMetrics.bindTo(registry);
    }

    /** A voucher request, keyed by its voucher id. */
    public Mono<RecordMetadata> publish(VoucherRequest request) {
        return send(properties.topics().requests(), request.getVoucherId(), REQUESTS.encode(request));
    }

    /** A change of a customer's settings, keyed by the customer: voucher-streams merges them in order. */
    public Mono<RecordMetadata> publish(SettingsChange change) {
        return send(properties.topics().settingsChanges(), change.getCustomerId(), SETTINGS_CHANGES.encode(change));
    }

    /** A claim of an idempotency key, keyed by customer and key so that all claims of a key share a partition. */
    public Mono<RecordMetadata> publish(IdempotencyClaim claim) {
        return send(properties.topics().idempotency(), VoucherRules.claimKey(claim.getCustomerId(), claim.getIdempotencyKey()),
                CLAIMS.encode(claim));
    }

    /** An attempt the abuse limits count, keyed by the customer: voucher-streams keeps the customer's recent ones. */
    public Mono<RecordMetadata> publish(CustomerAttempt attempt) {
        return send(properties.topics().customerAttempts(), attempt.getCustomerId(), ATTEMPTS.encode(attempt));
    }

    /**
     * How many partitions a topic has: from the producer's metadata, fetched once (off the caller's thread, since
     * fetching blocks) and then kept for the life of the instance. The topics read by key keep their counts once in use
     * (architecture.md): with more, what was written under a key would be looked for in another partition.
     */
    public Mono<Integer> partitionCount(String topic) {
        Integer known = partitionCounts.get(topic);
        if (known != null) {
            return Mono.just(known);
        }
        return Mono.fromCallable(() -> partitionCounts.computeIfAbsent(topic, name -> producer.partitionsFor(name).size()))
                .subscribeOn(Schedulers.boundedElastic()); // partitionsFor() blocks until it has the metadata
    }

    /**
     * Sends sealed, on the caller's thread, an event loop as a rule: {@code send()} blocks only while the topic's
     * metadata is missing, and {@link #partitionCount} has fetched it before, elsewhere, once. A hop to another thread
     * for every send would cost a thread wake-up a request. voucher-streams applies no record the ingress did not
     * seal: a leaked credential that writes these topics can neither send requests nor weaken a customer's settings,
     * take their Idempotency-Keys or lock them out with made-up failed attempts.
     */
    private Mono<RecordMetadata> send(String topic, String key, byte[] value) {
        return partitionCount(topic).onErrorMap(NotPublishedException::new)
                .then(Mono.deferContextual(context -> Mono.<RecordMetadata>create(sink -> {
                    ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, key, value);
                    signatures.sign(record.headers(), key, value);
                    Span sending = RequestTraces.within(context, () -> tracing.sending(topic + " send", record.headers()));
                    try {
                        producer.send(record, (metadata, error) -> {
                            if (error == null) {
                                sending.end();
                                sink.success(metadata);
                            } else {
                                sending.error(error).end();
                                sink.error(new NotPublishedException(error));
                            }
                        });
                    } catch (RuntimeException e) {
                        sending.error(e).end();
                        sink.error(new NotPublishedException(e));
                    }
                })));
    }

    @Override
    public void close() {
        producerMetrics.close();
        producer.close();
    }

    /**
     * The broker did not acknowledge a record. As a rule nothing was written, but a send that timed out may have been
     * appended all the same: a client that sent an Idempotency-Key sends it again with that key, which makes it the same
     * request; one that sent none is told to look before sending it again.
     */
    public static class NotPublishedException extends RuntimeException {
        public NotPublishedException(Throwable cause) {
            super("The request could not be recorded: " + cause.getMessage(), cause);
        }
    }
}
