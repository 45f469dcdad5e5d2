package io.qrvoucher.voucher.streams;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import static io.qrvoucher.schemas.DeadLetterHeaders.EXCEPTION;
import static io.qrvoucher.schemas.DeadLetterHeaders.REASON;
import static io.qrvoucher.schemas.DeadLetterHeaders.SOURCE_OFFSET;
import static io.qrvoucher.schemas.DeadLetterHeaders.SOURCE_PARTITION;
import static io.qrvoucher.schemas.DeadLetterHeaders.SOURCE_TOPIC;

/** Builds the {@link io.qrvoucher.schemas.DeadLetterHeaders} of a record the topology cannot read. */
final class DeadLetters {

    private DeadLetters() {
    }

    static Headers headers(Headers original, RecordMetadata source, Exception cause) {
        Headers headers = new RecordHeaders(original.toArray());
        add(headers, REASON, cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
        add(headers, EXCEPTION, cause.getClass().getName());
        add(headers, SOURCE_TOPIC, source.topic());
        add(headers, SOURCE_PARTITION, Integer.toString(source.partition()));
        add(headers, SOURCE_OFFSET, Long.toString(source.offset()));
        return headers;
    }

    private static void add(Headers headers, String name, String value) {
        headers.remove(name);
        headers.add(name, value.getBytes(StandardCharsets.UTF_8));
    }
}
