package io.qrvoucher.voucher.streams;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import io.qrvoucher.avro.CustomerSettings;

/**
 * Carries settings over from before voucher-streams owned them, when the ingress wrote them whole to
 * the compacted {@code customer-settings} topic: a customer's settings from there are taken only while
 * the store has none, so a change merged since always wins. Nothing writes that topic any more, and it was never
 * sealed: its records reach this processor only with {@code voucher.adopt-legacy-settings} (an upgrade from such
 * a release). Once every deployment has read it, this source can go.
 */
final class LegacySettingsAdopter implements Processor<String, CustomerSettings, Void, Void> {

    private KeyValueStore<String, byte[]> store;

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.store = context.getStateStore(VoucherTopology.CUSTOMER_SETTINGS_STORE);
    }

    @Override
    public void process(Record<String, CustomerSettings> record) {
        if (store.get(record.key()) == null) {
            store.put(record.key(), CustomerSettingsProcessor.SETTINGS.encode(record.value()));
        }
    }
}
