package io.qrvoucher.support;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.common.utils.Utils;

/**
 * The partition Kafka's default partitioner gives a string key: a producer that publishes a voucher's
 * request and a reader that looks for the task owning that voucher compute the same number.
 */
public final class KeyPartitions {

    private KeyPartitions() {
    }

    public static int of(String key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }
}
