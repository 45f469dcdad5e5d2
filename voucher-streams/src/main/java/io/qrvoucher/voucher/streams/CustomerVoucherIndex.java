package io.qrvoucher.voucher.streams;

import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.apache.kafka.streams.processor.StreamPartitioner;

import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.support.KeyPartitions;
import io.qrvoucher.voucher.domain.Voucher;

/**
 * The keys of the customer-vouchers index: every voucher once under its payer (by creation time) and,
 * once redeemed, once under its payee (by redemption time). A key is
 * {@code <customer> NUL <role> NUL <inverted time> NUL <voucher id>}, so that one customer's vouchers in
 * one role are one contiguous range of the store, newest first, and a time range is a sub-range: a list
 * is a range scan, never a full one. Entries are partitioned by customer alone, so that all of one
 * customer's vouchers are in one task.
 *
 * <p>An entry holds the voucher's state as it was listed. A voucher pending its freeze or being redeemed is listed so
 * only if that lasts a grace ({@link #listedAt}): the ledger answers nearly all within milliseconds, and the state its
 * answer leads to is listed at once in its place. Listed at once, those states were half of a redeemed voucher's
 * entries.
 */
public final class CustomerVoucherIndex {

    public enum Role {
        PAYER('P'), PAYEE('R');

        private final char tag;

        Role(char tag) {
            this.tag = tag;
        }
    }

    private static final char SEPARATOR = '\u0000';
    /** Sorts just after every key that starts with the same prefix followed by a separator. */
    private static final char AFTER_SEPARATOR = '\u0001';

    private CustomerVoucherIndex() {
    }

    static String payerKey(VoucherState voucher) {
        return key(voucher.getPayerCustomerId(), Role.PAYER, voucher.getCreatedAt(), voucher.getVoucherId());
    }

    /** The payee's key, for a voucher that accepted a redemption. */
    static Optional<String> payeeKey(VoucherState voucher) {
        return Optional.ofNullable(voucher.getRedemption()).map(redemption -> key(redemption.getPayeeCustomerId(),
                Role.PAYEE, redemption.getRequestedAt(), voucher.getVoucherId()));
    }

    /** Every key the voucher is listed under: its payer's, and its payee's once redeemed. */
    static List<String> keysOf(VoucherState voucher) {
        return payeeKey(voucher).map(payeeKey -> List.of(payerKey(voucher), payeeKey))
                .orElseGet(() -> List.of(payerKey(voucher)));
    }

    /**
     * When a voucher in this state is to be listed if it is still in it then: a {@code grace} after it came to wait on
     * the ledger's answer to become issued (or refused) or redeemed (or not). Empty if it is listed at once: every
     * other state, and every state with no grace. A final status waiting only for its hold's release (cancelled,
     * expired, a transfer failed) is listed at once: the customer sees what happened to the voucher, not its money's
     * last step.
     */
    static Optional<Instant> listedAt(Voucher voucher, Duration grace) {
        boolean waitsToBeDecided = !voucher.status().isFinal() && voucher.hold().awaitsLedger();
        return grace.isZero() || !waitsToBeDecided ? Optional.empty() : Optional.of(voucher.updatedAt().plus(grace));
    }

    static String key(String customerId, Role role, Instant at, String voucherId) {
        return prefix(customerId, role) + inverted(at) + SEPARATOR + voucherId;
    }

    /** The customer an index key belongs to; a bare customer id is its own. */
    static String customerOf(String key) {
        int end = key.indexOf(SEPARATOR);
        return end < 0 ? key : key.substring(0, end);
    }

    /**
     * The smallest key of the customer's entries in {@code [from, to)}: the newest end of the range,
     * since times are inverted.
     */
    public static String lowerBound(String customerId, Role role, Instant to) {
        return prefix(customerId, role) + inverted(firstMilliAtOrAfter(to) - 1);
    }

    /** The greatest key of the customer's entries in {@code [from, to)}: the oldest end of the range. */
    public static String upperBound(String customerId, Role role, Instant from) {
        return prefix(customerId, role) + inverted(firstMilliAtOrAfter(from)) + AFTER_SEPARATOR;
    }

    /** Entries are kept to the millisecond: a bound between two is the later one, for {@code from} and {@code to} alike. */
    private static long firstMilliAtOrAfter(Instant at) {
        long millis = at.toEpochMilli();
        return at.getNano() % 1_000_000 == 0 ? millis : millis + 1;
    }

    /** The smallest key after {@code key}: where a page that ended at {@code key} goes on. */
    public static String after(String key) {
        return key + SEPARATOR;
    }

    /** Whether {@code key} is one of the customer's keys in the role: a cursor must not lead elsewhere. */
    public static boolean belongsTo(String key, String customerId, Role role) {
        return key.startsWith(prefix(customerId, role));
    }

    private static String prefix(String customerId, Role role) {
        return customerId + SEPARATOR + role.tag + SEPARATOR;
    }

    /** Fixed-width hex of {@code Long.MAX_VALUE - epoch millis}: byte order is newest first. */
    private static String inverted(Instant at) {
        return inverted(at.toEpochMilli());
    }

    private static String inverted(long epochMillis) {
        return HexFormat.of().toHexDigits(Long.MAX_VALUE - Math.max(0, epochMillis));
    }

    /**
     * Sends each entry, and a query for a customer's entries, to the customer's partition: the one Kafka's
     * default partitioner gives the customer id, which is how readers find it.
     */
    public static <V> StreamPartitioner<String, V> partitioner() {
        return new StreamPartitioner<>() {
            @Override
            public Optional<Set<Integer>> partitions(String topic, String key, V value, int partitions) {
                return Optional.of(Set.of(KeyPartitions.of(customerOf(key), partitions)));
            }
        };
    }
}
