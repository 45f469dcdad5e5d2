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
import org.apache.kafka.streams.errors.StreamsException;
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
 * <li>A standby finds what it has while it is caught up ({@link StandbyLags}: within a bound of its changelog's end,
 * a commit or so behind its active task); one further behind answers nothing. A key it lacks may exist:
 * {@link NotHeld} for that, as for any partition this instance does not hold.
 * </ul>
 * Reads are {@code READ_COMMITTED}: with transactional state stores they skip what a task has written in a
 * transaction that has not committed yet; the exceptions (claims, attempts) say why they may read further.
 * (Lists and attempts are range reads, answered by whichever task holds the partition here.) Nothing is answered,
 * before or after the reads, while this instance is out of {@link BrokerContact contact} with the brokers: its
 * partitions may have moved without its knowing.
 */
public final class VoucherQueries implements VoucherWatches.VoucherLookups {

    private static final AvroSerde<VoucherState> STATES = AvroSerde.of(VoucherState.class);
    private static final AvroSerde<RequestRefusal> REFUSALS = AvroSerde.of(RequestRefusal.class);
    private static final AvroSerde<CustomerSettings> SETTINGS = AvroSerde.of(CustomerSettings.class);
    private static final AvroSerde<IdempotencyClaim> CLAIMS = AvroSerde.of(IdempotencyClaim.class);
    /** The end of every range of attempts: an ingress's clock may run ahead of this instance's. */
    private static final Instant LATEST = Instant.ofEpochMilli(Long.MAX_VALUE);

    /**
     * The most index entries one page of a list reads (each decoded, a status filter's misses and the pages a page
     * number skips included): a customer with years of vouchers, listed by a rare status or at page 50,000, had the
     * owner read them all for one answer, on and on after the asker had given up.
     */
    public static final int LIST_SCAN_BUDGET = 10_000;

    private final KafkaStreams streams;
    private final WholePartitions whole;
    private final StandbyLags standbyLags;
    private final BrokerContact contact;
    private final HostInfo self;
    private final int listScanBudget;

    /**
     * @param whole       which partitions the topology of {@code streams} holds whole here
     * @param standbyLags how far behind the copies of partitions held here are, for those not whole
     * @param contact     whether {@code streams} has heard from the brokers lately enough to answer at all
     * @param self        this instance as {@code streams} names it to the others ({@code application.server})
     */
    public VoucherQueries(KafkaStreams streams, WholePartitions whole, StandbyLags standbyLags, BrokerContact contact,
                          HostInfo self) {
        this(streams, whole, standbyLags, contact, self, LIST_SCAN_BUDGET);
    }

    VoucherQueries(KafkaStreams streams, WholePartitions whole, StandbyLags standbyLags, BrokerContact contact,
                   HostInfo self, int listScanBudget) {
        this.streams = streams;
        this.whole = whole;
        this.standbyLags = standbyLags;
        this.contact = contact;
        this.self = self;
        this.listScanBudget = listScanBudget;
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
        // Both stores are whole together: their processor marks them.
        Place place = placeOf(VoucherTopology.VOUCHER_STORE, voucherId);
        byte[] state = read(VoucherTopology.VOUCHER_STORE, voucherId, place.partition(), isolation);
        VoucherState voucher = state == null ? null : STATES.decode(state);
        // A request the voucher accepted has no refusal to look for: the look, nearly always a miss, is the
        // dearer read (RocksDB's Java binding reports a miss with an exception), and long polls make it often.
        byte[] refusal = requestId == null || accepted(voucher, requestId) ? null
                : read(VoucherTopology.REQUEST_REFUSALS, requestId, place.partition(), isolation);
        // A request neither accepted nor refused is pending, which a standby may say too; only no voucher at all
        // is an answer ("no such voucher") that a standby cannot give.
        confirm(place, voucherId, voucher != null || refusal != null);
        return new VoucherAnswer(voucher, refusal == null ? null : REFUSALS.decode(refusal));
    }

    private static boolean accepted(VoucherState voucher, String requestId) {
        return voucher != null && (requestId.equals(voucher.getGenerateRequestId())
                || requestId.equals(voucher.getCancelRequestId())
                || (voucher.getRedemption() != null && requestId.equals(voucher.getRedemption().getRequestId())));
    }

    /**
     * One page of a customer's vouchers in a role, newest first, created (payer) or redeemed (payee) in
     * {@code [from, to)}, of the given statuses: a range scan of the customer's part of the index, of at most
     * {@link #LIST_SCAN_BUDGET} entries. A page whose scan ends there before it is full is answered short (even empty),
     * with a {@code next} where the scan stopped; a page number whose vouchers lie past it is refused: its list goes on
     * by cursors.
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
        Place place = placeOf(VoucherTopology.CUSTOMER_VOUCHERS_STORE, customerId, () ->
                streams.queryMetadataForKey(VoucherTopology.CUSTOMER_VOUCHERS_STORE, customerId,
                        CustomerVoucherIndex.<Object>partitioner()));
        int partition = place.partition();
        QueryResult<KeyValueIterator<String, byte[]>> result = query(VoucherTopology.CUSTOMER_VOUCHERS_STORE,
                RangeQuery.withRange(lower, upper), partition);
        // Grown as vouchers are found, not sized on the asker's word.
        List<VoucherState> items = new ArrayList<>(Math.min(size, 100));
        String lastKey = null;
        String lastExamined = null;
        boolean more = false;
        int toSkip = skip;
        int examined = 0;
        try (KeyValueIterator<String, byte[]> entries = result.getResult()) {
            while (entries.hasNext()) {
                if (examined == listScanBudget) {
                    if (toSkip > 0) {
                        // A copy that may not be whole sends the reader on rather than refuse for good.
                        confirm(place, customerId, true);
                        throw new BadQuery("Page numbers reach the first " + listScanBudget + " vouchers of a list "
                                + "(of every status); further on it goes by cursors: follow next from an earlier page");
                    }
                    more = true; // on from where the scan stopped, whether a voucher of the page or not
                    break;
                }
                var entry = entries.next();
                examined++;
                lastExamined = entry.key;
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
        // A list is what the partition has: never "no such voucher", so found as far as a standby goes.
        confirm(place, customerId, true);
        return new VoucherPage(items, !more ? null : items.size() < size ? lastExamined : lastKey);
    }

    /** The customer's settings as merged so far, or null inside if the customer never changed any. */
    public SettingsAnswer settings(String customerId) {
        Place place = placeOf(VoucherTopology.CUSTOMER_SETTINGS_STORE, customerId);
        byte[] settings = read(VoucherTopology.CUSTOMER_SETTINGS_STORE, customerId, place.partition(),
                IsolationLevel.READ_COMMITTED);
        confirm(place, customerId, settings != null);
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
        Place place = placeOf(VoucherTopology.IDEMPOTENCY_CLAIMS, claimKey);
        byte[] claim = read(VoucherTopology.IDEMPOTENCY_CLAIMS, claimKey, place.partition(), IsolationLevel.READ_UNCOMMITTED);
        IdempotencyClaim first = claim == null ? null : CLAIMS.decode(claim);
        // A claim past its window is as good as none: where one is kept, a later first claim may be missing.
        boolean held = first != null && !first.getClaimedAt().isBefore(oldestHeld);
        confirm(place, claimKey, held);
        return new ClaimAnswer(held ? first : null);
    }

    /**
     * The times of a customer's attempts of a kind made since {@code since}, oldest first: the newest
     * {@code max} of them. Read uncommitted, unlike anything else: a limit should see an attempt as soon as
     * its task has, and an attempt a crash takes back is counted again when it is processed again.
     */
    public AttemptsAnswer attempts(String customerId, AttemptKind kind, Instant since, int max) {
        contact.requireContact();
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
        contact.requireContact();
        return new AttemptsAnswer(new ArrayList<>(newest));
    }

    /** A partition closed under a scan (it moved, or the instance is stopping): another holder may answer. */
    private static NotHeld movedWhileRead(String store, int partition, InvalidStateStoreException e) {
        return new NotHeld("Partition " + partition + " of " + store + " closed while it was read: " + e.getMessage());
    }

    /**
     * A partition to read a key from here: its number, whether this instance is its active task, the token of its
     * wholeness when the reads began (null unless whole), and else when the look that vouched for a standby's copy
     * began.
     */
    private record Place(String store, int partition, boolean activeHere, Long wholeBefore, Long standbyVouchedSince) {
    }

    /** Where to read a key of a store the topology's inputs are keyed by, if it may be read here. */
    private Place placeOf(String store, String key) {
        return placeOf(store, key, () -> holdersOf(store, key));
    }

    /**
     * The key's partition, unless this instance is its active task and has not restored it whole yet, or holds a
     * copy of it that is further behind its changelog than a standby may answer from.
     */
    private Place placeOf(String store, String key, Supplier<KeyQueryMetadata> lookup) {
        contact.requireContact();
        KeyQueryMetadata holders = holdersOf(store, key, lookup);
        Long wholeBefore = whole.wholeSince(store, holders.partition());
        Place place = new Place(store, holders.partition(), self.equals(holders.activeHost()), wholeBefore,
                wholeBefore == null ? standbyLags.vouchedSince(store, holders.partition()) : null);
        if (place.wholeBefore() == null) {
            if (place.activeHere()) {
                throw new NotHeld("Partition " + place.partition() + " of " + store + " is restoring here: its "
                        + "standbys may have newer state");
            }
            if (place.standbyVouchedSince() == null) {
                throw new NotHeld("Partition " + place.partition() + " of " + store + " is held here, if at all, by a "
                        + "standby " + standbyLags.lagOf(store, place.partition()) + " records behind its changelog "
                        + "(it answers within " + standbyLags.maxLag() + ")");
            }
        }
        return place;
    }

    /**
     * Whether what the reads found is an answer. A miss is one only from a whole partition: whole before the reads
     * and the same whole store after them, so that they were of the restored store, not of a task that restored it
     * only afterwards, nor of one that closed (and perhaps came back, restoring) meanwhile. What a standby finds is
     * an answer if its copy did not start over or stop meanwhile; what the active task finds, only if it stayed whole
     * meanwhile too.
     */
    private void confirm(Place place, String key, boolean found) {
        contact.requireContact();
        // Found in a copy not whole here: a standby's (whole here while another is named active, in a rebalance, it is
        // held to its wholeness below like the active task's).
        if (found && !place.activeHere() && place.wholeBefore() == null) {
            if (standbyLags.changedSince(place.store(), place.partition(), place.standbyVouchedSince())) {
                throw new NotHeld("Partition " + place.partition() + " of " + place.store() + " started over or "
                        + "stopped here as a standby while it was read");
            }
            return;
        }
        if (place.wholeBefore() != null && place.wholeBefore().equals(whole.wholeSince(place.store(), place.partition()))) {
            return;
        }
        if (found) {
            throw new NotHeld("Partition " + place.partition() + " of " + place.store() + " closed or began restoring "
                    + "here while it was read");
        }
        throw new NotHeld("Partition " + place.partition() + " of " + place.store() + " is held here by a standby or "
                + "by a task still restoring, which does not have " + key + ": the active task may");
    }

    /** Which partition of a store holds a key the topology's inputs are keyed by, and which instances hold it. */
    private KeyQueryMetadata holdersOf(String store, String key) {
        return holdersOf(store, key, () -> streams.queryMetadataForKey(store, key, Serdes.String().serializer()));
    }

    private static KeyQueryMetadata holdersOf(String store, String key, Supplier<KeyQueryMetadata> lookup) {
        KeyQueryMetadata metadata;
        try {
            metadata = lookup.get();
        } catch (StreamsException | IllegalStateException e) {
            // Not started yet, or stopped: Kafka Streams says which by these two. Anything else is a fault of
            // this instance, answered as one (500, logged), not as a routine "ask another holder".
            throw new NotHeld("The partitions of " + store + " are not known here: " + e.getMessage());
        }
        if (metadata == null || metadata.partition() < 0) {
            throw new NotHeld("No instance holds " + key + " of " + store + " yet");
        }
        return metadata;
    }

    private byte[] read(String store, String key, int partition, IsolationLevel isolation) {
        return query(store, KeyQuery.<String, byte[]>withKey(key), partition, isolation).getResult();
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
        } catch (StreamsException e) {
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
