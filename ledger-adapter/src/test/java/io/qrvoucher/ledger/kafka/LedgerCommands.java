package io.qrvoucher.ledger.kafka;

import java.time.Instant;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import io.qrvoucher.avro.LedgerCommand;
import io.qrvoucher.schemas.AvroSerde;

/** Ledger commands as the topology sends them, for tests that drive a running adapter. */
final class LedgerCommands {

    private LedgerCommands() {
    }

    /** Sends the command {@code <voucherId><suffix>} (a suffix such as {@code /freeze}) and waits until it is sent. */
    static void send(KafkaProducer<String, byte[]> producer, String voucherId, Object body, String suffix) {
        producer.send(new ProducerRecord<>("ledger-commands", voucherId, AvroSerde.of(LedgerCommand.class)
                .encode(new LedgerCommand(voucherId + suffix, voucherId, Instant.now(), body))));
        producer.flush();
    }
}
