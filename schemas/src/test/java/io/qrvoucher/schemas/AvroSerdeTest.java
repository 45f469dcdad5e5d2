package io.qrvoucher.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

import io.qrvoucher.avro.LedgerCommand;
import io.qrvoucher.avro.ReleaseFunds;
import io.qrvoucher.avro.VoucherEvent;
import io.qrvoucher.avro.VoucherEventType;

class AvroSerdeTest {

    private final AvroSerde<VoucherEvent> events = AvroSerde.of(VoucherEvent.class);

    @Test
    void roundTripsAGeneratedRecord() {
        LedgerCommand command = LedgerCommand.newBuilder()
                .setCommandId("v-1/release")
                .setVoucherId("v-1")
                .setIssuedAt(Instant.parse("2026-11-26T10:15:30Z"))
                .setBody(new ReleaseFunds())
                .build();
        AvroSerde<LedgerCommand> serde = AvroSerde.of(LedgerCommand.class);

        assertThat(serde.decode(serde.encode(command))).isEqualTo(command);
    }

    @Test
    void readsARecordWrittenWithAnOlderSchemaVersion() throws IOException {
        Schema v1 = historical("io.qrvoucher.avro.VoucherEvent-v1.avsc");
        GenericRecord old = new GenericData.Record(v1);
        old.put("eventId", "e-1");
        old.put("voucherId", "v-1");
        old.put("type", new GenericData.EnumSymbol(v1.getField("type").schema(), "ISSUED"));
        old.put("occurredAt", 1_764_000_000_000L);
        old.put("requestId", "r-1");
        byte[] writtenByOldProducer = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old).array();

        VoucherEvent read = events.decode(writtenByOldProducer);

        assertThat(read.getEventId()).isEqualTo("e-1");
        assertThat(read.getType()).isEqualTo(VoucherEventType.ISSUED);
        assertThat(read.getOccurredAt()).isEqualTo(Instant.ofEpochMilli(1_764_000_000_000L));
        assertThat(read.getRequestId()).isEqualTo("r-1");
        assertThat(read.getCustomerId()).as("field added after v1 takes its default").isNull();
        assertThat(read.getVoucher()).isNull();
    }

    @Test
    void refusesAValueWrittenWithAnUnknownSchema() {
        Schema unknown = new Schema.Parser().parse("""
                {"type": "record", "name": "Stranger", "fields": [{"name": "x", "type": "int"}]}""");
        GenericRecord stranger = new GenericData.Record(unknown);
        stranger.put("x", 1);
        byte[] bytes;
        try {
            bytes = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), unknown).encode(stranger).array();
        } catch (IOException e) {
            throw new AssertionError(e);
        }

        assertThatThrownBy(() -> events.decode(bytes))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("VoucherEvent");
    }

    @Test
    void refusesBytesThatAreNotSingleObjectEncoded() {
        assertThatThrownBy(() -> events.decode("{\"not\":\"avro\"}".getBytes()))
                .isInstanceOf(SerializationException.class);
        assertThatThrownBy(() -> events.decode(null))
                .isInstanceOf(SerializationException.class);
    }

    private static Schema historical(String name) throws IOException {
        try (InputStream in = AvroSerdeTest.class.getClassLoader().getResourceAsStream("avro-history/" + name)) {
            return new Schema.Parser().parse(in);
        }
    }
}
