package io.qrvoucher.schemas;

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

    private DeadLetterHeaders() {
    }
}
