package io.qrvoucher.voucher.streams;

import org.apache.kafka.common.header.Headers;

/**
 * How the topology's work joins the trace of the request it serves, without knowing the tracer: the
 * handling of an input continues the trace its headers carry, and every record written for it carries
 * the handling on as its parent. {@link #NONE} traces nothing.
 */
@FunctionalInterface
public interface RecordTracing {

    RecordTracing NONE = (name, input) -> Handling.NONE;

    /** The handling of one input record, started now. */
    Handling handle(String name, Headers input);

    /** One input's handling: ended by {@link #close()}. */
    interface Handling extends AutoCloseable {

        Handling NONE = new Handling() {
            @Override
            public void carryOn(Headers output) {
            }

            @Override
            public void close() {
            }
        };

        /** Marks a record written for this input as part of its trace. */
        void carryOn(Headers output);

        @Override
        void close();
    }
}
