package io.qrvoucher.voucher.query;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.query.KeyQuery;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.query.RangeQuery;
import org.apache.kafka.streams.query.StateQueryRequest;
import org.apache.kafka.streams.query.WindowKeyQuery;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.WindowStoreIterator;

import io.qrvoucher.avro.AttemptKind;
import io.qrvoucher.avro.CustomerSettings;
import io.qrvoucher.avro.IdempotencyClaim;
import io.qrvoucher.avro.RequestRefusal;
import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.avro.query.AttemptsAnswer;
import io.qrvoucher.avro.query.ClaimAnswer;
import io.qrvoucher.avro.query.SettingsAnswer;
import io.qrvoucher.avro.query.VoucherAnswer;
import io.qrvoucher.avro.query.VoucherPage;
import io.qrvoucher.schemas.AvroSerde;
import io.qrvoucher.support.reads.VoucherStreamsReads.BadQuery;
import io.qrvoucher.support.reads.VoucherStreamsReads.NotHeld;
import io.qrvoucher.voucher.streams.CustomerAttempts;
import io.qrvoucher.voucher.streams.CustomerVoucherIndex;
import io.qrvoucher.voucher.streams.CustomerVoucherIndex.Role;
import io.qrvoucher.voucher.streams.VoucherTopology;
import io.qrvoucher.voucher.streams.WholePartitions;

/**
 * Reads this instance's stores with interactive queries (IQv2), one partition at a time: the partition
 * that holds the key, whether this instance holds it as the active task or as a standby. Kafka Streams answers
 * from a standby and from an active task still restoring alike; the two are not alike to a reader:
 * <ul>
 * <li>An active task answers only once its partition is whole ({@link WholePartitions}: restored and running).
 * Restoring, it has the state up to some offset of its changelog, older than what a standby elsewhere has, so
 * it answers nothing and is {@link NotHeld}: the caller asks the partition's standbys, or again. (A voucher
 * redeemed since would read as UNUSED, with its code.) Only the customers' attempts are answered while
 * restoring: a count of some of them is a truer limit than none, which is what the ingress falls back to.
 * <li>A standby, at most a commit or so behind its active task, finds what it has. A key it lacks may exist:
 * {@link NotHeld} for that, as for any partition this instance does not hold.
 * </ul>
 * Reads are {@code READ_COMMITTED}: with transactional state stores they skip what a task has written in a
 * transaction that has not committed yet; the exceptions (claims, attempts) say why they may read further.
 * (Lists and attempts are range reads, answered by whichever task holds the partition here.)
 */
public final class VoucherQueries implements VoucherWatches.VoucherLookups {

    private static final AvroSerde<VoucherState> STATES = AvroSerde.of(VoucherState.class);
    private static final AvroSerde<RequestRefusal> REFUSALS = AvroSerde.of(RequestRefusal.class);
    private static final AvroSerde<CustomerSettings> SETTINGS = AvroSerde.of(CustomerSettings.class);
    private static final AvroSerde<IdempotencyClaim> CLAIMS = AvroSerde.of(IdempotencyClaim.class);
    /** The end of every range of attempts: an ingress's clock may run ahead of this instance's. */
    private static final Instant LATEST = Instant.ofEpochMilli(Long.MAX_VALUE);

    private final KafkaStreams streams;
    private final WholePartitions whole;
    private final HostInfo self;

    /**
     * @param whole which partitions the topology of {@code streams} holds whole here
     * @param self  this instance as {@code streams} names it to the others ({@code application.server})
     */
    public VoucherQueries(KafkaStreams streams, WholePartitions whole, HostInfo self) {
        this.streams = streams;
        this.whole = whole;
        this.self = self;
    }

    /**
     * The voucher, and the refusal of {@code requestId} (may be null) if the voucher's task refused it and did
     * not accept it: a request the voucher shows as accepted is answered without a refusal.
     */
    @Override
    public VoucherAnswer voucher(String voucherId, String requestId) {
        return voucher(voucherId, requestId, IsolationLevel.READ_COMMITTED);
    }

    /**
     * The same, including what the owning task wrote in a transaction that has not committed yet: never an
     * answer to a client, only a sign that a committed answer is coming.
     */
    @Override
    public VoucherAnswer uncommittedVoucher(String voucherId, String requestId) {
        return voucher(voucherId, requestId, IsolationLevel.READ_UNCOMMITTED);
    }

    private VoucherAnswer voucher(String voucherId, String requestId, IsolationLevel isolation) {
        int partition = readablePartition(VoucherTopology.VOUCHER_STORE, voucherId);
        Long wholeBefore = whole.wholeSince(VoucherTopology.VOUCHER_STORE, partition);
        byte[] state = read(VoucherTopology.VOUCHER_STORE, voucherId, partition, isolation);
        VoucherState voucher = state == null ? null : STATES.decode(state);
        // A request the voucher accepted has no refusal to look for: the look, nearly always a miss, is the
        // dearer read (RocksDB's Java binding reports a miss with an exception), and long polls make it often.
        byte[] refusal = requestId == null || accepted(voucher, requestId) ? null
                : read(VoucherTopology.REQUEST_REFUSALS, requestId, partition, isolation);
        // A request neither accepted nor refused is pending, which a standby may say too; only no voucher at all
        // is an answer ("no such voucher") that a standby cannot give. (Both stores are whole together.)
        if (voucher == null && refusal == null) {
            requireWhole(VoucherTopology.VOUCHER_STORE, voucherId, partition, wholeBefore);
        }
        return new VoucherAnswer(voucher, refusal == null ? null : REFUSALS.decode(refusal));
    }

    private static boolean accepted(VoucherState voucher, String requestId) {
        return voucher != null && (requestId.equals(voucher.getGenerateRequestId())
                || requestId.equals(voucher.getCancelRequestId())
                || (voucher.getRedemption() != null && requestId.equals(voucher.getRedemption().getRequestId())));
    }

    /**
     * One page of a customer's vouchers in a role, newest first, created (payer) or redeemed (payee) in
     * {@code [from, to)}, of the given statuses: a range scan of the customer's part of the index.
     *
     * @param after where the previous page ended (its {@code next}), or null for the first page
     * @param skip  matching vouchers to pass over first (page numbers); 0 with a cursor
     */
    public VoucherPage vouchersOf(String customerId, Role role, Instant from, Instant to, Set<VoucherStatus> statuses,
                                  String after, int skip, int size) {
        if (size < 1 || skip < 0) {
            throw new BadQuery("A page has at least one voucher and skips none or more, not " + size + " and " + skip);
        }
        String lower = CustomerVoucherIndex.lowerBound(customerId, role, to);
        if (after != null) {
            if (!CustomerVoucherIndex.belongsTo(after, customerId, role)) {
                throw new BadQuery("The cursor is not one of this list's");
            }
            String next = CustomerVoucherIndex.after(after);
            lower = next.compareTo(lower) > 0 ? next : lower;
        }
        String upper = CustomerVoucherIndex.upperBound(customerId, role, from);
        int partition = readablePartition(VoucherTopology.CUSTOMER_VOUCHERS_STORE, customerId, () ->
                streams.queryMetadataForKey(VoucherTopology.CUSTOMER_VOUCHERS_STORE, customerId,
                        CustomerVoucherIndex.<Object>partitioner()));
        QueryResult<KeyValueIterator<String, byte[]>> result = query(VoucherTopology.CUSTOMER_VOUCHERS_STORE,
                RangeQuery.withRange(lower, upper), partition);
        // Grown as vouchers are found, not sized on the asker's word.
        List<VoucherState> items = new ArrayList<>(Math.min(size, 100));
        String lastKey = null;
        boolean more = false;
        int toSkip = skip;
        try (KeyValueIterator<String, byte[]> entries = result.getResult()) {
            while (entries.hasNext()) {
                var entry = entries.next();
                VoucherState voucher = STATES.decode(entry.value);
                if (!statuses.contains(voucher.getStatus())) {
                    continue;
                }
                if (toSkip > 0) {
                    toSkip--;
                } else if (items.size() < size) {
                    items.add(voucher);
                    lastKey = entry.key;
                } else {
                    more = true;
                    break;
                }
            }
        } catch (InvalidStateStoreException e) {
            throw movedWhileRead(VoucherTopology.CUSTOMER_VOUCHERS_STORE, partition, e);
        }
        return new VoucherPage(items, more ? lastKey : null);
    }

    /** The customer's settings as merged so far, or null inside if the customer never changed any. */
    public SettingsAnswer settings(String customerId) {
        int partition = readablePartition(VoucherTopology.CUSTOMER_SETTINGS_STORE, customerId);
        byte[] settings = get(VoucherTopology.CUSTOMER_SETTINGS_STORE, customerId, partition);
        return new SettingsAnswer(settings == null ? null : SETTINGS.decode(settings));
    }

    /**
     * The first claim of a customer's Idempotency-Key (or sign-in) that still holds at {@code now}, or
     * null inside if there is none. Read uncommitted, and still nothing a crash can take back: which claim
     * is first is decided by the order of the claims in their partition of {@code ingress-idempotency}, which
     * the ingress wrote before the task could read them, and only claims write the store; a transaction that
     * aborts is processed again over the same claims in the same order, to the same first claim. So the ingress
     * learns the winner as soon as the task has processed the claims, not a commit later.
     *
     * @param claimKey the key the claim is published and kept under ({@code VoucherRules.claimKey})
     */
    public ClaimAnswer claim(String claimKey, Instant oldestHeld) {
        int partition = readablePartition(VoucherTopology.IDEMPOTENCY_CLAIMS, claimKey);
        byte[] claim = get(VoucherTopology.IDEMPOTENCY_CLAIMS, claimKey, partition, IsolationLevel.READ_UNCOMMITTED);
        IdempotencyClaim first = claim == null ? null : CLAIMS.decode(claim);
        return new ClaimAnswer(first == null || first.getClaimedAt().isBefore(oldestHeld) ? null : first);
    }

    /**
     * The times of a customer's attempts of a kind made since {@code since}, oldest first: the newest
     * {@code max} of them. Read uncommitted, unlike anything else: a limit should see an attempt as soon as
     * its task has, and an attempt a crash takes back is counted again when it is processed again.
     */
    public AttemptsAnswer attempts(String customerId, AttemptKind kind, Instant since, int max) {
        int partition = holdersOf(VoucherTopology.CUSTOMER_ATTEMPTS_STORE, customerId).partition();
        QueryResult<WindowStoreIterator<byte[]>> result = query(VoucherTopology.CUSTOMER_ATTEMPTS_STORE,
                WindowKeyQuery.withKeyAndWindowStartRange(CustomerAttempts.storeKey(customerId, kind), since, LATEST),
                partition, IsolationLevel.READ_UNCOMMITTED);
        Deque<Instant> newest = new ArrayDeque<>(max + 1);
        try (WindowStoreIterator<byte[]> attempts = result.getResult()) {
            while (attempts.hasNext()) {
                newest.addLast(Instant.ofEpochMilli(attempts.next().key));
                if (newest.size() > max) {
                    newest.removeFirst();
                }
            }
        } catch (InvalidStateStoreException e) {
            throw movedWhileRead(VoucherTopology.CUSTOMER_ATTEMPTS_STORE, partition, e);
        }
        return new AttemptsAnswer(new ArrayList<>(newest));
    }

    /** A partition closed under a scan (it moved, or the instance is stopping): another holder may answer. */
    private static NotHeld movedWhileRead(String store, int partition, InvalidStateStoreException e) {
        return new NotHeld("Partition " + partition + " of " + store + " closed while it was read: " + e.getMessage());
    }

    /** The partition of a store that holds a key the topology's inputs are keyed by, if it may be read here. */
    private int readablePartition(String store, String key) {
        return readablePartition(store, key, () -> holdersOf(store, key));
    }

    /** The key's partition, unless this instance is its active task and has not restored it whole yet. */
    private int readablePartition(String store, String key, Supplier<KeyQueryMetadata> lookup) {
        KeyQueryMetadata holders = holdersOf(store, key, lookup);
        if (self.equals(holders.activeHost()) && whole.wholeSince(store, holders.partition()) == null) {
            throw new NotHeld("Partition " + holders.partition() + " of " + store + " is restoring here: its standbys "
                    + "may have newer state");
        }
        return holders.partition();
    }

    /** Which partition of a store holds a key the topology's inputs are keyed by, and which instances hold it. */
    private KeyQueryMetadata holdersOf(String store, String key) {
        return holdersOf(store, key, () -> streams.queryMetadataForKey(store, key, Serdes.String().serializer()));
    }

    private static KeyQueryMetadata holdersOf(String store, String key, Supplier<KeyQueryMetadata> lookup) {
        KeyQueryMetadata metadata;
        try {
            metadata = lookup.get();
        } catch (RuntimeException e) {
            throw new NotHeld("The partitions of " + store + " are not known yet: " + e.getMessage());
        }
        if (metadata == null || metadata.partition() < 0) {
            throw new NotHeld("No instance holds " + key + " of " + store + " yet");
        }
        return metadata;
    }

    private byte[] get(String store, String key, int partition) {
        return get(store, key, partition, IsolationLevel.READ_COMMITTED);
    }

    /** The key's value; its absence only where it is an answer, else {@link NotHeld}. */
    private byte[] get(String store, String key, int partition, IsolationLevel isolation) {
        Long wholeBefore = whole.wholeSince(store, partition);
        byte[] value = read(store, key, partition, isolation);
        if (value == null) {
            requireWhole(store, key, partition, wholeBefore);
        }
        return value;
    }

    private byte[] read(String store, String key, int partition, IsolationLevel isolation) {
        return query(store, KeyQuery.<String, byte[]>withKey(key), partition, isolation).getResult();
    }

    /**
     * A miss is an answer only from a whole partition: whole before the read and the same whole store after it,
     * so that the read was of the restored store, not of a task that restored it only afterwards, nor of one that
     * closed (and perhaps came back) meanwhile.
     */
    private void requireWhole(String store, String key, int partition, Long wholeBefore) {
        if (wholeBefore == null || !wholeBefore.equals(whole.wholeSince(store, partition))) {
            throw new NotHeld("Partition " + partition + " of " + store + " is held here by a standby or by a task "
                    + "still restoring, which does not have " + key + ": the active task may");
        }
    }

    private <R> QueryResult<R> query(String store, org.apache.kafka.streams.query.Query<R> query, int partition) {
        return query(store, query, partition, IsolationLevel.READ_COMMITTED);
    }

    /** The partition's answer from whichever task holds it here, active or standby. */
    private <R> QueryResult<R> query(String store, org.apache.kafka.streams.query.Query<R> query, int partition,
                                     IsolationLevel isolation) {
        // READ_COMMITTED for anything told to a client: nothing a crash can take back.
        StateQueryRequest<R> request = StateQueryRequest.inStore(store).withQuery(query).withPartitions(Set.of(partition))
                .withIsolationLevel(isolation);
        QueryResult<R> result;
        try {
            result = streams.query(request).getPartitionResults().get(partition);
        } catch (RuntimeException e) {
            throw new NotHeld("Partition " + partition + " of " + store + " cannot be read here: " + e.getMessage());
        }
        if (result == null) {
            throw new NotHeld("Partition " + partition + " of " + store + " gave no answer here");
        }
        if (result.isFailure()) {
            throw notHere(store, partition, result);
        }
        return result;
    }

    private static NotHeld notHere(String store, int partition, QueryResult<?> failure) {
        return new NotHeld("Partition " + partition + " of " + store + " is not here: " + failure.getFailureReason()
                + " " + failure.getFailureMessage());
    }
}
