package io.qrvoucher.reliability;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The bank's promises (SPEC "Money invariants"), checked after a load has ended and every
 * voucher's validity has run out: every accepted request reached a final outcome, no voucher moved
 * money twice, the ledger balances, no hold is left open, and the vouchers agree with the ledger.
 */
final class Invariants {

    private static final Set<String> FINAL = Set.of("REJECTED", "REDEEMED", "REDEEM_FAILED", "CANCELLED", "EXPIRED");

    private final Api api;
    private final Map<String, String> tokens;
    private final JdbcClient ledger;

    Invariants(Api api, Map<String, String> tokens, JdbcClient ledger) {
        this.api = api;
        this.tokens = tokens;
        this.ledger = ledger;
    }

    /** What a run came to; {@code violations} must be empty. */
    record Report(Map<String, Integer> voucherOutcomes, Map<String, Integer> redemptionOutcomes,
                  Map<String, Long> violations) {

        long totalViolations() {
            return violations.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    long totalOfAllBalances() {
        return ledger.sql("SELECT coalesce(sum(balance_minor), 0) FROM accounts").query(Long.class).single();
    }

    /** Waits (bounded) for every accepted request to settle, then checks every promise. */
    Report check(Load load, long balancesBefore, Duration settleWithin) {
        Map<String, String> statuses = new ConcurrentHashMap<>();
        Map<String, String> redemptions = new ConcurrentHashMap<>();
        try {
            await("every accepted request settles").atMost(settleWithin).pollInterval(Duration.ofSeconds(1)).until(() -> {
                for (String voucherId : load.acceptedVouchers().keySet()) {
                    if (!FINAL.contains(statuses.getOrDefault(voucherId, ""))) {
                        Api.Response voucher = api.send("GET", "/api/vouchers/" + voucherId, tokens.get("alice"), null, null);
                        if (voucher.ok()) {
                            statuses.put(voucherId, voucher.string("status"));
                        }
                    }
                }
                for (Map.Entry<String, String> redemption : load.acceptedRedemptions().entrySet()) {
                    if ("PENDING".equals(redemptions.getOrDefault(redemption.getKey(), "PENDING"))) {
                        Api.Response found = api.send("GET", "/api/redemptions/" + redemption.getKey(),
                                tokens.get(redemption.getValue()), null, null);
                        if (found.ok()) {
                            redemptions.put(redemption.getKey(), outcomeOf(found));
                        }
                    }
                }
                return statuses.values().stream().filter(FINAL::contains).count() == load.acceptedVouchers().size()
                        && redemptions.size() == load.acceptedRedemptions().size()
                        && !redemptions.containsValue("PENDING")
                        && openHoldsOfFinalVouchers(statuses) == 0;
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // counted below as requests stuck without a final outcome
        }

        Map<String, Long> violations = new LinkedHashMap<>();
        violations.put("vouchers without a final status", load.acceptedVouchers().keySet().stream()
                .filter(id -> !FINAL.contains(statuses.getOrDefault(id, ""))).count());
        violations.put("redemptions without an outcome", load.acceptedRedemptions().keySet().stream()
                .filter(id -> !redemptions.containsKey(id) || "PENDING".equals(redemptions.get(id))).count());
        violations.put("vouchers that moved money more than once", ledger.sql("""
                SELECT count(*) FROM (SELECT voucher_id FROM journal_transactions WHERE kind = 'VOUCHER_REDEMPTION'
                                      GROUP BY voucher_id HAVING count(*) > 1) twice""").query(Long.class).single());
        violations.put("money created or destroyed (minor units)", Math.abs(totalOfAllBalances() - balancesBefore));
        violations.put("unbalanced journal transactions", ledger.sql("""
                SELECT count(*) FROM (SELECT transaction_id FROM journal_entries GROUP BY transaction_id
                                      HAVING sum(amount_minor) <> 0) unbalanced""").query(Long.class).single());
        violations.put("customer accounts below zero available", ledger.sql(
                "SELECT count(*) FROM accounts WHERE kind = 'CUSTOMER' AND balance_minor - held_minor < 0")
                .query(Long.class).single());
        violations.put("holds left open on final vouchers", openHoldsOfFinalVouchers(statuses));
        Set<String> moved = Set.copyOf(ledger.sql("SELECT voucher_id FROM journal_transactions WHERE kind = 'VOUCHER_REDEMPTION'")
                .query(String.class).list());
        violations.put("vouchers whose status and ledger disagree", load.acceptedVouchers().keySet().stream()
                .filter(id -> FINAL.contains(statuses.getOrDefault(id, "")))
                .filter(id -> "REDEEMED".equals(statuses.get(id)) != moved.contains(id)).count());
        violations.put("vouchers with more than one successful redemption", redemptionsPerVoucher(load, redemptions));

        return new Report(count(statuses.values()), count(redemptions.values()), violations);
    }

    /**
     * The redemption's status as its owner decided it. A redemption of a final voucher that is not the voucher's
     * own reads REJECTED before its owner has even read it (it can only be refused): without the time its owner
     * read it at, it has no outcome yet, so that a request lost on the way is not taken for a refused one.
     */
    private static String outcomeOf(Api.Response redemption) {
        String status = redemption.string("status");
        return "REJECTED".equals(status) && redemption.string("requestedAt") == null ? "PENDING" : status;
    }

    /** A final voucher's hold is released (or captured) a moment after its status is final: wait for it too. */
    private long openHoldsOfFinalVouchers(Map<String, String> statuses) {
        List<String> open = ledger.sql("SELECT voucher_id FROM holds WHERE state = 'HELD'").query(String.class).list();
        return open.stream().filter(id -> FINAL.contains(statuses.getOrDefault(id, ""))).count();
    }

    private long redemptionsPerVoucher(Load load, Map<String, String> redemptions) {
        Map<String, Integer> succeeded = new HashMap<>();
        for (Map.Entry<String, String> redemption : redemptions.entrySet()) {
            if ("SUCCEEDED".equals(redemption.getValue())) {
                Api.Response found = api.send("GET", "/api/redemptions/" + redemption.getKey(),
                        tokens.get(load.acceptedRedemptions().get(redemption.getKey())), null, null);
                succeeded.merge(found.string("voucherId"), 1, Integer::sum);
            }
        }
        return succeeded.values().stream().filter(count -> count > 1).count();
    }

    private static Map<String, Integer> count(java.util.Collection<String> values) {
        Map<String, Integer> counts = new java.util.TreeMap<>();
        values.forEach(value -> counts.merge(value, 1, Integer::sum));
        return counts;
    }
}
