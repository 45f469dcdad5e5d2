package io.qrvoucher.voucher.streams;

/** Names of the topology's own Kafka Streams metrics, for whoever reads them. */
public final class TopologyMetricNames {

    public static final String GROUP = "voucher-topology-metrics";
    public static final String ENTRIES_READ_TOTAL = "expiry-index-entries-read-total";
    public static final String EXPIRED_TOTAL = "vouchers-expired-total";
    public static final String EVENTS_TOTAL = "voucher-events-total";
    public static final String PUNCTUATION_MAX = "expiry-punctuation-duration-ns-max";

    private TopologyMetricNames() {
    }
}
