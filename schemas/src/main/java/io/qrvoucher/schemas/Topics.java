package io.qrvoucher.schemas;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.avro.specific.SpecificRecord;

import io.qrvoucher.avro.AccountSnapshot;
import io.qrvoucher.avro.CustomerAttempt;
import io.qrvoucher.avro.CustomerSettings;
import io.qrvoucher.avro.IdempotencyClaim;
import io.qrvoucher.avro.LedgerCommand;
import io.qrvoucher.avro.LedgerResult;
import io.qrvoucher.avro.SettingsChange;
import io.qrvoucher.avro.VoucherEvent;
import io.qrvoucher.avro.VoucherRequest;
import io.qrvoucher.avro.VoucherState;

/**
 * Every topic of the pipeline, defined once: its name, what its records are keyed by, the record its
 * values are, how it is cleaned up, and which topics must have as many partitions as it. The services'
 * defaults name these constants, the launcher creates the topics from {@link #ALL}, and tests hold
 * compose's and Kubernetes' topic definitions to it. (Kafka Streams' own changelogs, named
 * {@code voucher-streams-<store>-changelog}, are not listed: the application creates them.)
 */
public final class Topics {

    public static final String VOUCHER_REQUESTS = "voucher-requests";
    public static final String LEDGER_RESULTS = "ledger-results";
    public static final String LEDGER_COMMANDS = "ledger-commands";
    public static final String VOUCHER_EVENTS = "voucher-events";
    public static final String CUSTOMER_VOUCHERS = "customer-vouchers";
    public static final String ACCOUNT_SNAPSHOTS = "account-snapshots";
    public static final String CUSTOMER_SETTINGS = "customer-settings";
    public static final String SETTINGS_CHANGES = "settings-changes";
    public static final String INGRESS_IDEMPOTENCY = "ingress-idempotency";
    public static final String CUSTOMER_ATTEMPTS = "customer-attempts";
    public static final String VOUCHER_DEAD_LETTERS = "voucher-dead-letters";
    public static final String LEDGER_DEAD_LETTERS = "ledger-dead-letters";

    /** What a topic's records are keyed by: what decides their partition. */
    public enum Key {
        VOUCHER_ID,
        CUSTOMER_ID,
        /**
         * {@link VoucherRules#claimKey}: customer id, slash, Idempotency-Key (or {@code sign-in <sign-in>},
         * {@code step-up <key> <request id>} or {@code step-up-refused <key>})
         */
        CUSTOMER_AND_IDEMPOTENCY_KEY,
        /** customer, role, time and voucher id, partitioned by the customer alone */
        CUSTOMER_INDEX_ENTRY,
        ACCOUNT_ID,
        /** the key of the record that could not be processed, as it was */
        ORIGINAL
    }

    public enum Cleanup {
        DELETE,
        COMPACT
    }

    /**
     * @param value          the record every value is, single-object encoded; empty for dead letters, which
     *                       keep the bytes they could not read
     * @param retention      how long records are kept, where the topic's own rule needs it; empty for the
     *                       cluster's default
     * @param coPartitioning the name of the group of topics that must have the same partition count (their
     *                       records of one key are handled by one task); empty if none
     */
    public record Topic(String name, Key key, Optional<Class<? extends SpecificRecord>> value, Cleanup cleanup,
                        Optional<Duration> retention, Optional<String> coPartitioning) {
    }

    private static final String VOUCHER_INPUTS = "inputs of a voucher";
    private static final String CUSTOMER_SETTINGS_INPUTS = "inputs of a customer's settings";

    public static final List<Topic> ALL = List.of(
            topic(VOUCHER_REQUESTS, Key.VOUCHER_ID, VoucherRequest.class, Cleanup.DELETE, null, VOUCHER_INPUTS),
            topic(LEDGER_RESULTS, Key.VOUCHER_ID, LedgerResult.class, Cleanup.DELETE, null, VOUCHER_INPUTS),
            topic(LEDGER_COMMANDS, Key.VOUCHER_ID, LedgerCommand.class, Cleanup.DELETE, null, null),
            topic(VOUCHER_EVENTS, Key.VOUCHER_ID, VoucherEvent.class, Cleanup.DELETE, null, null),
            topic(CUSTOMER_VOUCHERS, Key.CUSTOMER_INDEX_ENTRY, VoucherState.class, Cleanup.COMPACT, null, null),
            topic(ACCOUNT_SNAPSHOTS, Key.ACCOUNT_ID, AccountSnapshot.class, Cleanup.COMPACT, null, null),
            topic(CUSTOMER_SETTINGS, Key.CUSTOMER_ID, CustomerSettings.class, Cleanup.COMPACT, null, CUSTOMER_SETTINGS_INPUTS),
            topic(SETTINGS_CHANGES, Key.CUSTOMER_ID, SettingsChange.class, Cleanup.DELETE, null, CUSTOMER_SETTINGS_INPUTS),
            // Never compacted: the first claim of a key must stay for the claim window.
            topic(INGRESS_IDEMPOTENCY, Key.CUSTOMER_AND_IDEMPOTENCY_KEY, IdempotencyClaim.class, Cleanup.DELETE,
                    Duration.ofDays(1), null),
            // voucher-streams keeps the attempts in a store with a changelog; the topic only carries them there.
            topic(CUSTOMER_ATTEMPTS, Key.CUSTOMER_ID, CustomerAttempt.class, Cleanup.DELETE, Duration.ofHours(1), null),
            topic(VOUCHER_DEAD_LETTERS, Key.ORIGINAL, null, Cleanup.DELETE, null, null),
            topic(LEDGER_DEAD_LETTERS, Key.ORIGINAL, null, Cleanup.DELETE, null, null));

    private Topics() {
    }

    public static List<String> names() {
        return ALL.stream().map(Topic::name).toList();
    }

    public static Topic named(String name) {
        return ALL.stream().filter(topic -> topic.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("No topic " + name + " in the pipeline"));
    }

    /** The groups of topics that must have the same partition count, each in the order of {@link #ALL}. */
    public static List<List<String>> coPartitioned() {
        Map<String, List<String>> groups = new LinkedHashMap<>();
        ALL.forEach(topic -> topic.coPartitioning()
                .ifPresent(group -> groups.computeIfAbsent(group, g -> new ArrayList<>()).add(topic.name())));
        return groups.values().stream().map(List::copyOf).toList();
    }

    private static Topic topic(String name, Key key, Class<? extends SpecificRecord> value, Cleanup cleanup,
                               Duration retention, String coPartitioning) {
        return new Topic(name, key, Optional.ofNullable(value), cleanup, Optional.ofNullable(retention),
                Optional.ofNullable(coPartitioning));
    }
}
