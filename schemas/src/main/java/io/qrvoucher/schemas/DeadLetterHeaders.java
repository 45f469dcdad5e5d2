package io.qrvoucher.schemas;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Headers of a record on a dead-letter topic, the same for every service. The record keeps its
 * original key and value bytes, so that it can be replayed to its source topic once whatever wrote
 * it is fixed.
 */
public final class DeadLetterHeaders {

    /** Why the record could not be processed, for a person. */
    public static final String REASON = "dlt.reason";
    /** The class of the exception that refused it. */
    public static final String EXCEPTION = "dlt.exception";
    public static final String SOURCE_TOPIC = "dlt.source.topic";
    public static final String SOURCE_PARTITION = "dlt.source.partition";
    public static final String SOURCE_OFFSET = "dlt.source.offset";

    /**
     * The most of a reason kept, in UTF-16 units. A reason may quote what was refused (a key of hundreds of kilobytes
     * that is not its record's id): kept whole, it made the dead letter twice its record, past what the producer sends,
     * and the refused record stopped its partition instead of leaving it.
     */
    static final int MAX_REASON_LENGTH = 1_000;

    private DeadLetterHeaders() {
    }

    /**
     * {@code original} with the dlt.* headers saying why the record at {@code topic}-{@code partition}@{@code offset}
     * could not be processed.
     */
    public static Headers describe(Headers original, String topic, int partition, long offset, Throwable cause) {
        Headers headers = new RecordHeaders(original.toArray());
        set(headers, REASON, shortened(cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage()));
        set(headers, EXCEPTION, cause.getClass().getName());
        set(headers, SOURCE_TOPIC, topic);
        set(headers, SOURCE_PARTITION, Integer.toString(partition));
        set(headers, SOURCE_OFFSET, Long.toString(offset));
        return headers;
    }

    private static String shortened(String reason) {
        if (reason.length() <= MAX_REASON_LENGTH) {
            return reason;
        }
        int end = Character.isHighSurrogate(reason.charAt(MAX_REASON_LENGTH - 1)) ? MAX_REASON_LENGTH - 1 : MAX_REASON_LENGTH;
        return reason.substring(0, end) + "… (" + reason.length() + " characters in all)";
    }

    private static void set(Headers headers, String name, String value) {
        headers.remove(name);
        headers.add(name, value.getBytes(StandardCharsets.UTF_8));
    }
}
