package io.qrvoucher.voucher.streams;

import java.time.Instant;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import io.qrvoucher.avro.CustomerSettings;
import io.qrvoucher.avro.SettingsChange;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.schemas.VoucherRules;

/**
 * The one writer of a customer's settings: merges each change into the customer's settings, one at a
 * time in the order of the customer's partition, so that two changes sent at once both keep their
 * fields.
 */
final class CustomerSettingsProcessor implements Processor<String, SettingsChange, Void, Void> {

    static final AvroSerde<CustomerSettings> SETTINGS = AvroSerde.of(CustomerSettings.class);

    private ProcessorContext<Void, Void> context;
    private KeyValueStore<String, byte[]> store;

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.context = context;
        this.store = context.getStateStore(VoucherTopology.CUSTOMER_SETTINGS_STORE);
    }

    @Override
    public void process(Record<String, SettingsChange> record) {
        SettingsChange change = record.value();
        long offset = context.recordMetadata().map(metadata -> metadata.offset()).orElse(-1L);
        byte[] known = store.get(change.getCustomerId());
        CustomerSettings current = known == null ? defaults(change.getCustomerId()) : SETTINGS.decode(known);
        store.put(change.getCustomerId(), SETTINGS.encode(merge(current, change, offset,
                Instant.ofEpochMilli(context.currentSystemTimeMs()))));
    }

    /**
     * The settings with the change's fields set; the first step-up is recorded once and stays. A change that would
     * weaken these settings, sent without a fresh sign-in, is not merged, nor anything sent with it: the ingress let it
     * through against the settings it read, a change merged since made them stronger, and the customer is told that
     * nothing changed (refused for step-up). It is still recorded as merged ({@code changeOffset}), for the ingress
     * waits for that.
     */
    static CustomerSettings merge(CustomerSettings current, SettingsChange change, long offset, Instant now) {
        CustomerSettings.Builder merged = CustomerSettings.newBuilder(current)
                .setVersion(current.getVersion() + 1)
                .setUpdatedAt(now)
                .setChangeOffset(offset);
        if (change.getConfirmedBySignInAt() == null
                && VoucherRules.weakens(current, change.getRedemptionMode(), change.getStepUpPolicy())) {
            return merged.build();
        }
        if (change.getDefaultGenerationAccountId() != null) {
            merged.setDefaultGenerationAccountId(change.getDefaultGenerationAccountId());
        }
        if (change.getDefaultRedemptionAccountId() != null) {
            merged.setDefaultRedemptionAccountId(change.getDefaultRedemptionAccountId());
        }
        if (change.getRedemptionMode() != null) {
            merged.setRedemptionMode(change.getRedemptionMode());
        }
        if (change.getStepUpPolicy() != null) {
            merged.setStepUpPolicy(change.getStepUpPolicy());
        }
        if (change.getFirstStepUpAt() != null && !current.getStepUpConfirmed()) {
            merged.setStepUpConfirmed(true).setLastStepUpAt(change.getFirstStepUpAt());
        }
        return merged.build();
    }

    static CustomerSettings defaults(String customerId) {
        return CustomerSettings.newBuilder().setCustomerId(customerId).setUpdatedAt(Instant.EPOCH).build();
    }
}
