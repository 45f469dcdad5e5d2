package io.qrvoucher.voucher.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * The pure state machine on its own, without Kafka or Avro: one voucher, any interleaving of
 * redemptions (genuine or not, of any amount), cancels, redelivered and late ledger answers, and time.
 * Whatever happens, the voucher asks for one freeze, one transfer and one release at most, never a
 * release after a transfer went through, never more than its face value, and a final status stays.
 */
class VoucherLifecyclePropertyTest {

    private static final Instant START = Instant.parse("2026-11-30T02:00:00Z");
    private static final String CODE_HASH = "ab".repeat(32);
    private static final long FACE_VALUE = 500_00;

    private final VoucherLifecycle lifecycle = new VoucherLifecycle(VoucherPolicy.standard(ZoneId.of("Asia/Shanghai")));

    sealed interface Step {
    }

    record Redeem(String payee, Long amountMinor, boolean genuine) implements Step {
    }

    record Cancel(String customer) implements Step {
    }

    /** The ledger answers the {@code index}-th command asked for so far (again, if it answered it before). */
    record Answer(int index, boolean succeeds) implements Step {
    }

    record Advance(int minutes) implements Step {
    }

    @Property(tries = 500)
    void noInterleavingMovesMoneyTwiceOrUndoesAFinalStatus(@ForAll("steps") List<Step> steps) {
        Instant now = START;
        List<LedgerCommand> commands = new ArrayList<>();
        List<VoucherStatus> statuses = new ArrayList<>();
        boolean transferred = false;
        Optional<Voucher> voucher = Optional.empty();

        Decision generated = lifecycle.apply(voucher, new VoucherRequest.Generate("g", "v", "alice", now, "alice-cny",
                new Money(FACE_VALUE, "CNY"), Optional.empty(), CODE_HASH), now);
        voucher = record(generated, voucher, commands, statuses);

        for (Step step : steps) {
            Decision decision;
            if (step instanceof Redeem redeem) {
                decision = lifecycle.apply(voucher, new VoucherRequest.Redeem("r" + commands.size() + statuses.size(), "v",
                        redeem.payee(), now, redeem.genuine() ? CODE_HASH : "cd".repeat(32),
                        Optional.ofNullable(redeem.amountMinor()), new Destination.OwnAccount(redeem.payee() + "-cny")), now);
            } else if (step instanceof Cancel cancel) {
                decision = lifecycle.apply(voucher, new VoucherRequest.Cancel("c" + statuses.size(), "v", cancel.customer(),
                        now), now);
            } else if (step instanceof Answer answer && !commands.isEmpty()) {
                LedgerCommand command = commands.get(answer.index() % commands.size());
                LedgerResult.Outcome outcome = outcomeOf(command, answer.succeeds());
                transferred |= outcome == LedgerResult.Outcome.TRANSFERRED;
                decision = lifecycle.apply(voucher, new LedgerResult("v", command.commandId(), outcome,
                        answer.succeeds() ? null : "REFUSED"), now);
            } else if (step instanceof Advance advance) {
                now = now.plus(Duration.ofMinutes(advance.minutes()));
                Instant later = now;
                decision = voucher.map(current -> lifecycle.expireIfDue(current, later)).orElse(Decision.nothing());
            } else {
                continue;
            }
            boolean releaseAfterTransfer = transferred
                    && decision.commands().stream().anyMatch(LedgerCommand.Release.class::isInstance);
            assertThat(releaseAfterTransfer).as("a release after the transfer went through").isFalse();
            voucher = record(decision, voucher, commands, statuses);
        }

        assertThat(commands).filteredOn(LedgerCommand.Freeze.class::isInstance).hasSizeLessThanOrEqualTo(1);
        assertThat(commands).filteredOn(LedgerCommand.Transfer.class::isInstance).hasSizeLessThanOrEqualTo(1)
                .allSatisfy(transfer -> assertThat(((LedgerCommand.Transfer) transfer).amount().minorUnits())
                        .isPositive().isLessThanOrEqualTo(FACE_VALUE));
        assertThat(commands).filteredOn(LedgerCommand.Release.class::isInstance).hasSizeLessThanOrEqualTo(1);
        int firstFinal = statuses.indexOf(statuses.stream().filter(VoucherStatus::isFinal).findFirst().orElse(null));
        if (firstFinal >= 0) {
            assertThat(statuses.subList(firstFinal, statuses.size())).as("a final status never changes")
                    .containsOnly(statuses.get(firstFinal));
        }
    }

    /**
     * However late a generation is handled (held up, or replayed after its voucher was forgotten): past the validity it
     * asked for it freezes nothing; before, it is decided as if handled at once, but changed when it was handled (the
     * stall watchdog counts from then).
     */
    @Property(tries = 300)
    void aGenerationHandledLateFreezesOnlyWhileItsValidityLasts(@ForAll("delays") Duration delay,
                                                                @ForAll("validities") Duration validity) {
        Instant expiresAt = START.plus(validity);
        VoucherRequest.Generate generation = new VoucherRequest.Generate("g", "v", "alice", START, "alice-cny",
                new Money(FACE_VALUE, "CNY"), Optional.of(expiresAt), CODE_HASH);

        Decision late = lifecycle.apply(Optional.empty(), generation, START.plus(delay));

        if (START.plus(delay).isBefore(expiresAt)) {
            Decision atOnce = lifecycle.apply(Optional.empty(), generation, START);
            assertThat(late.commands()).isEqualTo(atOnce.commands());
            assertThat(late.events()).extracting(VoucherEvent::type).isEqualTo(atOnce.events().stream().map(VoucherEvent::type).toList());
            Voucher made = late.stateAfter(Optional.empty()).orElseThrow();
            assertThat(made).usingRecursiveComparison().ignoringFields("updatedAt")
                    .isEqualTo(atOnce.stateAfter(Optional.empty()).orElseThrow());
            assertThat(made.updatedAt()).isEqualTo(START.plus(delay));
            assertThat(made.createdAt()).isEqualTo(START);
        } else {
            assertThat(late.commands()).as("no freeze").isEmpty();
            assertThat(late.stateAfter(Optional.empty()).orElseThrow().status()).isEqualTo(VoucherStatus.REJECTED);
        }
    }

    @Provide
    Arbitrary<Duration> delays() {
        return Arbitraries.longs().between(0, Duration.ofDays(500).toMinutes()).map(Duration::ofMinutes);
    }

    @Provide
    Arbitrary<Duration> validities() {
        return Arbitraries.longs().between(1, Duration.ofHours(20).toMinutes()).map(Duration::ofMinutes);
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<String> customer = Arbitraries.of("alice", "bob", "carol");
        Arbitrary<Step> redeem = Combinators.combine(customer,
                        Arbitraries.longs().between(-1, FACE_VALUE + 100).injectNull(0.4), Arbitraries.of(true, true, false))
                .as(Redeem::new);
        Arbitrary<Step> cancel = customer.map(Cancel::new);
        Arbitrary<Step> answer = Combinators.combine(Arbitraries.integers().between(0, 10), Arbitraries.of(true, true, false))
                .as(Answer::new);
        Arbitrary<Step> advance = Arbitraries.integers().between(1, 24 * 60).map(Advance::new);
        return Arbitraries.frequencyOf(Tuple.of(3, redeem), Tuple.of(1, cancel), Tuple.of(5, answer), Tuple.of(1, advance))
                .list().ofMinSize(1).ofMaxSize(40);
    }

    private static Optional<Voucher> record(Decision decision, Optional<Voucher> before, List<LedgerCommand> commands,
                                            List<VoucherStatus> statuses) {
        commands.addAll(decision.commands());
        Optional<Voucher> after = decision.stateAfter(before);
        after.ifPresent(voucher -> statuses.add(voucher.status()));
        return after;
    }

    private static LedgerResult.Outcome outcomeOf(LedgerCommand command, boolean succeeds) {
        if (command instanceof LedgerCommand.Freeze) {
            return succeeds ? LedgerResult.Outcome.FROZEN : LedgerResult.Outcome.FREEZE_REFUSED;
        }
        if (command instanceof LedgerCommand.Transfer) {
            return succeeds ? LedgerResult.Outcome.TRANSFERRED : LedgerResult.Outcome.TRANSFER_FAILED;
        }
        return succeeds ? LedgerResult.Outcome.RELEASED : LedgerResult.Outcome.RELEASE_REFUSED;
    }
}
