package io.qrvoucher.bench;

import java.util.Map;

import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import io.qrvoucher.voucher.app.VoucherStreamsProperties;

/**
 * What the topology benchmark runs beside the voucher topology, configured alike from voucher-streams'
 * own properties: the least any stateful exactly-once application does — read a record, one store get
 * and put, write it on.
 */
final class StreamsApps {

    static final String BASELINE_STORE = "baseline-store";

    private StreamsApps() {
    }

    /** voucher-streams' properties as the service binds them, defaults and all, with {@code overrides}. */
    static VoucherStreamsProperties voucherProperties(Map<String, String> overrides) {
        return new Binder(new MapConfigurationPropertySource(overrides))
                .bindOrCreate("voucher", VoucherStreamsProperties.class);
    }

    static Topology baselineTopology(String input, String output) {
        Topology topology = new Topology();
        topology.addSource("baseline-source", new ByteArrayDeserializer(), new ByteArrayDeserializer(), input);
        topology.addProcessor("get-and-put", GetAndPut::new, "baseline-source");
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(BASELINE_STORE),
                Serdes.Bytes(), Serdes.ByteArray()), "get-and-put");
        topology.addSink("baseline-sink", output, new ByteArraySerializer(), new ByteArraySerializer(), "get-and-put");
        return topology;
    }

    /** Reads what the key held, keeps the new value, and passes the record on. */
    private static final class GetAndPut implements Processor<byte[], byte[], byte[], byte[]> {

        private ProcessorContext<byte[], byte[]> context;
        private KeyValueStore<Bytes, byte[]> store;

        @Override
        public void init(ProcessorContext<byte[], byte[]> context) {
            this.context = context;
            this.store = context.getStateStore(BASELINE_STORE);
        }

        @Override
        public void process(Record<byte[], byte[]> record) {
            Bytes key = Bytes.wrap(record.key());
            store.get(key);
            store.put(key, record.value());
            context.forward(record);
        }
    }
}
