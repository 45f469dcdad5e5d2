package io.qrvoucher.voucher.streams;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps the customer-vouchers store equal to its topic: the store is read-only to everything else and
 * restored from the topic itself, which is compacted, so it needs no changelog of its own.
 */
final class CustomerVoucherIndexer implements Processor<String, byte[], Void, Void> {

    private KeyValueStore<String, byte[]> store;

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(VoucherTopology.CUSTOMER_VOUCHERS_STORE);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        store.put(record.key(), record.value());
    }
}
