package io.qrvoucher.voucher.streams;

import java.util.Optional;
import java.util.function.Function;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.schemas.DeadLetterHeaders;
import io.qrvoucher.support.StrictUtf8;

/**
 * Reads the raw bytes of an input topic. A record that is admitted (for customers' requests: sealed by
 * the ingress), decodes, and whose key is the id it names (a voucher's, or a customer's), goes on to
 * {@code next}; any other goes to the dead-letter sink with the reason, in the same transaction as the
 * input's offset, so it is neither lost nor processed.
 */
final class DecodingProcessor<A extends org.apache.avro.specific.SpecificRecord, V>
        implements Processor<byte[], byte[], Object, Object> {

    private static final Logger log = LoggerFactory.getLogger(DecodingProcessor.class);

    /** Why a record, as it was read, must not be processed at all; empty if it may be. */
    @FunctionalInterface
    interface Admission {
        Admission ANY = (record, key) -> Optional.empty();

        Optional<String> refusal(Record<byte[], byte[]> record, String key);
    }

    private final Admission admission;
    private final AvroSerde<A> serde;
    private final Function<A, String> idOf;
    private final Function<A, V> toDomain;
    private final String next;
    private final String deadLetterSink;
    private ProcessorContext<Object, Object> context;

    DecodingProcessor(AvroSerde<A> serde, Function<A, String> idOf, Function<A, V> toDomain, String next,
                      String deadLetterSink) {
        this(Admission.ANY, serde, idOf, toDomain, next, deadLetterSink);
    }

    DecodingProcessor(Admission admission, AvroSerde<A> serde, Function<A, String> idOf, Function<A, V> toDomain,
                      String next, String deadLetterSink) {
        this.admission = admission;
        this.serde = serde;
        this.idOf = idOf;
        this.toDomain = toDomain;
        this.next = next;
        this.deadLetterSink = deadLetterSink;
    }

    @Override
    public void init(ProcessorContext<Object, Object> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        V decoded;
        String key;
        try {
            // Strictly: bytes that are not UTF-8 would read as U+FFFD, so two keys of different bytes (and partitions)
            // would read, and be sealed, as one.
            key = record.key() == null ? null : StrictUtf8.decode(record.key())
                    .orElseThrow(() -> new SerializationException("The key is not UTF-8"));
            admission.refusal(record, key).ifPresent(reason -> {
                throw new SecurityException(reason);
            });
            A value = serde.decode(record.value());
            if (!idOf.apply(value).equals(key)) {
                throw new SerializationException("Key " + key + " is not the id "
                        + idOf.apply(value) + " of the value");
            }
            decoded = toDomain.apply(value);
        } catch (RuntimeException e) {
            context.recordMetadata().ifPresent(source -> {
                log.warn("Dead-lettering record {}-{}@{}: {}", source.topic(), source.partition(), source.offset(),
                        e.getMessage());
                context.forward(record.withHeaders(DeadLetterHeaders.describe(record.headers(), source.topic(),
                        source.partition(), source.offset(), e)), deadLetterSink);
            });
            return;
        }
        context.forward(record.withKey((Object) key).withValue((Object) decoded), next);
    }
}
