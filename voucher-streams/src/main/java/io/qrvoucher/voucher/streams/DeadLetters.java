package io.qrvoucher.voucher.streams;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * The headers of a record sent to the dead-letter topic. The key and value are the original bytes,
 * so that the record can be replayed once whatever wrote it is fixed.
 */
public final class DeadLetters {

    public static final String REASON = "dlt.reason";
    public static final String EXCEPTION = "dlt.exception";
    public static final String SOURCE_TOPIC = "dlt.source.topic";
    public static final String SOURCE_PARTITION = "dlt.source.partition";
    public static final String SOURCE_OFFSET = "dlt.source.offset";

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
