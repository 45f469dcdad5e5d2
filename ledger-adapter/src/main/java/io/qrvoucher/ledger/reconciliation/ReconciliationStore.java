package io.qrvoucher.ledger.reconciliation;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowCallbackHandler;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;

/** The reconciliation's tables, and the reads of the ledger's own tables that its checks make. */
class ReconciliationStore {

    private static final RowMapper<Expectation> EXPECTATION = (rs, row) -> new Expectation(rs.getString("voucher_id"),
            rs.getString("status"), rs.getLong("voucher_version"), rs.getString("account_id"), rs.getString("currency"),
            rs.getLong("face_value_minor"), rs.getLong("redeemed_minor"), rs.getString("destination"),
            rs.getTimestamp("due_at").toInstant());

    private static final RowMapper<Mismatch> MISMATCH = (rs, row) -> new Mismatch(rs.getString("check_name"),
            rs.getString("subject"), rs.getString("voucher_id"), rs.getString("expected"), rs.getString("found"),
            rs.getTimestamp("first_seen").toInstant(), rs.getTimestamp("last_seen").toInstant());

    // One statement: the balance and the entries, the held amount and the open holds, are read in one snapshot, so
    // a transfer or a freeze committing in between cannot make them differ. A kept total is used only if :useKept and
    // while it is younger than :fullSumMillis. The open holds are found through holds_open_by_account (V10).
    private static final String ACCOUNT_TOTALS = """
            SELECT a.account_id, a.currency, a.balance_minor, a.held_minor, o.open_holds_minor,
                   greatest(coalesce(t.through_transaction_id, 0), :settled) AS settled_through,
                   coalesce(t.journal_minor, 0) + s.settled_minor AS settled_minor,
                   coalesce(t.journal_minor, 0) + s.settled_minor + s.recent_minor AS journal_minor,
                   coalesce(t.summed_in_full_at, now()) AS summed_in_full_at
            FROM accounts a
            LEFT JOIN reconciliation_account_totals t ON t.account_id = a.account_id AND :useKept
                 AND t.summed_in_full_at > now() - CAST(:fullSumMillis AS bigint) * interval '1 millisecond'
            CROSS JOIN LATERAL (
                SELECT coalesce(sum(e.amount_minor) FILTER (WHERE e.transaction_id <= :settled), 0)::bigint AS settled_minor,
                       coalesce(sum(e.amount_minor) FILTER (WHERE e.transaction_id > :settled), 0)::bigint AS recent_minor
                FROM journal_entries e
                WHERE e.account_id = a.account_id AND e.transaction_id > coalesce(t.through_transaction_id, 0)) s
            CROSS JOIN LATERAL (
                SELECT coalesce(sum(h.amount_minor), 0)::bigint AS open_holds_minor
                FROM holds h WHERE h.account_id = a.account_id AND h.state = 'HELD') o
            """;

    private static final RowMapper<AccountTotals> ACCOUNT_TOTALS_ROW = (rs, row) -> new AccountTotals(
            rs.getString("account_id"), rs.getString("currency"), rs.getLong("balance_minor"),
            rs.getLong("journal_minor"), rs.getLong("held_minor"), rs.getLong("open_holds_minor"), new KeptTotal(rs.getLong("settled_through"), rs.getLong("settled_minor"),
                    rs.getTimestamp("summed_in_full_at").toInstant()));

    private final JdbcClient jdbc;
    private final JdbcTemplate batches;

    ReconciliationStore(JdbcClient jdbc, JdbcTemplate batches) {
        this.jdbc = jdbc;
        this.batches = batches;
    }

    /** Records expectations; a voucher's expectation is replaced only by one of a newer voucher version. */
    void expect(Collection<Expectation> expectations) {
        batches.batchUpdate("""
                INSERT INTO reconciliation_expectations (voucher_id, status, voucher_version, account_id, currency,
                                                         face_value_minor, redeemed_minor, destination, due_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (voucher_id) DO UPDATE
                SET status = excluded.status, voucher_version = excluded.voucher_version,
                    account_id = excluded.account_id, currency = excluded.currency,
                    face_value_minor = excluded.face_value_minor, redeemed_minor = excluded.redeemed_minor,
                    destination = excluded.destination, due_at = excluded.due_at
                WHERE reconciliation_expectations.voucher_version < excluded.voucher_version""",
                expectations.stream().map(e -> new Object[] {e.voucherId(), e.status(), e.voucherVersion(), e.accountId(),
                        e.currency(), e.faceValueMinor(), e.redeemedMinor(), e.destination(), Timestamp.from(e.dueAt())})
                        .toList());
    }

    /** The database's clock, which every due time is compared with. */
    Instant now() {
        return jdbc.sql("SELECT now()").query(Timestamp.class).single().toInstant();
    }

    /**
     * Takes up to {@code limit} expectations due at {@code at} for the current transaction. Rows another
     * instance has taken are skipped, not waited for: the instances share the work.
     */
    List<Expectation> takeDue(Instant at, int limit) {
        return jdbc.sql("""
                SELECT * FROM reconciliation_expectations WHERE due_at <= :at
                ORDER BY due_at LIMIT :limit FOR UPDATE SKIP LOCKED""")
                .param("at", Timestamp.from(at)).param("limit", limit).query(EXPECTATION).list();
    }

    void settled(Collection<String> voucherIds) {
        jdbc.sql("DELETE FROM reconciliation_expectations WHERE voucher_id = ANY(:ids)")
                .param("ids", voucherIds.toArray(String[]::new)).update();
    }

    void checkAgainAfter(Collection<String> voucherIds, Duration after) {
        jdbc.sql("""
                UPDATE reconciliation_expectations SET due_at = now() + CAST(:millis AS bigint) * interval '1 millisecond'
                WHERE voucher_id = ANY(:ids)""")
                .param("millis", after.toMillis())
                .param("ids", voucherIds.toArray(String[]::new)).update();
    }

    /**
     * Each voucher's hold and redemption transactions — what each paid out, to which account (of which kind), with
     * which details of another bank — in one statement so that they are one snapshot.
     */
    List<LedgerFacts> facts(Collection<String> voucherIds) {
        return jdbc.sql("""
                SELECT v.voucher_id, h.account_id, h.amount_minor, h.currency, h.state, h.captured_minor,
                       coalesce(array_agg(r.paid ORDER BY r.transaction_id) FILTER (WHERE r.transaction_id IS NOT NULL),
                                '{}') AS redemptions,
                       array_agg(r.credited ORDER BY r.transaction_id) AS credited,
                       array_agg(r.credited_kind ORDER BY r.transaction_id) AS credited_kinds,
                       array_agg(r.external_bank ORDER BY r.transaction_id) AS banks,
                       array_agg(r.external_holder_name ORDER BY r.transaction_id) AS holders,
                       array_agg(r.external_account_number ORDER BY r.transaction_id) AS numbers
                FROM unnest(CAST(:ids AS text[])) AS v (voucher_id)
                LEFT JOIN holds h ON h.voucher_id = v.voucher_id
                LEFT JOIN LATERAL (
                    SELECT t.transaction_id, t.external_bank, t.external_holder_name, t.external_account_number,
                           coalesce(sum(e.amount_minor) FILTER (WHERE e.amount_minor > 0), 0)::bigint AS paid,
                           string_agg(e.account_id, ', ' ORDER BY e.account_id) FILTER (WHERE e.amount_minor > 0) AS credited,
                           string_agg(a.kind, ', ' ORDER BY e.account_id) FILTER (WHERE e.amount_minor > 0) AS credited_kind
                    FROM journal_transactions t
                    LEFT JOIN journal_entries e ON e.transaction_id = t.transaction_id
                    LEFT JOIN accounts a ON a.account_id = e.account_id
                    WHERE t.kind = 'VOUCHER_REDEMPTION' AND t.voucher_id = v.voucher_id
                    GROUP BY t.transaction_id) r ON true
                GROUP BY v.voucher_id, h.account_id, h.amount_minor, h.currency, h.state, h.captured_minor""")
                .param("ids", voucherIds.toArray(String[]::new))
                .query((rs, row) -> {
                    List<Long> paid = Arrays.asList((Long[]) rs.getArray("redemptions").getArray());
                    return new LedgerFacts(rs.getString("voucher_id"), hold(rs), paid, destinations(rs, paid.size()));
                })
                .list();
    }

    /** Where each of a voucher's redemption transactions paid out to, in their order. */
    private static List<String> destinations(ResultSet rs, int redemptions) throws SQLException {
        if (redemptions == 0) {
            return List.of();
        }
        String[] credited = (String[]) rs.getArray("credited").getArray();
        String[] kinds = (String[]) rs.getArray("credited_kinds").getArray();
        String[] banks = (String[]) rs.getArray("banks").getArray();
        String[] holders = (String[]) rs.getArray("holders").getArray();
        String[] numbers = (String[]) rs.getArray("numbers").getArray();
        return IntStream.range(0, redemptions)
                .mapToObj(i -> Destinations.ofJournal(credited[i], kinds[i], banks[i], holders[i], numbers[i]))
                .toList();
    }

    private static Optional<LedgerFacts.Hold> hold(ResultSet rs) throws SQLException {
        String state = rs.getString("state");
        return state == null ? Optional.empty() : Optional.of(new LedgerFacts.Hold(rs.getString("account_id"),
                rs.getLong("amount_minor"), rs.getString("currency"), state, rs.getLong("captured_minor")));
    }

    /**
     * Takes a sweep's position for the current transaction, or nothing if another instance is moving
     * that sweep right now.
     */
    Optional<String> takeSweep(String sweep) {
        return jdbc.sql("SELECT position FROM reconciliation_sweeps WHERE sweep = :sweep FOR UPDATE SKIP LOCKED")
                .param("sweep", sweep).query(String.class).optional();
    }

    void moveSweep(String sweep, String position) {
        jdbc.sql("UPDATE reconciliation_sweeps SET position = :position, moved_at = now() WHERE sweep = :sweep")
                .param("position", position).param("sweep", sweep).update();
    }

    /** The next journal transactions after {@code after}, in id order. */
    List<JournalTransaction> journalAfter(long after, int limit) {
        return jdbc.sql("""
                SELECT transaction_id, kind, voucher_id FROM journal_transactions WHERE transaction_id > :after
                ORDER BY transaction_id LIMIT :limit""")
                .param("after", after).param("limit", limit)
                .query((rs, row) -> new JournalTransaction(rs.getLong("transaction_id"),
                        "VOUCHER_REDEMPTION".equals(rs.getString("kind")), rs.getString("voucher_id")))
                .list();
    }

    /** Journal transactions from {@code after} (exclusive) to {@code last} whose entries do not sum to zero in a currency. */
    List<Finding> unbalanced(long after, long last) {
        return jdbc.sql("""
                SELECT e.transaction_id, t.voucher_id, e.currency, sum(e.amount_minor)::bigint AS total
                FROM journal_entries e JOIN journal_transactions t ON t.transaction_id = e.transaction_id
                WHERE e.transaction_id > :after AND e.transaction_id <= :last
                GROUP BY e.transaction_id, t.voucher_id, e.currency HAVING sum(e.amount_minor) <> 0
                ORDER BY e.transaction_id, e.currency""")
                .param("after", after).param("last", last)
                .query((rs, row) -> new Finding(Check.JOURNAL_BALANCED, Long.toString(rs.getLong("transaction_id")),
                        rs.getString("voucher_id"), "entries summing to 0 " + rs.getString("currency"),
                        "entries summing to " + rs.getLong("total") + " " + rs.getString("currency")))
                .list();
    }

    /** The voucher ids of the next holds after {@code after}, in id order. */
    List<String> holdsAfter(String after, int limit) {
        return jdbc.sql("SELECT voucher_id FROM holds WHERE voucher_id > :after ORDER BY voucher_id LIMIT :limit")
                .param("after", after).param("limit", limit).query(String.class).list();
    }

    /**
     * The newest journal transaction that began at least {@code settledAfter} ago (0 if none did): every
     * transaction up to it has committed or rolled back, given that none stays open half that long (a lower id
     * was taken before this one's, at most that long after it began). The scan back from the newest stops after
     * about {@code settledAfter}'s worth of transactions, however old the journal.
     */
    long settledThrough(Duration settledAfter) {
        return jdbc.sql("""
                SELECT coalesce((SELECT transaction_id FROM journal_transactions
                                 WHERE created_at <= now() - CAST(:millis AS bigint) * interval '1 millisecond'
                                 ORDER BY transaction_id DESC LIMIT 1), 0)""")
                .param("millis", settledAfter.toMillis()).query(Long.class).single();
    }

    /**
     * The next accounts after {@code after}, in id order, each with its balance and the sum of its journal
     * entries: its kept total plus the entries after it, or all its entries where the total was summed in full
     * more than {@code fullSumEvery} ago (or never).
     */
    List<AccountTotals> accountsAfter(String after, int limit, long settledThrough, Duration fullSumEvery) {
        return jdbc.sql(ACCOUNT_TOTALS + "WHERE a.account_id > :after ORDER BY a.account_id LIMIT :limit")
                .param("after", after).param("limit", limit).param("settled", settledThrough)
                .param("useKept", true).param("fullSumMillis", fullSumEvery.toMillis())
                .query(ACCOUNT_TOTALS_ROW).list();
    }

    /** The accounts' balances, each with the sum of all its journal entries, kept totals aside. */
    List<AccountTotals> accountsSummedInFull(Collection<String> accountIds, long settledThrough) {
        return jdbc.sql(ACCOUNT_TOTALS + "WHERE a.account_id = ANY(:ids) ORDER BY a.account_id")
                .param("ids", accountIds.toArray(String[]::new)).param("settled", settledThrough)
                .param("useKept", false).param("fullSumMillis", 0L)
                .query(ACCOUNT_TOTALS_ROW).list();
    }

    /**
     * The accounts' holds opened more than {@code openAtMost} ago and still open, found through
     * holds_open_by_account: per account, how many and the oldest.
     */
    List<Finding> holdsOpenTooLong(Collection<String> accountIds, Duration openAtMost) {
        return jdbc.sql("""
                SELECT account_id, count(*) AS open, min(created_at) AS oldest,
                       (array_agg(voucher_id ORDER BY created_at, voucher_id))[1] AS oldest_voucher
                FROM holds
                WHERE account_id = ANY(:ids) AND state = 'HELD'
                  AND created_at < now() - CAST(:millis AS bigint) * interval '1 millisecond'
                GROUP BY account_id ORDER BY account_id""")
                .param("ids", accountIds.toArray(String[]::new)).param("millis", openAtMost.toMillis())
                .query((rs, row) -> new Finding(Check.HOLD_OPEN_TOO_LONG, rs.getString("account_id"),
                        rs.getString("oldest_voucher"),
                        "no hold open longer than " + openAtMost.toString().substring(2).toLowerCase(Locale.ROOT),
                        rs.getLong("open") + " open, the oldest voucher " + rs.getString("oldest_voucher") + "'s since "
                                + rs.getTimestamp("oldest").toInstant()))
                .list();
    }

    /** Keeps each account's total up to its settled transaction for the next round. */
    void keep(Collection<AccountTotals> accounts) {
        batches.batchUpdate("""
                INSERT INTO reconciliation_account_totals (account_id, through_transaction_id, journal_minor,
                                                           summed_in_full_at)
                VALUES (?, ?, ?, ?)
                ON CONFLICT (account_id) DO UPDATE
                SET through_transaction_id = excluded.through_transaction_id, journal_minor = excluded.journal_minor,
                    summed_in_full_at = excluded.summed_in_full_at
                -- Not the id alone, which moves on every round under load: an account whose settled entries since
                -- its total add up to nothing (most often: it has none) keeps its row unwritten.
                WHERE (reconciliation_account_totals.journal_minor, reconciliation_account_totals.summed_in_full_at)
                      IS DISTINCT FROM (excluded.journal_minor, excluded.summed_in_full_at)""",
                accounts.stream().map(account -> new Object[] {account.accountId(), account.kept().throughTransactionId(),
                        account.kept().settledMinor(), Timestamp.from(account.kept().summedInFullAt())}).toList());
    }

    /**
     * Records what {@code checks} found on {@code subjects}: a finding is added (or its row refreshed),
     * and a mismatch of those checks and subjects without a finding now is removed.
     *
     * @return the findings that were not mismatches before, and the mismatches that went away
     */
    Recorded record(Collection<Check> checks, Collection<String> subjects, List<Finding> findings) {
        List<Finding> added = findings.stream().filter(this::upsert).toList();
        List<Mismatch> resolved = checks.stream().flatMap(check -> jdbc.sql("""
                        DELETE FROM reconciliation_mismatches
                        WHERE check_name = :check AND subject = ANY(:subjects) AND NOT subject = ANY(:found)
                        RETURNING *""")
                .param("check", check.id())
                .param("subjects", subjects.toArray(String[]::new))
                .param("found", findings.stream().filter(f -> f.check() == check).map(Finding::subject).toArray(String[]::new))
                .query(MISMATCH).list().stream()).toList();
        return new Recorded(added, resolved);
    }

    /** @return true if the mismatch is new */
    private boolean upsert(Finding finding) {
        // xmax is 0 on a row this statement inserted, and not 0 on one it updated.
        return jdbc.sql("""
                INSERT INTO reconciliation_mismatches (check_name, subject, voucher_id, expected, found)
                VALUES (:check, :subject, :voucher, :expected, :found)
                ON CONFLICT (check_name, subject) DO UPDATE
                SET voucher_id = excluded.voucher_id, expected = excluded.expected, found = excluded.found,
                    last_seen = now()
                RETURNING xmax = 0 AS inserted""")
                .param("check", finding.check().id()).param("subject", finding.subject())
                .param("voucher", finding.voucherId()).param("expected", finding.expected())
                .param("found", finding.found())
                .query(Boolean.class).single();
    }

    /** The open mismatches per check, every check included: the same on every instance. */
    /**
     * The open mismatches of each check. Those of a check this release does not know (a later release's, kept
     * through a rollback) are not counted: they stay in the report until that release is back to look at them.
     */
    Map<Check, Long> mismatchCounts() {
        Map<Check, Long> counts = new EnumMap<>(Check.class);
        Arrays.stream(Check.values()).forEach(check -> counts.put(check, 0L));
        jdbc.sql("SELECT check_name, count(*) AS open FROM reconciliation_mismatches GROUP BY check_name")
                .query((RowCallbackHandler) rs -> {
                    long open = rs.getLong("open");
                    Check.ofId(rs.getString("check_name")).ifPresent(check -> counts.put(check, open));
                });
        return counts;
    }

    List<Mismatch> newestMismatches(int limit) {
        return jdbc.sql("SELECT * FROM reconciliation_mismatches ORDER BY first_seen DESC, check_name, subject LIMIT :limit")
                .param("limit", limit).query(MISMATCH).list();
    }

    record JournalTransaction(long transactionId, boolean redemption, String voucherId) {
    }

    /**
     * An account's balance and the sum of all its journal entries, its held amount and the sum of its open holds,
     * read in one snapshot, and the total to keep: the sum up to the settled transaction, which no later round needs
     * to add again.
     */
    record AccountTotals(String accountId, String currency, long balanceMinor, long journalMinor, long heldMinor,
                         long openHoldsMinor, KeptTotal kept) {

        boolean agrees() {
            return balanceMinor == journalMinor;
        }

        boolean heldAgrees() {
            return heldMinor == openHoldsMinor;
        }
    }

    /** The sum of an account's entries of journal transactions up to {@code throughTransactionId}. */
    record KeptTotal(long throughTransactionId, long settledMinor, Instant summedInFullAt) {
    }

    record Recorded(List<Finding> added, List<Mismatch> resolved) {

        static final Recorded NOTHING = new Recorded(List.of(), List.of());

        Recorded and(Recorded other) {
            return new Recorded(Stream.concat(added.stream(), other.added.stream()).toList(),
                    Stream.concat(resolved.stream(), other.resolved.stream()).toList());
        }
    }

    /** A mismatch as the report shows it. */
    record Mismatch(String check, String subject, String voucherId, String expected, String found, Instant firstSeen,
                    Instant lastSeen) {
    }
}
