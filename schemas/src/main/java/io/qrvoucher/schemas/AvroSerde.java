package io.qrvoucher.schemas;

import java.io.IOException;
import java.io.UncheckedIOException;

import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for a generated Avro class in Avro's single-object encoding: every value starts with
 * the two marker bytes {@code C3 01} and the 64-bit fingerprint of the schema it was written with.
 * The reader looks that fingerprint up among the current schema and every historical one of the
 * record (see {@link SchemaHistory}) and resolves the old schema against the current one, so that
 * producers and consumers can be upgraded one at a time.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {

    static {
        TrustedPackages.ensureTrusted();
    }

    private final Class<T> type;
    private final BinaryMessageEncoder<T> encoder;
    private final BinaryMessageDecoder<T> decoder;

    private AvroSerde(Class<T> type) {
        this.type = type;
        SpecificData model = SpecificData.getForClass(type);
        Schema current = model.getSchema(type);
        this.encoder = new BinaryMessageEncoder<>(model, current);
        this.decoder = new BinaryMessageDecoder<>(model, current, SchemaHistory.storeFor(current));
    }

    public static <T extends SpecificRecord> AvroSerde<T> of(Class<T> type) {
        return new AvroSerde<>(type);
    }

    public byte[] encode(T value) {
        try {
            return encoder.encode(value).array();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Decodes a value, or throws {@link SerializationException} saying why it cannot be read. */
    public T decode(byte[] bytes) {
        if (bytes == null) {
            throw new SerializationException("No value: a " + type.getSimpleName() + " was expected");
        }
        try {
            return decoder.decode(bytes);
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("Not a readable " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, value) -> value == null ? null : encode(value);
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, bytes) -> bytes == null ? null : decode(bytes);
    }
}
