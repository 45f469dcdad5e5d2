package io.qrvoucher.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.qrvoucher.avro.CustomerSettings;
import io.qrvoucher.avro.LedgerCommand;
import io.qrvoucher.avro.RedemptionMode;
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
    void aFieldAddedSinceTheWritersVersionTakesItsDefault() throws IOException {
        Schema v1 = SchemaHistory.versionsBefore("io.qrvoucher.avro.CustomerSettings").get(0);
        GenericRecord old = new GenericData.Record(v1);
        old.put("customerId", "alice");
        old.put("redemptionMode", new GenericData.EnumSymbol(v1.getField("redemptionMode").schema(), "REDEEM_ON_SCAN"));
        old.put("stepUpPolicy", new GenericData.EnumSymbol(v1.getField("stepUpPolicy").schema(), "EVERY_TIME"));
        old.put("stepUpConfirmed", true);
        old.put("version", 3L);
        old.put("updatedAt", 1_764_000_000_000L);
        byte[] writtenByOldProducer = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old).array();

        CustomerSettings read = AvroSerde.of(CustomerSettings.class).decode(writtenByOldProducer);

        assertThat(read.getRedemptionMode()).isEqualTo(RedemptionMode.REDEEM_ON_SCAN);
        assertThat(read.getVersion()).isEqualTo(3L);
        assertThat(read.getChangeOffset()).as("changeOffset, added in v2, takes its default").isEqualTo(-1L);
    }

    @ParameterizedTest(name = "v{0}")
    @ValueSource(ints = {1, 2})
    void readsAnEventWrittenBeforeThePublicViewWithoutItsCodeHash(int version) throws IOException {
        Schema old = SchemaHistory.versionsBefore("io.qrvoucher.avro.VoucherEvent").get(version - 1);
        Schema state = old.getField("voucher").schema().getTypes().get(1);
        GenericRecord voucher = new GenericData.Record(state);
        voucher.put("voucherId", "v-1");
        voucher.put("payerCustomerId", "alice");
        voucher.put("accountId", "alice-cny");
        voucher.put("faceValueMinor", 100_00L);
        voucher.put("currency", "CNY");
        voucher.put("codeHash", "ab".repeat(32));
        voucher.put("status", new GenericData.EnumSymbol(state.getField("status").schema(), "UNUSED"));
        voucher.put("holdState", new GenericData.EnumSymbol(state.getField("holdState").schema(), "HELD"));
        voucher.put("createdAt", 1_764_000_000_000L);
        voucher.put("expiresAt", 1_764_000_000_000L);
        voucher.put("updatedAt", 1_764_000_000_000L);
        voucher.put("version", 2L);
        voucher.put("generateRequestId", "g-1");
        GenericRecord event = new GenericData.Record(old);
        event.put("eventId", "v-1/v2");
        event.put("voucherId", "v-1");
        event.put("type", new GenericData.EnumSymbol(old.getField("type").schema(), "ISSUED"));
        event.put("occurredAt", 1_764_000_000_000L);
        event.put("requestId", "r-1");
        event.put("voucher", voucher);
        byte[] writtenByOldProducer = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), old).encode(event).array();

        VoucherEvent read = events.decode(writtenByOldProducer);

        assertThat(read.getType()).isEqualTo(VoucherEventType.ISSUED);
        assertThat(read.getOccurredAt()).isEqualTo(Instant.ofEpochMilli(1_764_000_000_000L));
        assertThat(read.getRequestId()).isEqualTo("r-1");
        assertThat(read.getVoucher().getVoucherId()).isEqualTo("v-1");
        assertThat(read.getVoucher().getFaceValueMinor()).isEqualTo(100_00L);
        assertThat(read.getVoucher().getSchema().getField("codeHash")).isNull();
    }

    @Test
    void refusesAnEventItCouldResolveWhenItsSchemaIsNotInTheHistory() throws IOException {
        Schema neverShipped;
        try (InputStream in = getClass().getResourceAsStream("/schema-fixtures/VoucherEvent-never-shipped.avsc")) {
            neverShipped = new Schema.Parser().parse(in);
        }
        GenericRecord event = new GenericData.Record(neverShipped);
        event.put("eventId", "e-1");
        event.put("voucherId", "v-1");
        event.put("type", new GenericData.EnumSymbol(neverShipped.getField("type").schema(), "ISSUED"));
        event.put("occurredAt", 1_764_000_000_000L);
        byte[] bytes = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), neverShipped).encode(event).array();

        // Compatibility alone does not make a value readable: only the writer's fingerprint travels
        // with it, so a reader must have the writer's schema itself (current or in its history).
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(VoucherEvent.getClassSchema(), neverShipped).getType())
                .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        assertThatThrownBy(() -> events.decode(bytes))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("VoucherEvent");
    }

    @Test
    void noRecordOnThePublicTopicCarriesAnythingDerivedFromTheBearerCode() {
        assertThat(fieldNames(VoucherEvent.getClassSchema(), new java.util.HashSet<>()))
                .noneMatch(name -> name.toLowerCase(java.util.Locale.ROOT).contains("code"));
    }

    @Test
    void anEventTypeNewerThanTheReadersSchemaIsReadAsUnknown() throws IOException {
        Schema newer = new Schema.Parser().parse(VoucherEvent.getClassSchema().toString()
                .replace("\"UNKNOWN\"]", "\"UNKNOWN\", \"FROM_THE_FUTURE\"]"));
        GenericRecord future = new GenericData.Record(newer);
        future.put("eventId", "v-1/v9");
        future.put("voucherId", "v-1");
        future.put("type", new GenericData.EnumSymbol(newer.getField("type").schema(), "FROM_THE_FUTURE"));
        future.put("occurredAt", 1_764_000_000_000L);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        org.apache.avro.io.BinaryEncoder encoder = org.apache.avro.io.EncoderFactory.get().binaryEncoder(bytes, null);
        new org.apache.avro.generic.GenericDatumWriter<GenericRecord>(newer).write(future, encoder);
        encoder.flush();

        VoucherEvent read = new org.apache.avro.specific.SpecificDatumReader<VoucherEvent>(newer, VoucherEvent.getClassSchema())
                .read(null, org.apache.avro.io.DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));

        assertThat(read.getType()).isEqualTo(VoucherEventType.UNKNOWN);
    }

    private static java.util.Set<String> fieldNames(Schema schema, java.util.Set<Schema> seen) {
        java.util.Set<String> names = new java.util.HashSet<>();
        if (!seen.add(schema)) {
            return names;
        }
        switch (schema.getType()) {
            case RECORD -> schema.getFields().forEach(field -> {
                names.add(field.name());
                names.addAll(fieldNames(field.schema(), seen));
            });
            case UNION -> schema.getTypes().forEach(type -> names.addAll(fieldNames(type, seen)));
            case ARRAY -> names.addAll(fieldNames(schema.getElementType(), seen));
            case MAP -> names.addAll(fieldNames(schema.getValueType(), seen));
            default -> { }
        }
        return names;
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
}
