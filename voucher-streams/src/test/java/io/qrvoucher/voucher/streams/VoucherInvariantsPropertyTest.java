package io.qrvoucher.voucher.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.qrvoucher.avro.FreezeFunds;
import io.qrvoucher.avro.LedgerCommand;
import io.qrvoucher.avro.LedgerOutcome;
import io.qrvoucher.avro.ReleaseFunds;
import io.qrvoucher.avro.TransferFunds;
import io.qrvoucher.avro.VoucherRequest;
import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.avro.VoucherStatus;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random interleavings of customers' requests, redelivered requests, ledger answers (late,
 * duplicated, failing) and the passing of time, driven through the topology. Whatever the order,
 * the commands it emits keep the bank's promises.
 */
class VoucherInvariantsPropertyTest {

    private static final String[] CUSTOMERS = {"alice", "bob", "carol"};

    sealed interface Step {
    }

    record Generate(int voucher, int payer, long amountMinor) implements Step {
    }

    record Redeem(int voucher, int payee, Long amountMinor, boolean wrongCode) implements Step {
    }

    record Cancel(int voucher, int customer) implements Step {
    }

    /** Sends again a request sent before, with its request id: a redelivery. */
    record Redeliver(int index) implements Step {
    }

    /** The ledger answers a command it received before; a second answer to one command is a duplicate. */
    record Answer(int index, boolean succeeds) implements Step {
    }

    record Advance(int minutes) implements Step {
    }

    @Property(tries = 150)
    void everyInterleavingKeepsTheMoneyInvariants(@ForAll("scenarios") List<Step> steps) {
        // Every state listed: the statuses' histories below are read from the list entries.
        try (VoucherTopologyFixture topology = VoucherTopologyFixture.listingEveryState()) {
            Run run = new Run(topology);
            steps.forEach(run::apply);
            run.settleEverything();
            run.assertInvariants();
        }
    }

    @Provide
    Arbitrary<List<Step>> scenarios() {
        Arbitrary<Integer> voucher = Arbitraries.integers().between(0, 3);
        Arbitrary<Integer> customer = Arbitraries.integers().between(0, CUSTOMERS.length - 1);
        Arbitrary<Step> generate = Combinators.combine(voucher, customer, Arbitraries.longs().between(-1, 1200_00))
                .as(Generate::new);
        Arbitrary<Step> redeem = Combinators.combine(voucher, customer,
                        Arbitraries.longs().between(0, 1200_00).injectNull(0.5), Arbitraries.of(false, false, false, true))
                .as(Redeem::new);
        Arbitrary<Step> cancel = Combinators.combine(voucher, customer).as(Cancel::new);
        Arbitrary<Step> redeliver = Arbitraries.integers().between(0, 1000).map(Redeliver::new);
        Arbitrary<Step> answer = Combinators.combine(Arbitraries.integers().between(0, 1000),
                Arbitraries.of(true, true, true, false)).as(Answer::new);
        Arbitrary<Step> advance = Arbitraries.integers().between(1, 8 * 60).map(Advance::new);
        return Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(3, generate),
                        net.jqwik.api.Tuple.of(4, redeem),
                        net.jqwik.api.Tuple.of(2, cancel),
                        net.jqwik.api.Tuple.of(2, redeliver),
                        net.jqwik.api.Tuple.of(6, answer),
                        net.jqwik.api.Tuple.of(1, advance))
                .list().ofMinSize(5).ofMaxSize(60);
    }

    /** One scenario: the topology, the requests sent, and a ledger that answers each command consistently. */
    private static final class Run {

        private final VoucherTopologyFixture topology;
        private final List<LedgerCommand> commands = new ArrayList<>();
        private final Map<String, LedgerOutcome> outcomes = new HashMap<>();
        private final Map<String, List<VoucherStatus>> statuses = new LinkedHashMap<>();

        Run(VoucherTopologyFixture topology) {
            this.topology = topology;
        }

        void apply(Step step) {
            if (step instanceof Generate g) {
                topology.generate(id(g.voucher()), CUSTOMERS[g.payer()], g.amountMinor());
            } else if (step instanceof Redeem r) {
                String code = r.wrongCode() ? "forged" : VoucherTopologyFixture.codeOf(id(r.voucher()));
                topology.redeemWithCode(id(r.voucher()), CUSTOMERS[r.payee()], code, r.amountMinor());
            } else if (step instanceof Cancel c) {
                topology.cancel(id(c.voucher()), CUSTOMERS[c.customer()]);
            } else if (step instanceof Redeliver d && !topology.sentRequests().isEmpty()) {
                List<VoucherRequest> sent = topology.sentRequests();
                topology.send(sent.get(d.index() % sent.size()));
            } else if (step instanceof Answer a && !commands.isEmpty()) {
                answer(commands.get(a.index() % commands.size()), a.succeeds());
            } else if (step instanceof Advance t) {
                topology.advance(Duration.ofMinutes(t.minutes()));
            }
            collect();
        }

        /** Answers every command and lets every validity run out, until nothing more is asked for. */
        void settleEverything() {
            topology.advance(Duration.ofDays(2));
            collect();
            for (int answered = 0; answered < commands.size(); answered++) {
                answer(commands.get(answered), true);
                collect();
                if (answered == commands.size() - 1) {
                    topology.advance(Duration.ofDays(2));
                    collect();
                }
            }
        }

        void assertInvariants() {
            Map<String, Long> faceValues = new HashMap<>();
            Map<String, Integer> transfers = new HashMap<>();
            Map<String, Integer> releases = new HashMap<>();
            for (LedgerCommand command : commands) {
                String voucher = command.getVoucherId();
                if (command.getBody() instanceof FreezeFunds freeze) {
                    assertThat(faceValues.put(voucher, freeze.getAmountMinor())).as("one freeze per voucher").isNull();
                } else if (command.getBody() instanceof TransferFunds transfer) {
                    transfers.merge(voucher, 1, Integer::sum);
                    assertThat(outcomes.get(voucher + "/freeze")).as("transfer only from a confirmed hold")
                            .isEqualTo(LedgerOutcome.FROZEN);
                    assertThat(transfer.getAmountMinor()).as("transfer within the face value")
                            .isPositive().isLessThanOrEqualTo(faceValues.get(voucher));
                } else if (command.getBody() instanceof ReleaseFunds) {
                    releases.merge(voucher, 1, Integer::sum);
                    assertThat(outcomes.get(voucher + "/freeze")).as("release only of a confirmed hold")
                            .isEqualTo(LedgerOutcome.FROZEN);
                }
            }
            transfers.forEach((voucher, count) -> assertThat(count).as("transfers of " + voucher).isEqualTo(1));
            for (String voucher : faceValues.keySet()) {
                boolean held = outcomes.get(voucher + "/freeze") == LedgerOutcome.FROZEN;
                boolean captured = outcomes.get(voucher + "/transfer") == LedgerOutcome.TRANSFERRED;
                int released = releases.getOrDefault(voucher, 0);
                assertThat((captured ? 1 : 0) + released)
                        .as("the hold of " + voucher + " ends exactly once")
                        .isEqualTo(held ? 1 : 0);
                VoucherState state = topology.stored(voucher);
                assertThat(state.getStatus().name()).as("settled").isNotIn("PENDING", "UNUSED", "REDEEMING");
            }
            statuses.forEach((voucher, history) -> {
                int firstFinal = firstFinalIndex(history);
                if (firstFinal >= 0) {
                    assertThat(history.subList(firstFinal, history.size()))
                            .as("final status of " + voucher + " never changes").containsOnly(history.get(firstFinal));
                }
            });
        }

        private void answer(LedgerCommand command, boolean succeeds) {
            LedgerOutcome outcome = outcomes.computeIfAbsent(command.getCommandId(), id -> {
                if (command.getBody() instanceof FreezeFunds) {
                    return succeeds ? LedgerOutcome.FROZEN : LedgerOutcome.FREEZE_REFUSED;
                }
                if (command.getBody() instanceof TransferFunds) {
                    return succeeds ? LedgerOutcome.TRANSFERRED : LedgerOutcome.TRANSFER_FAILED;
                }
                return LedgerOutcome.RELEASED;
            });
            String suffix = command.getCommandId().substring(command.getVoucherId().length());
            topology.ledgerAnswers(command.getVoucherId(), suffix, outcome, outcome.name().endsWith("ED") ? null : "TEST");
        }

        private void collect() {
            commands.addAll(topology.commands());
            topology.events();
            for (VoucherState state : topology.states()) {
                statuses.computeIfAbsent(state.getVoucherId(), v -> new ArrayList<>()).add(state.getStatus());
            }
        }

        private static int firstFinalIndex(List<VoucherStatus> history) {
            for (int i = 0; i < history.size(); i++) {
                if (!List.of(VoucherStatus.PENDING, VoucherStatus.UNUSED, VoucherStatus.REDEEMING).contains(history.get(i))) {
                    return i;
                }
            }
            return -1;
        }

        private static String id(int voucher) {
            return "v" + voucher;
        }
    }
}
