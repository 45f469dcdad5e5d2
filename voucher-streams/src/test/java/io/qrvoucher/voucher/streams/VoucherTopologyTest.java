package io.qrvoucher.voucher.streams;

import static io.qrvoucher.voucher.streams.VoucherTopologyFixture.END_OF_START_DAY;
import static io.qrvoucher.voucher.streams.VoucherTopologyFixture.PUNCTUATION_INTERVAL;
import static io.qrvoucher.voucher.streams.VoucherTopologyFixture.STALLED_AFTER;
import static io.qrvoucher.voucher.streams.VoucherTopologyFixture.codeOf;
import static io.qrvoucher.voucher.streams.VoucherTopologyFixture.hashOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import io.qrvoucher.avro.AttemptKind;
import io.qrvoucher.avro.CustomerAttempt;
import io.qrvoucher.avro.CustomerSettings;
import io.qrvoucher.avro.ExternalAccount;
import io.qrvoucher.avro.FreezeFunds;
import io.qrvoucher.avro.GenerateVoucher;
import io.qrvoucher.avro.HoldState;
import io.qrvoucher.avro.LedgerCommand;
import io.qrvoucher.avro.LedgerOutcome;
import io.qrvoucher.avro.OwnAccount;
import io.qrvoucher.avro.RedemptionMode;
import io.qrvoucher.avro.ReleaseFunds;
import io.qrvoucher.avro.SettingsChange;
import io.qrvoucher.avro.StepUpPolicy;
import io.qrvoucher.avro.TransferFunds;
import io.qrvoucher.avro.VoucherEvent;
import io.qrvoucher.avro.VoucherEventType;
import io.qrvoucher.avro.VoucherRequest;
import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.schemas.DeadLetterHeaders;

class VoucherTopologyTest {

    private final VoucherTopologyFixture topology = new VoucherTopologyFixture();

    @AfterEach
    void closeDriver() {
        topology.close();
    }

    @Nested
    class Generate {

        @Test
        void generateAsksTheLedgerToFreezeAndIssuesOnceFrozen() {
            topology.generate("v1", "alice", 12_34);

            LedgerCommand freeze = single(topology.commands());
            assertThat(freeze.getCommandId()).isEqualTo("v1/freeze");
            assertThat(freeze.getBody()).isEqualTo(new FreezeFunds("alice", "acc-alice", 12_34L, "CNY"));
            assertThat(types(topology.events())).containsExactly(VoucherEventType.REQUESTED);
            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.PENDING);

            topology.ledgerAnswers("v1", "/freeze", LedgerOutcome.FROZEN, null);

            assertThat(types(topology.events())).containsExactly(VoucherEventType.ISSUED);
            VoucherState issued = topology.stored("v1");
            assertThat(issued.getStatus()).isEqualTo(VoucherStatus.UNUSED);
            assertThat(issued.getHoldState()).isEqualTo(HoldState.HELD);
            assertThat(topology.commands()).isEmpty();
        }

        @Test
        void aVoucherIsValidUntilTheEndOfItsGenerationDayInTheBankZone() {
            topology.generate("v1", "alice", 100);

            assertThat(topology.stored("v1").getExpiresAt()).isEqualTo(END_OF_START_DAY);
        }

        @Test
        void aCallerMayAskForAShorterValidity() {
            Instant inOneHour = topology.now().plus(Duration.ofHours(1));
            topology.generate("v1", "alice", 100, "CNY", inOneHour);

            assertThat(topology.stored("v1").getExpiresAt()).isEqualTo(inOneHour);
            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.PENDING);
        }

        @Test
        void aValidityBeyondTheEndOfTheDayIsRejectedAndNothingIsFrozen() {
            topology.generate("v1", "alice", 100, "CNY", END_OF_START_DAY.plusMillis(1));

            assertRejectedWithoutFreeze("v1", "VALIDITY_TOO_LONG");
        }

        @Test
        void aValidityInThePastIsRejected() {
            topology.generate("v1", "alice", 100, "CNY", topology.now());

            assertRejectedWithoutFreeze("v1", "VALIDITY_IN_PAST");
        }

        @Test
        void anAmountAboveTheVoucherCapIsRejected() {
            topology.generate("v1", "alice", 1000_01);

            assertRejectedWithoutFreeze("v1", "AMOUNT_EXCEEDS_VOUCHER_CAP");
        }

        @Test
        void theCapItselfIsAllowed() {
            topology.generate("v1", "alice", 1000_00);

            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.PENDING);
        }

        @Test
        void aNonPositiveAmountIsRejected() {
            topology.generate("v1", "alice", 0);

            assertRejectedWithoutFreeze("v1", "INVALID_AMOUNT");
        }

        @Test
        void anUnknownCurrencyIsRejected() {
            topology.generate("v1", "alice", 100, "XYZ", null);

            assertRejectedWithoutFreeze("v1", "UNSUPPORTED_CURRENCY");
        }

        @Test
        void aFreezeTheLedgerRefusesRejectsTheVoucherWithTheLedgersReason() {
            topology.generate("v1", "bob", 600_00);
            topology.commands();
            topology.events();

            topology.ledgerAnswers("v1", "/freeze", LedgerOutcome.FREEZE_REFUSED, "INSUFFICIENT_FUNDS");

            VoucherEvent rejected = single(topology.events());
            assertThat(rejected.getType()).isEqualTo(VoucherEventType.REJECTED);
            assertThat(rejected.getReason()).isEqualTo("INSUFFICIENT_FUNDS");
            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.REJECTED);
            assertThat(topology.stored("v1").getHoldState()).isEqualTo(HoldState.REFUSED);
            assertThat(topology.commands()).isEmpty();
        }

        @Test
        void aRedeliveredGenerateRequestChangesNothing() {
            String voucherId = "v1";
            topology.generate(voucherId, "alice", 100);
            VoucherState first = topology.stored(voucherId);
            topology.commands();
            topology.events();

            topology.send(io.qrvoucher.avro.VoucherRequest.newBuilder()
                    .setRequestId(first.getGenerateRequestId())
                    .setVoucherId(voucherId)
                    .setCustomerId("alice")
                    .setRequestedAt(topology.now())
                    .setBody(new io.qrvoucher.avro.GenerateVoucher("acc-alice", 100L, "CNY", null, hashOf(codeOf(voucherId))))
                    .build());

            assertThat(topology.commands()).isEmpty();
            assertThat(topology.events()).isEmpty();
            assertThat(topology.stored(voucherId)).isEqualTo(first);
        }

        @Test
        void anotherGenerateForAnExistingVoucherIdIsRefused() {
            topology.issue("v1", "alice", 100);
            VoucherState before = topology.stored("v1");
            topology.commands();
            topology.events();

            topology.generate("v1", "mallory", 100);

            assertRefused(single(topology.events()), "DUPLICATE_VOUCHER_ID");
            assertThat(topology.commands()).isEmpty();
            assertThat(topology.stored("v1")).isEqualTo(before);
        }

        private void assertRejectedWithoutFreeze(String voucherId, String reason) {
            assertThat(topology.commands()).isEmpty();
            VoucherEvent rejected = single(topology.events());
            assertThat(rejected.getType()).isEqualTo(VoucherEventType.REJECTED);
            assertThat(rejected.getReason()).isEqualTo(reason);
            assertThat(topology.stored(voucherId).getStatus()).isEqualTo(VoucherStatus.REJECTED);
            assertThat(topology.stored(voucherId).getHoldState()).isEqualTo(HoldState.NONE);
        }
    }

    @Nested
    class Redeem {

        @Test
        void redeemingInFullTransfersTheFaceValueAndEndsRedeemed() {
            issued("v1", 500_00);

            String redemption = topology.redeem("v1", "bob", null);

            LedgerCommand transfer = single(topology.commands());
            assertThat(transfer.getCommandId()).isEqualTo("v1/transfer");
            assertThat(transfer.getBody()).isEqualTo(new TransferFunds(500_00L, "CNY", "bob", new OwnAccount("acc-bob")));
            VoucherEvent started = single(topology.events());
            assertThat(started.getType()).isEqualTo(VoucherEventType.REDEMPTION_STARTED);
            assertThat(started.getRequestId()).isEqualTo(redemption);
            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.REDEEMING);

            topology.ledgerAnswers("v1", "/transfer", LedgerOutcome.TRANSFERRED, null);

            VoucherEvent redeemed = single(topology.events());
            assertThat(redeemed.getType()).isEqualTo(VoucherEventType.REDEEMED);
            assertThat(redeemed.getVoucher().getRedemption().getAmountMinor()).isEqualTo(500_00L);
            assertThat(redeemed.getVoucher().getRedemption().getPayeeCustomerId()).isEqualTo("bob");
            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.REDEEMED);
            assertThat(topology.stored("v1").getHoldState()).isEqualTo(HoldState.CAPTURED);
            assertThat(topology.commands()).isEmpty();
        }

        @Test
        void aPartialRedemptionTransfersOnlyTheAmountAskedFor() {
            issued("v1", 500_00);

            topology.redeem("v1", "bob", 120_50L);

            assertThat(((TransferFunds) single(topology.commands()).getBody()).getAmountMinor()).isEqualTo(120_50L);
            topology.ledgerAnswers("v1", "/transfer", LedgerOutcome.TRANSFERRED, null);
            assertThat(topology.stored("v1").getRedemption().getAmountMinor()).isEqualTo(120_50L);
            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.REDEEMED);
        }

        @Test
        void aRedemptionToAnotherBankCarriesTheDestinationDetails() {
            issued("v1", 500_00);

            topology.redeemToOtherBank("v1", "carol");

            TransferFunds transfer = (TransferFunds) single(topology.commands()).getBody();
            assertThat(transfer.getDestination()).isEqualTo(new ExternalAccount("ICBC", "Dan", "6222 0000"));
        }

        @Test
        void redeemTwiceTransfersOnce() {
            issued("v1", 500_00);

            topology.redeem("v1", "bob", null);
            topology.redeem("v1", "carol", null);

            assertThat(topology.commands()).hasSize(1);
            List<VoucherEvent> events = topology.events();
            assertThat(types(events)).containsExactly(VoucherEventType.REDEMPTION_STARTED, VoucherEventType.REQUEST_REFUSED);
            assertRefused(events.get(1), "ALREADY_REDEEMED");

            topology.ledgerAnswers("v1", "/transfer", LedgerOutcome.TRANSFERRED, null);
            topology.redeem("v1", "carol", null);

            assertThat(topology.commands()).isEmpty();
            assertRefused(last(topology.events()), "ALREADY_REDEEMED");
        }

        @Test
        void aRedeliveredRedeemRequestIsIgnored() {
            issued("v1", 500_00);
            topology.redeem("v1", "bob", null);
            VoucherState redeeming = topology.stored("v1");
            topology.commands();
            topology.events();

            topology.send(io.qrvoucher.avro.VoucherRequest.newBuilder()
                    .setRequestId(redeeming.getRedemption().getRequestId())
                    .setVoucherId("v1")
                    .setCustomerId("bob")
                    .setRequestedAt(topology.now())
                    .setBody(new io.qrvoucher.avro.RedeemVoucher(hashOf(codeOf("v1")), null, new OwnAccount("acc-bob")))
                    .build());

            assertThat(topology.commands()).isEmpty();
            assertThat(topology.events()).isEmpty();
            assertThat(topology.stored("v1")).isEqualTo(redeeming);
        }

        @Test
        void aRedemptionRefusedWhilePendingAndRetriedWithItsKeyOnceIssuedMovesNothing() {
            topology.generate("v1", "alice", 500_00);
            String refused = topology.redeem("v1", "bob", null);
            topology.ledgerAnswers("v1", "/freeze", LedgerOutcome.FROZEN, null);
            topology.commands();
            topology.events();

            topology.redeemAs(refused, "v1", "bob", codeOf("v1"), null);

            assertThat(topology.commands()).isEmpty();
            assertThat(topology.events()).isEmpty();
            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.UNUSED);
        }

        @Test
        void aFailedTransferEndsRedeemFailedAndReleasesTheWholeHold() {
            issued("v1", 500_00);
            topology.redeem("v1", "bob", 100_00L);
            topology.commands();
            topology.events();

            topology.ledgerAnswers("v1", "/transfer", LedgerOutcome.TRANSFER_FAILED, "DESTINATION_CLOSED");

            LedgerCommand release = single(topology.commands());
            assertThat(release.getCommandId()).isEqualTo("v1/release");
            assertThat(release.getBody()).isInstanceOf(ReleaseFunds.class);
            VoucherEvent failed = single(topology.events());
            assertThat(failed.getType()).isEqualTo(VoucherEventType.REDEEM_FAILED);
            assertThat(failed.getReason()).isEqualTo("DESTINATION_CLOSED");
            assertThat(topology.stored("v1").getHoldState()).isEqualTo(HoldState.RELEASING);

            topology.ledgerAnswers("v1", "/release", LedgerOutcome.RELEASED, null);

            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.REDEEM_FAILED);
            assertThat(topology.stored("v1").getHoldState()).isEqualTo(HoldState.RELEASED);
        }

        @Test
        void aFailedRedemptionCannotBeRetried() {
            issued("v1", 500_00);
            topology.redeem("v1", "bob", null);
            topology.ledgerAnswers("v1", "/transfer", LedgerOutcome.TRANSFER_FAILED, "LEDGER_UNAVAILABLE");
            topology.commands();

            topology.redeem("v1", "bob", null);

            assertThat(topology.commands()).isEmpty();
            assertRefused(last(topology.events()), "ALREADY_REDEEMED");
        }

        @Test
        void aLedgerResultDeliveredTwiceIsAppliedOnce() {
            issued("v1", 500_00);
            topology.redeem("v1", "bob", null);
            topology.ledgerAnswers("v1", "/transfer", LedgerOutcome.TRANSFERRED, null);
            VoucherState redeemed = topology.stored("v1");
            topology.commands();
            topology.events();

            topology.ledgerAnswers("v1", "/transfer", LedgerOutcome.TRANSFERRED, null);
            topology.ledgerAnswers("v1", "/transfer", LedgerOutcome.TRANSFER_FAILED, "LATE");
            topology.ledgerAnswers("v1", "/freeze", LedgerOutcome.FROZEN, null);

            assertThat(topology.commands()).isEmpty();
            assertThat(topology.events()).isEmpty();
            assertThat(topology.stored("v1")).isEqualTo(redeemed);
        }

        @Test
        void aWrongCodeIsRefusedAsInvalidWithoutRevealingTheVoucher() {
            issued("v1", 500_00);

            topology.redeemWithCode("v1", "mallory", "guessed", null);

            VoucherEvent refused = single(topology.events());
            assertRefused(refused, "INVALID_CODE");
            assertThat(refused.getVoucher()).isNull();
            assertThat(topology.commands()).isEmpty();
            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.UNUSED);
        }

        @Test
        void aCodeForNoVoucherIsRefusedAsInvalid() {
            topology.redeem("nope", "mallory", null);

            assertRefused(single(topology.events()), "INVALID_CODE");
            assertThat(topology.stored("nope")).isNull();
        }

        @Test
        void anAmountAboveTheFaceValueIsRefused() {
            issued("v1", 500_00);

            topology.redeem("v1", "bob", 500_01L);

            assertRefused(single(topology.events()), "AMOUNT_EXCEEDS_FACE_VALUE");
            assertThat(topology.commands()).isEmpty();
            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.UNUSED);
        }

        @Test
        void aZeroAmountIsRefused() {
            issued("v1", 500_00);

            topology.redeem("v1", "bob", 0L);

            assertRefused(single(topology.events()), "INVALID_AMOUNT");
        }

        @Test
        void aVoucherWhoseFreezeIsPendingCannotBeRedeemed() {
            topology.generate("v1", "alice", 100);
            topology.commands();
            topology.events();

            topology.redeem("v1", "bob", null);

            assertRefused(single(topology.events()), "VOUCHER_NOT_ISSUED");
            assertThat(topology.commands()).isEmpty();
        }

        @Test
        void aCancelledVoucherCannotBeRedeemed() {
            issued("v1", 100);
            topology.cancel("v1", "alice");
            topology.commands();
            topology.events();

            topology.redeem("v1", "bob", null);

            assertRefused(single(topology.events()), "CANCELLED");
            assertThat(topology.commands()).isEmpty();
        }

        private void issued(String voucherId, long amountMinor) {
            topology.issue(voucherId, "alice", amountMinor);
            topology.commands();
            topology.events();
        }
    }

    @Nested
    class Cancel {

        @Test
        void thePayerCancelsAnUnusedVoucherAndTheHoldIsReleased() {
            issued("v1");

            String cancel = topology.cancel("v1", "alice");

            LedgerCommand release = single(topology.commands());
            assertThat(release.getCommandId()).isEqualTo("v1/release");
            VoucherEvent cancelled = single(topology.events());
            assertThat(cancelled.getType()).isEqualTo(VoucherEventType.CANCELLED);
            assertThat(cancelled.getRequestId()).isEqualTo(cancel);
            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.CANCELLED);

            topology.ledgerAnswers("v1", "/release", LedgerOutcome.RELEASED, null);
            assertThat(topology.stored("v1").getHoldState()).isEqualTo(HoldState.RELEASED);
        }

        @Test
        void onlyThePayerMayCancel() {
            issued("v1");

            topology.cancel("v1", "bob");

            assertRefused(single(topology.events()), "NOT_OWNER");
            assertThat(topology.commands()).isEmpty();
            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.UNUSED);
        }

        @Test
        void cancellingAnUnknownVoucherIsRefused() {
            topology.cancel("nope", "alice");

            assertRefused(single(topology.events()), "VOUCHER_NOT_FOUND");
        }

        @Test
        void aRedeemedVoucherCannotBeCancelled() {
            issued("v1");
            topology.redeem("v1", "bob", null);
            topology.commands();
            topology.events();

            topology.cancel("v1", "alice");

            assertRefused(single(topology.events()), "ALREADY_REDEEMED");
            assertThat(topology.commands()).isEmpty();
            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.REDEEMING);
        }

        @Test
        void aVoucherWhoseFreezeIsPendingCannotBeCancelledYet() {
            topology.generate("v1", "alice", 100);
            topology.commands();
            topology.events();

            topology.cancel("v1", "alice");

            assertRefused(single(topology.events()), "VOUCHER_NOT_ISSUED");
            assertThat(topology.commands()).isEmpty();
            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.PENDING);
        }

        @Test
        void aCancelRefusedWhilePendingAndRetriedWithItsKeyOnceIssuedStaysRefused() {
            topology.generate("v1", "alice", 100);
            String refused = topology.cancel("v1", "alice");
            topology.ledgerAnswers("v1", "/freeze", LedgerOutcome.FROZEN, null);
            topology.commands();
            topology.events();

            topology.cancelAs(refused, "v1", "alice");

            assertThat(topology.commands()).isEmpty();
            assertThat(topology.events()).isEmpty();
            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.UNUSED);
        }

        @Test
        void cancellingTwiceReleasesOnce() {
            issued("v1");
            topology.cancel("v1", "alice");
            topology.commands();
            topology.events();

            topology.cancel("v1", "alice");

            assertRefused(single(topology.events()), "CANCELLED");
            assertThat(topology.commands()).isEmpty();
        }

        @Test
        void anExpiredVoucherCannotBeCancelled() {
            issued("v1");
            topology.advanceTo(END_OF_START_DAY);
            topology.commands();
            topology.events();

            topology.cancel("v1", "alice");

            assertRefused(single(topology.events()), "EXPIRED");
            assertThat(topology.commands()).isEmpty();
        }

        /** Before session 22 a pending voucher could be cancelled: stores may still hold one whose freeze is in flight. */
        @Test
        void aFreezeThatLandsOnAVoucherCancelledWhilePendingIsReleasedAtOnce() {
            topology.seedVoucherOnly("v1", io.qrvoucher.voucher.domain.VoucherStatus.CANCELLED,
                    io.qrvoucher.voucher.domain.HoldState.REQUESTED, END_OF_START_DAY);
            topology.buildIndexes();

            topology.ledgerAnswers("v1", "/freeze", LedgerOutcome.FROZEN, null);

            assertThat(single(topology.commands()).getCommandId()).isEqualTo("v1/release");
            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.CANCELLED);
            assertThat(topology.stored("v1").getHoldState()).isEqualTo(HoldState.RELEASING);

            topology.ledgerAnswers("v1", "/freeze", LedgerOutcome.FROZEN, null);
            assertThat(topology.commands()).as("a duplicate freeze result releases nothing more").isEmpty();
        }

        @Test
        void aFreezeRefusedForAVoucherCancelledWhilePendingNeedsNoRelease() {
            topology.seedVoucherOnly("v1", io.qrvoucher.voucher.domain.VoucherStatus.CANCELLED,
                    io.qrvoucher.voucher.domain.HoldState.REQUESTED, END_OF_START_DAY);
            topology.buildIndexes();

            topology.ledgerAnswers("v1", "/freeze", LedgerOutcome.FREEZE_REFUSED, "INSUFFICIENT_FUNDS");

            assertThat(topology.commands()).isEmpty();
            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.CANCELLED);
            assertThat(topology.stored("v1").getHoldState()).isEqualTo(HoldState.REFUSED);
        }

        private void issued(String voucherId) {
            topology.issue(voucherId, "alice", 100_00);
            topology.commands();
            topology.events();
        }
    }

    @Nested
    class Expire {

        @Test
        void anUnusedVoucherExpiresWithinAPunctuationOfItsEndAndItsHoldIsReleased() {
            topology.issue("v1", "alice", 100);
            topology.commands();
            topology.events();

            topology.advanceTo(END_OF_START_DAY.minus(PUNCTUATION_INTERVAL));
            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.UNUSED);

            topology.advanceTo(END_OF_START_DAY.plus(PUNCTUATION_INTERVAL));

            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.EXPIRED);
            assertThat(single(topology.events()).getType()).isEqualTo(VoucherEventType.EXPIRED);
            assertThat(single(topology.commands()).getCommandId()).isEqualTo("v1/release");
            assertThat(topology.expiryIndexSize()).isZero();
        }

        @Test
        void aVoucherBeingRedeemedIsNeverExpired() {
            topology.issue("v1", "alice", 100);
            topology.redeem("v1", "bob", null);
            topology.commands();
            topology.events();

            topology.advanceTo(END_OF_START_DAY.plus(Duration.ofMinutes(5)));

            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.REDEEMING);
            assertThat(topology.commands()).isEmpty();

            topology.ledgerAnswers("v1", "/transfer", LedgerOutcome.TRANSFERRED, null);
            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.REDEEMED);
        }

        @Test
        void aRedemptionArrivingAfterTheEndButBeforeThePunctuationFindsTheVoucherExpired() {
            Instant halfwayBetweenPunctuations = topology.now().plus(Duration.ofMinutes(1)).plusMillis(500);
            topology.generate("v1", "alice", 100, "CNY", halfwayBetweenPunctuations);
            topology.ledgerAnswers("v1", "/freeze", LedgerOutcome.FROZEN, null);
            topology.commands();
            topology.events();
            topology.advanceTo(halfwayBetweenPunctuations.minusMillis(100));
            topology.advanceTo(halfwayBetweenPunctuations.plusMillis(100));
            assertThat(topology.stored("v1").getStatus()).as("no punctuation ran since the end").isEqualTo(VoucherStatus.UNUSED);

            topology.redeem("v1", "bob", null);

            List<VoucherEvent> events = topology.events();
            assertThat(types(events)).containsExactly(VoucherEventType.EXPIRED, VoucherEventType.REQUEST_REFUSED);
            assertRefused(events.get(1), "EXPIRED");
            assertThat(topology.commands()).extracting(LedgerCommand::getCommandId).containsExactly("v1/release");
            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.EXPIRED);
            assertThat(topology.expiryIndexSize()).isZero();
        }

        @Test
        void aPendingVoucherPastItsValidityIsIssuedByItsLateFreezeAndThenExpires() {
            topology.generate("v1", "alice", 100);
            topology.commands();
            topology.events();

            topology.advanceTo(END_OF_START_DAY.plus(PUNCTUATION_INTERVAL));
            assertThat(topology.stored("v1").getStatus()).as("pending: issued or rejected first").isEqualTo(VoucherStatus.PENDING);
            assertThat(topology.events()).extracting(event -> event.getType().name()).containsOnly("STALLED");

            topology.ledgerAnswers("v1", "/freeze", LedgerOutcome.FROZEN, null);
            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.UNUSED);
            topology.advance(PUNCTUATION_INTERVAL);

            assertThat(topology.events()).extracting(event -> event.getType().name()).containsExactly("ISSUED", "EXPIRED");
            assertThat(single(topology.commands()).getCommandId()).isEqualTo("v1/release");
            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.EXPIRED);
        }

        @Test
        void onlyDueVouchersExpire() {
            topology.issue("soon", "alice", 100);
            topology.generate("later", "alice", 100, "CNY", END_OF_START_DAY);
            topology.ledgerAnswers("later", "/freeze", LedgerOutcome.FROZEN, null);
            topology.send(io.qrvoucher.avro.VoucherRequest.newBuilder()
                    .setRequestId("r-short").setVoucherId("short").setCustomerId("alice").setRequestedAt(topology.now())
                    .setBody(new io.qrvoucher.avro.GenerateVoucher("acc-alice", 100L, "CNY",
                            topology.now().plus(Duration.ofMinutes(1)), hashOf(codeOf("short"))))
                    .build());
            topology.ledgerAnswers("short", "/freeze", LedgerOutcome.FROZEN, null);
            topology.events();

            topology.advance(Duration.ofMinutes(1).plus(PUNCTUATION_INTERVAL));

            assertThat(topology.events()).extracting(VoucherEvent::getVoucherId).containsExactly("short");
            assertThat(topology.stored("soon").getStatus()).isEqualTo(VoucherStatus.UNUSED);
        }
    }

    @Nested
    class Watchdog {

        @Test
        void aVoucherWhoseFreezeIsNeverAnsweredIsReportedStalledOnceAndListedUntilItMovesOn() {
            topology.generate("v1", "alice", 100_00);
            topology.events();

            topology.advance(STALLED_AFTER.minus(PUNCTUATION_INTERVAL));
            assertThat(topology.events()).isEmpty();

            topology.advance(PUNCTUATION_INTERVAL.multipliedBy(2));
            VoucherEvent stalled = single(topology.events());
            assertThat(stalled.getType()).isEqualTo(VoucherEventType.STALLED);
            assertThat(stalled.getEventId()).isEqualTo("v1/v1/stalled");
            assertThat(stalled.getVoucher().getStatus()).isEqualTo(VoucherStatus.PENDING);
            assertThat(stalled.getVoucher().getHoldState()).isEqualTo(HoldState.REQUESTED);
            assertThat(topology.stalledVouchers()).containsExactly("v1");
            assertThat(topology.metric(TopologyMetricNames.STALLED_TOTAL)).isEqualTo(1.0);

            topology.advance(STALLED_AFTER.multipliedBy(3));
            assertThat(topology.events()).as("reported once per stall").isEmpty();

            topology.ledgerAnswers("v1", "/freeze", LedgerOutcome.FROZEN, null);
            assertThat(single(topology.events()).getType()).isEqualTo(VoucherEventType.ISSUED);
            assertThat(topology.stalledVouchers()).isEmpty();
        }

        /** A backlog (a restore, a rebalance) hands generations over minutes late: their freezes have only just gone out. */
        @Test
        void aGenerationHandledLongAfterItWasAskedForIsNotReportedStalledAtOnce() {
            topology.send(new VoucherRequest("gen-v1", "v1", "alice", topology.now().minus(STALLED_AFTER.multipliedBy(2)),
                    new GenerateVoucher("acc-alice", 100_00L, "CNY", null, hashOf(codeOf("v1")))));
            assertThat(single(topology.events()).getType()).isEqualTo(VoucherEventType.REQUESTED);

            topology.advance(PUNCTUATION_INTERVAL.multipliedBy(2));
            assertThat(topology.events()).as("its freeze was sent just now").isEmpty();

            topology.advance(STALLED_AFTER);
            assertThat(single(topology.events()).getType()).as("and counts from then").isEqualTo(VoucherEventType.STALLED);
        }

        @Test
        void aRedemptionWhoseTransferIsNeverAnsweredIsReportedStalled() {
            topology.issue("v1", "alice", 100_00);
            topology.redeem("v1", "bob", null);
            topology.commands();
            topology.events();

            topology.advance(STALLED_AFTER.plus(PUNCTUATION_INTERVAL));

            VoucherEvent stalled = single(topology.events());
            assertThat(stalled.getType()).isEqualTo(VoucherEventType.STALLED);
            assertThat(stalled.getVoucher().getStatus()).isEqualTo(VoucherStatus.REDEEMING);
            assertThat(topology.stored("v1").getStatus()).as("a report changes nothing").isEqualTo(VoucherStatus.REDEEMING);
            assertThat(topology.commands()).isEmpty();
        }

        @Test
        void aReleaseNeverAnsweredAfterACancelIsReportedStalled() {
            topology.issue("v1", "alice", 100_00);
            topology.cancel("v1", "alice");
            topology.events();

            topology.advance(STALLED_AFTER.plus(PUNCTUATION_INTERVAL));

            VoucherEvent stalled = single(topology.events());
            assertThat(stalled.getType()).isEqualTo(VoucherEventType.STALLED);
            assertThat(stalled.getVoucher().getHoldState()).isEqualTo(HoldState.RELEASING);
        }

        @Test
        void aVoucherWhoseHoldIsSettledIsNeverReported() {
            topology.issue("v1", "alice", 100_00);
            topology.redeem("v1", "bob", null);
            topology.ledgerAnswers("v1", "/transfer", LedgerOutcome.TRANSFERRED, null);
            topology.events();

            topology.advance(STALLED_AFTER.multipliedBy(2));

            assertThat(topology.events()).isEmpty();
            assertThat(topology.stalledVouchers()).isEmpty();
        }
    }

    @Nested
    class LedgerDisagrees {

        @Test
        void aLedgerResultOfAVoucherTheTaskDoesNotHoldChangesNothing() {
            topology.ledgerAnswers("never-generated", "/freeze", LedgerOutcome.FROZEN, null);

            assertThat(topology.stored("never-generated")).isNull();
            assertThat(topology.events()).isEmpty();
            assertThat(topology.commands()).isEmpty();
            assertThat(topology.deadLetters()).isEmpty();
        }

        @Test
        void aReleaseAnsweredAlreadyCapturedCorrectsAFailedRedemptionToRedeemed() {
            topology.issue("v1", "alice", 500_00);
            topology.redeem("v1", "bob", 100_00L);
            topology.ledgerAnswers("v1", "/transfer", LedgerOutcome.TRANSFER_FAILED, "LEDGER_UNAVAILABLE");
            topology.events();

            topology.ledgerAnswers("v1", "/release", LedgerOutcome.RELEASE_REFUSED, "HOLD_ALREADY_CAPTURED");

            VoucherEvent corrected = single(topology.events());
            assertThat(corrected.getType()).isEqualTo(VoucherEventType.REDEEMED);
            assertThat(corrected.getReason()).isEqualTo("CAPTURED_AFTER_REPORTED_FAILURE");
            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.REDEEMED);
            assertThat(topology.stored("v1").getHoldState()).isEqualTo(HoldState.CAPTURED);
        }

        @Test
        void aReleaseAnsweredAlreadyCapturedForAVoucherNeverRedeemedIsFlaggedNotReleased() {
            topology.issue("v1", "alice", 500_00);
            topology.cancel("v1", "alice");
            topology.events();

            topology.ledgerAnswers("v1", "/release", LedgerOutcome.RELEASE_REFUSED, "HOLD_ALREADY_CAPTURED");

            VoucherEvent flagged = single(topology.events());
            assertThat(flagged.getType()).isEqualTo(VoucherEventType.LEDGER_MISMATCH);
            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.CANCELLED);
            assertThat(topology.stored("v1").getHoldState()).isEqualTo(HoldState.CAPTURED);
        }

        @Test
        void aReleaseOfAHoldTheLedgerNeverHadEndsReleasedQuietly() {
            topology.issue("v1", "alice", 500_00);
            topology.cancel("v1", "alice");
            topology.events();

            topology.ledgerAnswers("v1", "/release", LedgerOutcome.RELEASE_REFUSED, "HOLD_NOT_FOUND");

            assertThat(topology.events()).isEmpty();
            assertThat(topology.stored("v1").getHoldState()).isEqualTo(HoldState.RELEASED);
        }
    }

    @Nested
    class Reads {

        @Test
        void aRedeemedVoucherIsListedUnderItsPayerByCreationAndUnderItsPayeeByRedemption() {
            topology.issue("v1", "alice", 100);
            topology.advance(Duration.ofMinutes(5));
            topology.redeem("v1", "bob", null);
            topology.ledgerAnswers("v1", "/transfer", LedgerOutcome.TRANSFERRED, null);

            VoucherState redeemed = topology.stored("v1");
            Instant redeemedAt = redeemed.getRedemption().getRequestedAt();
            assertThat(redeemedAt).isAfter(redeemed.getCreatedAt());
            var index = topology.<String, byte[]>keyValueStore(VoucherTopology.CUSTOMER_VOUCHERS_STORE);
            assertThat(Vouchers.STATES.decode(index.get(CustomerVoucherIndex.key("alice",
                    CustomerVoucherIndex.Role.PAYER, redeemed.getCreatedAt(), "v1"))).getStatus())
                    .isEqualTo(VoucherStatus.REDEEMED);
            assertThat(Vouchers.STATES.decode(index.get(CustomerVoucherIndex.key("bob",
                    CustomerVoucherIndex.Role.PAYEE, redeemedAt, "v1"))).getStatus())
                    .isEqualTo(VoucherStatus.REDEEMED);
            try (var all = index.all()) {
                assertThat(all).toIterable().hasSize(2);
            }
        }

        /** The ledger answers most commands within milliseconds: the states that wait for it were half of all entries. */
        @Test
        void aVoucherTheLedgerAnswersWithinTheGraceIsListedOnlyInTheStatesItsAnswersLeaveIt() {
            topology.generate("v1", "alice", 100);
            assertThat(topology.customerIndexEntries()).as("pending its freeze").isEmpty();

            topology.ledgerAnswers("v1", "/freeze", LedgerOutcome.FROZEN, null);
            assertThat(topology.customerIndexEntries()).extracting(entry -> entry.value.getStatus())
                    .containsExactly(VoucherStatus.UNUSED);

            topology.redeem("v1", "bob", null);
            assertThat(topology.customerIndexEntries()).as("being redeemed").isEmpty();

            topology.ledgerAnswers("v1", "/transfer", LedgerOutcome.TRANSFERRED, null);
            VoucherState redeemed = topology.stored("v1");
            assertThat(topology.customerIndexEntries()).containsExactly(
                    new KeyValue<>(CustomerVoucherIndex.payerKey(redeemed), redeemed),
                    new KeyValue<>(CustomerVoucherIndex.payeeKey(redeemed).orElseThrow(), redeemed));

            topology.advance(VoucherTopology.DEFAULT_LISTING_GRACE.multipliedBy(3));
            assertThat(topology.customerIndexEntries()).as("nothing left to list").isEmpty();
        }

        /** Looked for every grace: a state is listed between one and two graces after it began, if it lasts. */
        @Test
        void aStateLeftWaitingOnTheLedgerForTheGraceIsListedOnceAndThenAsTheAnswerLeavesIt() {
            Duration grace = VoucherTopology.DEFAULT_LISTING_GRACE;
            Instant firstLook = topology.now().plus(grace);
            topology.advance(grace.dividedBy(4));
            topology.generate("v1", "alice", 100);
            topology.advanceTo(firstLook);
            topology.advanceTo(firstLook.plus(grace).minusMillis(1));
            assertThat(topology.customerIndexEntries()).as("not waited the grace at the first look").isEmpty();

            topology.advance(Duration.ofMillis(1));
            assertThat(topology.states()).extracting(VoucherState::getStatus).containsExactly(VoucherStatus.PENDING);

            topology.advance(grace.multipliedBy(3));
            assertThat(topology.customerIndexEntries()).as("listed once").isEmpty();

            topology.ledgerAnswers("v1", "/freeze", LedgerOutcome.FROZEN, null);
            topology.redeem("v1", "bob", null);
            topology.advance(grace.multipliedBy(2));
            VoucherState redeeming = topology.stored("v1");
            assertThat(topology.customerIndexEntries()).extracting(entry -> entry.value.getStatus()).as("payer, then payer and payee")
                    .containsExactly(VoucherStatus.UNUSED, VoucherStatus.REDEEMING, VoucherStatus.REDEEMING);

            topology.ledgerAnswers("v1", "/transfer", LedgerOutcome.TRANSFERRED, null);
            VoucherState redeemed = topology.stored("v1");
            assertThat(topology.customerIndexEntries()).containsExactly(
                    new KeyValue<>(CustomerVoucherIndex.payerKey(redeeming), redeemed),
                    new KeyValue<>(CustomerVoucherIndex.payeeKey(redeeming).orElseThrow(), redeemed));
        }

        /** The customer sees what happened to the voucher at once, not only once its money's last step is answered. */
        @Test
        void aVoucherCancelledIsListedCancelledWhileItsHoldIsReleased() {
            topology.issue("v1", "alice", 100);
            topology.customerIndexEntries();

            topology.cancel("v1", "alice");

            assertThat(topology.stored("v1").getHoldState()).isEqualTo(HoldState.RELEASING);
            assertThat(topology.states()).extracting(VoucherState::getStatus).containsExactly(VoucherStatus.CANCELLED);
        }

        @Test
        void aCustomersVouchersAreOneRangeOfTheIndexNewestFirst() {
            topology.issue("old", "alice", 100);
            topology.advance(Duration.ofMinutes(1));
            topology.issue("new", "alice", 100);
            topology.issue("other", "carol", 100);

            var index = topology.<String, byte[]>keyValueStore(VoucherTopology.CUSTOMER_VOUCHERS_STORE);
            List<String> listed = new java.util.ArrayList<>();
            try (var range = index.range(
                    CustomerVoucherIndex.lowerBound("alice", CustomerVoucherIndex.Role.PAYER,
                            Instant.parse("9999-01-01T00:00:00Z")),
                    CustomerVoucherIndex.upperBound("alice", CustomerVoucherIndex.Role.PAYER, Instant.EPOCH))) {
                range.forEachRemaining(entry -> listed.add(Vouchers.STATES.decode(entry.value).getVoucherId()));
            }
            assertThat(listed).containsExactly("new", "old");
        }

        @Test
        void aRefusedRequestIsKeptForItsRequesterToReadBack() {
            topology.issue("v1", "alice", 100);
            String refused = topology.redeem("v1", "bob", 200L);

            var refusals = topology.<String, byte[]>keyValueStore(VoucherTopology.REQUEST_REFUSALS);
            io.qrvoucher.avro.RequestRefusal refusal = RequestRefusals.REFUSALS.decode(refusals.get(refused));
            assertThat(refusal.getReason()).isEqualTo("AMOUNT_EXCEEDS_FACE_VALUE");
            assertThat(refusal.getCustomerId()).isEqualTo("bob");
            assertThat(refusal.getRedemption().getAmountMinor()).isEqualTo(200L);
            assertThat(refusal.getRedemption().getDestination()).isEqualTo(new OwnAccount("acc-bob"));
        }
    }

    @Nested
    class Retention {

        private static final Duration RETENTION = VoucherTopology.DEFAULT_FINAL_RETENTION;

        @Test
        void aRedeemedVoucherIsForgottenAFinalRetentionAfterItCameToRestWithItsListEntries() {
            topology.issue("v1", "alice", 100);
            topology.redeem("v1", "bob", null);
            topology.ledgerAnswers("v1", "/transfer", LedgerOutcome.TRANSFERRED, null);
            VoucherState redeemed = topology.stored("v1");
            String payerKey = CustomerVoucherIndex.payerKey(redeemed);
            String payeeKey = CustomerVoucherIndex.payeeKey(redeemed).orElseThrow();
            topology.customerIndexEntries(); // read: only what follows is looked at

            topology.advanceTo(redeemed.getUpdatedAt().plus(RETENTION).minusSeconds(60));
            assertThat(topology.stored("v1")).as("kept for the whole retention").isNotNull();

            topology.advance(Duration.ofMinutes(2));
            assertThat(topology.stored("v1")).isNull();
            assertThat(topology.customerIndexEntries()).containsExactlyInAnyOrder(
                    new KeyValue<>(payerKey, null), new KeyValue<>(payeeKey, null));
            assertThat(topology.keysOf(VoucherTopology.CUSTOMER_VOUCHERS_STORE)).isEmpty();
        }

        /**
         * The seal says the ingress sent a request, not when: a generation replayed onto the topic once its voucher is
         * forgotten made the voucher again, froze its money, and for one redeemed long ago ended in a false ledger
         * mismatch.
         */
        @Test
        void aGenerationReplayedAfterItsVoucherWasForgottenFreezesNothing() {
            VoucherRequest generation = new VoucherRequest(UUID.randomUUID().toString(), "v1", "alice", topology.now(),
                    new GenerateVoucher("acc-alice", 100L, "CNY", null,
                            VoucherTopologyFixture.hashOf(VoucherTopologyFixture.codeOf("v1"))));
            topology.send(generation);
            topology.ledgerAnswers("v1", "/freeze", LedgerOutcome.FROZEN, null);
            topology.redeem("v1", "bob", null);
            topology.ledgerAnswers("v1", "/transfer", LedgerOutcome.TRANSFERRED, null);
            topology.advanceTo(topology.stored("v1").getUpdatedAt().plus(RETENTION).plus(Duration.ofMinutes(2)));
            assertThat(topology.stored("v1")).as("forgotten").isNull();
            topology.commands();
            topology.events();

            topology.send(generation);

            assertThat(topology.commands()).as("no freeze").isEmpty();
            VoucherEvent rejected = single(topology.events());
            assertThat(rejected.getType()).isEqualTo(VoucherEventType.REJECTED);
            assertThat(rejected.getReason()).isEqualTo("VALIDITY_IN_PAST");
            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.REJECTED);
        }

        @Test
        void aVoucherIsKeptARetentionFromWhenItCameToRestNotFromWhenItWasMade() {
            topology.issue("v1", "alice", 100);
            Instant madeAt = topology.now();
            topology.cancel("v1", "alice");
            topology.advance(Duration.ofDays(10));
            topology.ledgerAnswers("v1", "/release", LedgerOutcome.RELEASED, null);
            Instant cameToRestAt = topology.stored("v1").getUpdatedAt();
            assertThat(cameToRestAt).isAfter(madeAt.plus(Duration.ofDays(9)));

            topology.advanceTo(madeAt.plus(RETENTION).plus(Duration.ofMinutes(2)));
            assertThat(topology.stored("v1")).isNotNull();

            topology.advanceTo(cameToRestAt.plus(RETENTION).plus(Duration.ofMinutes(2)));
            assertThat(topology.stored("v1")).isNull();
        }

        @Test
        void aVoucherWhoseMoneyIsStillInFlightIsNeverForgotten() {
            topology.generate("frozen-never-answered", "alice", 100);
            topology.issue("cancelled-release-unanswered", "alice", 100);
            topology.cancel("cancelled-release-unanswered", "alice");
            topology.issue("unused", "alice", 100);

            topology.advance(RETENTION.multipliedBy(3));

            assertThat(topology.stored("frozen-never-answered").getStatus()).isEqualTo(VoucherStatus.PENDING);
            assertThat(topology.stored("cancelled-release-unanswered").getHoldState())
                    .isEqualTo(HoldState.RELEASING);
            assertThat(topology.stored("unused").getStatus()).as("expired as the retention went by")
                    .isEqualTo(VoucherStatus.EXPIRED);
        }

        /**
         * A sweep goes on where it stopped from a bookmark kept in the store, written as a voucher at rest: a task
         * that starts (this release or the one before) does not count it among its vouchers to index.
         */
        @Test
        void theSweepsBookmarkIsNoVoucherToATaskThatStarts() {
            try (VoucherTopologyFixture slicedByTwo = new VoucherTopologyFixture(2)) {
                for (int i = 0; i < 5; i++) {
                    slicedByTwo.issue("v" + i, "alice", 100);
                    slicedByTwo.cancel("v" + i, "alice");
                    slicedByTwo.ledgerAnswers("v" + i, "/release", LedgerOutcome.RELEASED, null);
                }

                slicedByTwo.advance(RETENTION.plusMinutes(1));

                assertThat(slicedByTwo.keysOf(VoucherTopology.VOUCHER_STORE)).containsExactly("v2", "v3", "v4");
                byte[] bookmark = slicedByTwo.<String, byte[]>keyValueStore(VoucherTopology.VOUCHER_STORE)
                        .get(RetentionSweep.BOOKMARK_KEY);
                assertThat(AvroMapping.toDomain(Vouchers.STATES.decode(bookmark)).isAtRest()).isTrue();
                assertThat(slicedByTwo.buildIndexes()).isEqualTo(3);

                slicedByTwo.advance(Duration.ofMinutes(1));
                slicedByTwo.advance(Duration.ofMinutes(1));
                assertThat(slicedByTwo.keysOf(VoucherTopology.VOUCHER_STORE)).isEmpty();
            }
        }
    }

    @Nested
    class Settings {

        @Test
        void twoChangesSentAtOnceBothKeepTheirFields() {
            topology.changeSettings(confirmed("alice").setRedemptionMode(RedemptionMode.REDEEM_ON_SCAN).build());
            topology.changeSettings(change("alice").setDefaultGenerationAccountId("alice-cny").build());

            CustomerSettings settings = topology.settings("alice");
            assertThat(settings.getRedemptionMode()).isEqualTo(RedemptionMode.REDEEM_ON_SCAN);
            assertThat(settings.getDefaultGenerationAccountId()).isEqualTo("alice-cny");
            assertThat(settings.getStepUpPolicy()).as("untouched").isEqualTo(StepUpPolicy.EVERY_TIME);
            assertThat(settings.getVersion()).isEqualTo(2);
            assertThat(settings.getChangeOffset()).as("the offset of the change merged last").isEqualTo(1);
        }

        @Test
        void theFirstStepUpIsRecordedOnceAndAPolicyChangeDoesNotUndoIt() {
            Instant firstSignIn = topology.now().minusSeconds(30);
            topology.changeSettings(change("alice").setFirstStepUpAt(firstSignIn).build());
            topology.changeSettings(confirmed("alice").setStepUpPolicy(StepUpPolicy.FIRST_TIME_ONLY).build());
            topology.changeSettings(change("alice").setFirstStepUpAt(topology.now()).build());

            CustomerSettings settings = topology.settings("alice");
            assertThat(settings.getStepUpConfirmed()).isTrue();
            assertThat(settings.getLastStepUpAt()).isEqualTo(firstSignIn);
            assertThat(settings.getStepUpPolicy()).isEqualTo(StepUpPolicy.FIRST_TIME_ONLY);
        }

        @Test
        void settingsWrittenWholeBeforeAreAdoptedOnlyWhereNoneAreKnownWhileUpgrading() {
            try (VoucherTopologyFixture upgrading = VoucherTopologyFixture.adoptingLegacySettings()) {
                upgrading.legacySettings(CustomerSettings.newBuilder().setCustomerId("bob")
                        .setStepUpPolicy(StepUpPolicy.FIRST_TIME_ONLY).setVersion(7).setUpdatedAt(upgrading.now()).build());
                upgrading.changeSettings(SettingsChange.newBuilder().setChangeId("c1").setCustomerId("carol")
                        .setRequestedAt(upgrading.now()).setConfirmedBySignInAt(upgrading.now().minusSeconds(5))
                        .setRedemptionMode(RedemptionMode.REDEEM_ON_SCAN).build());
                upgrading.legacySettings(CustomerSettings.newBuilder().setCustomerId("carol")
                        .setRedemptionMode(RedemptionMode.SCAN_THEN_CONFIRM).setUpdatedAt(upgrading.now()).build());

                assertThat(upgrading.settings("bob").getStepUpPolicy()).isEqualTo(StepUpPolicy.FIRST_TIME_ONLY);
                assertThat(upgrading.settings("bob").getVersion()).isEqualTo(7);
                assertThat(upgrading.settings("carol").getRedemptionMode()).isEqualTo(RedemptionMode.REDEEM_ON_SCAN);
            }
        }

        /**
         * Nothing but a release before settings were merged wrote the legacy topic, and never sealed: whoever can write
         * it now could otherwise weaken the step-up of any customer who never changed their settings.
         */
        @Test
        void settingsOnTheLegacyTopicAreDeadLetteredAndAdoptedOnlyWhileUpgrading() {
            topology.legacySettings(CustomerSettings.newBuilder().setCustomerId("bob")
                    .setStepUpPolicy(StepUpPolicy.FIRST_TIME_ONLY).setRedemptionMode(RedemptionMode.REDEEM_ON_SCAN)
                    .setUpdatedAt(topology.now()).build());

            assertThat(header(single(topology.deadLetters()), DeadLetterHeaders.REASON))
                    .contains("voucher.adopt-legacy-settings");
            assertThat(topology.settings("bob")).isNull();
        }

        /**
         * The ingress let a weakening through against the settings it read (step-up already FIRST_TIME_ONLY) with no
         * fresh sign-in; a change merged before it made them stronger again.
         */
        @Test
        void aWeakeningSentWithoutAFreshSignInIsNotMergedIntoSettingsMadeStrongerMeanwhileNorAnythingSentWithIt() {
            topology.changeSettings(confirmed("alice").setStepUpPolicy(StepUpPolicy.FIRST_TIME_ONLY).build());
            topology.changeSettings(change("alice").setStepUpPolicy(StepUpPolicy.EVERY_TIME)
                    .setRedemptionMode(RedemptionMode.SCAN_THEN_CONFIRM).build());
            topology.changeSettings(change("alice").setStepUpPolicy(StepUpPolicy.FIRST_TIME_ONLY)
                    .setDefaultGenerationAccountId("alice-cny").build());
            topology.changeSettings(change("alice").setRedemptionMode(RedemptionMode.REDEEM_ON_SCAN)
                    .setDefaultRedemptionAccountId("alice-cny").build());

            CustomerSettings settings = topology.settings("alice");
            assertThat(settings.getStepUpPolicy()).isEqualTo(StepUpPolicy.EVERY_TIME);
            assertThat(settings.getRedemptionMode()).isEqualTo(RedemptionMode.SCAN_THEN_CONFIRM);
            // Refused for step-up, each is answered as having changed nothing, and so it did.
            assertThat(settings.getDefaultGenerationAccountId()).isNull();
            assertThat(settings.getDefaultRedemptionAccountId()).isNull();
            assertThat(settings.getChangeOffset()).as("merged, so that the ingress need not wait").isEqualTo(3);

            topology.changeSettings(confirmed("alice").setStepUpPolicy(StepUpPolicy.FIRST_TIME_ONLY).build());
            assertThat(topology.settings("alice").getStepUpPolicy()).isEqualTo(StepUpPolicy.FIRST_TIME_ONLY);
        }

        /**
         * Whoever can write the topic without being the ingress (a leaked credential, a too-wide ACL) could otherwise
         * say a weakening was confirmed by a fresh sign-in, and a stolen token would then need none.
         */
        @Test
        void aWeakeningWithoutTheIngressSealIsDeadLetteredAndWeakensNothing() {
            topology.changeSettingsUnsealed(confirmed("alice").setStepUpPolicy(StepUpPolicy.FIRST_TIME_ONLY)
                    .setFirstStepUpAt(topology.now()).setRedemptionMode(RedemptionMode.REDEEM_ON_SCAN).build());

            assertThat(header(single(topology.deadLetters()), DeadLetterHeaders.REASON)).contains("qr-signature");
            assertThat(topology.settings("alice")).isNull();

            topology.changeSettings(confirmed("alice").setStepUpPolicy(StepUpPolicy.FIRST_TIME_ONLY).build());
            assertThat(topology.settings("alice").getStepUpPolicy()).isEqualTo(StepUpPolicy.FIRST_TIME_ONLY);
        }

        /** A change sent with a fresh sign-in, as the ingress sends every weakening it lets through. */
        private SettingsChange.Builder confirmed(String customerId) {
            return change(customerId).setConfirmedBySignInAt(topology.now().minusSeconds(5));
        }

        private SettingsChange.Builder change(String customerId) {
            return SettingsChange.newBuilder().setChangeId(java.util.UUID.randomUUID().toString())
                    .setCustomerId(customerId).setRequestedAt(topology.now());
        }
    }

    @Nested
    class IdempotencyKeys {

        @Test
        void aKeyIsHeldByItsFirstClaimForTheClaimWindow() {
            topology.claim("k", "first");
            topology.advance(Duration.ofHours(23));
            topology.claim("k", "second");

            assertThat(topology.firstClaimOf("k")).isEqualTo("first");
        }

        /** Else the retry would be the key's next first claim, with ids of its own: a second voucher. */
        @Test
        void aRetryInTheWindowsLastSecondsDatedByAClockAheadStillFindsTheFirstClaim() {
            topology.claim("k", "first");
            topology.advance(Duration.ofHours(24).minusSeconds(10));
            topology.claimDatedAt("k", "retry", topology.now().plusSeconds(50));

            assertThat(topology.firstClaimOf("k")).isEqualTo("first");
        }

        @Test
        void aFirstClaimOutlivesItsWindowByTheClocksSkewInTheStore() {
            topology.claim("k", "first");
            topology.advance(Duration.ofHours(24).plusSeconds(50));

            assertThat(topology.firstClaimOf("k")).isEqualTo("first");
        }

        @Test
        void afterTheClaimWindowAndTheClocksSkewAKeysNextClaimIsItsFirst() {
            topology.claim("k", "first");
            topology.advance(VoucherTopology.claimsHeld(Duration.ofHours(24)).plusSeconds(1));
            topology.claim("k", "second");

            assertThat(topology.firstClaimOf("k")).isEqualTo("second");
        }

        /** Otherwise whoever can write the topic could take a customer's keys: their requests refused as reuses. */
        @Test
        void aClaimWithoutTheIngressSealIsDeadLetteredAndHoldsNoKey() {
            topology.claimUnsealed("k", "mallorys");

            assertThat(header(single(topology.deadLetters()), DeadLetterHeaders.REASON)).contains("qr-signature");
            assertThat(topology.firstClaimOf("k")).isNull();
            topology.claim("k", "alices");
            assertThat(topology.firstClaimOf("k")).isEqualTo("alices");
        }

        @Test
        void claimsLeaveTheStoreWhenTheirWindowEnds() {
            topology.claim("old", "a");
            topology.advance(Duration.ofHours(12));
            topology.claim("recent", "b");
            topology.advance(Duration.ofHours(12).plusMinutes(2));

            assertThat(topology.firstClaimOf("old")).isNull();
            assertThat(topology.firstClaimOf("recent")).isEqualTo("b");
        }

        @Test
        void aSweepLooksAtMoreClaimsThanItsLeastWhenTheStoreHoldsMoreThanOneWindowOfSlicesCanCover() {
            Duration held = VoucherTopology.claimsHeld(VoucherTopology.DEFAULT_CLAIM_WINDOW);
            long slicesPerWindow = held.dividedBy(RetentionSweep.INTERVAL);
            int claims = (int) (3 * slicesPerWindow);
            try (VoucherTopologyFixture leastOne = new VoucherTopologyFixture(1)) {
                for (int i = 0; i < claims; i++) {
                    leastOne.claim("k" + i, "r" + i);
                }
                leastOne.advance(held.plus(RetentionSweep.INTERVAL));

                // One sweep, every claim's window ended: a slice of the least, one claim, would leave claims - 1.
                assertThat(leastOne.keysOf(VoucherTopology.IDEMPOTENCY_CLAIMS)).hasSizeBetween(claims - 6, claims - 2);
            }
        }
    }

    @Nested
    class AbuseLimits {

        @Test
        void everyAttemptIsKeptApartByCustomerAndKindEvenTwoInOneMillisecond() {
            topology.attempt("mallory", AttemptKind.FAILED_REDEMPTION);
            topology.attempt("mallory", AttemptKind.FAILED_REDEMPTION);
            topology.advance(Duration.ofSeconds(5));
            topology.attempt("mallory", AttemptKind.PICTURE_UPLOAD);
            topology.attempt("alice", AttemptKind.FAILED_REDEMPTION);

            assertThat(topology.attemptsOf("mallory", AttemptKind.FAILED_REDEMPTION))
                    .containsExactly(VoucherTopologyFixture.START, VoucherTopologyFixture.START);
            assertThat(topology.attemptsOf("mallory", AttemptKind.PICTURE_UPLOAD))
                    .containsExactly(VoucherTopologyFixture.START.plusSeconds(5));
            assertThat(topology.attemptsOf("alice", AttemptKind.FAILED_REDEMPTION)).hasSize(1);
        }

        /** Dated at its own time, it moved the store's time ahead: attempts made at the right time were dropped. */
        @Test
        void anAttemptDatedFurtherAheadThanTheClocksMayBeCountsAsMadeAtThatEdge() {
            topology.sendAttempt("mallory", new CustomerAttempt("mallory", AttemptKind.FAILED_REDEMPTION,
                    topology.now().plus(Duration.ofHours(2))));
            topology.attempt("alice", AttemptKind.FAILED_REDEMPTION);

            assertThat(topology.attemptsOf("mallory", AttemptKind.FAILED_REDEMPTION))
                    .containsExactly(topology.now().plus(VoucherTopology.CLOCK_SKEW));
            assertThat(topology.attemptsOf("alice", AttemptKind.FAILED_REDEMPTION)).containsExactly(topology.now());
        }

        @Test
        void attemptsLeaveTheStoreOnceTheirRetentionHasPassed() {
            topology.attempt("mallory", AttemptKind.FAILED_REDEMPTION);
            topology.advance(VoucherTopology.DEFAULT_ATTEMPT_RETENTION.multipliedBy(3));
            topology.attempt("mallory", AttemptKind.FAILED_REDEMPTION);

            assertThat(topology.attemptsOf("mallory", AttemptKind.FAILED_REDEMPTION)).containsExactly(topology.now());
        }

        /** Otherwise whoever can write the topic could lock any customer out of redeeming with made-up failures. */
        @Test
        void anAttemptWithoutTheIngressSealIsDeadLetteredAndCountsNothing() {
            topology.sendAttemptUnsealed(new CustomerAttempt("alice", AttemptKind.FAILED_REDEMPTION, topology.now()));

            assertThat(header(single(topology.deadLetters()), DeadLetterHeaders.REASON)).contains("qr-signature");
            assertThat(topology.attemptsOf("alice", AttemptKind.FAILED_REDEMPTION)).isEmpty();
        }

        @Test
        void anAttemptKeyedByAnotherCustomerIsDeadLettered() {
            topology.sendAttempt("alice", new CustomerAttempt("mallory", AttemptKind.FAILED_REDEMPTION, topology.now()));

            assertThat(header(single(topology.deadLetters()), DeadLetterHeaders.REASON)).contains("not the id");
            assertThat(topology.attemptsOf("alice", AttemptKind.FAILED_REDEMPTION)).isEmpty();
        }
    }

    @Nested
    class BadInput {

        @Test
        void anUnreadableRequestGoesToTheDeadLetterTopicWithTheReasonAndProcessingGoesOn() {
            topology.sendRaw("v1".getBytes(StandardCharsets.UTF_8), "{\"not\":\"avro\"}".getBytes(StandardCharsets.UTF_8));
            topology.generate("v2", "alice", 100);

            TestRecord<byte[], byte[]> dead = single(topology.deadLetters());
            assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo("{\"not\":\"avro\"}");
            assertThat(header(dead, DeadLetterHeaders.REASON)).contains("VoucherRequest");
            assertThat(header(dead, DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo("voucher-requests");
            assertThat(header(dead, DeadLetterHeaders.SOURCE_OFFSET)).isEqualTo("0");
            assertThat(topology.stored("v2").getStatus()).isEqualTo(VoucherStatus.PENDING);
        }

        /** The lifecycle goes by a result's outcome: one under another kind's command id is not the ledger's answer. */
        @Test
        void aLedgerResultWhoseOutcomeIsNotOfItsCommandsKindIsDeadLetteredAndAppliesNothing() {
            topology.generate("v1", "alice", 100);

            topology.ledgerAnswers("v1", "/release", LedgerOutcome.FROZEN, null);

            assertThat(header(single(topology.deadLetters()), DeadLetterHeaders.REASON))
                    .contains("v1/release").contains("FROZEN").contains("v1/freeze");
            assertThat(topology.stored("v1").getStatus()).as("nothing was frozen").isEqualTo(VoucherStatus.PENDING);
        }

        @Test
        void aRequestKeyedByAnotherVoucherIsDeadLettered() {
            byte[] value = io.qrvoucher.schemas.AvroSerde.of(io.qrvoucher.avro.VoucherRequest.class).encode(
                    new io.qrvoucher.avro.VoucherRequest("r1", "v1", "alice", topology.now(),
                            new io.qrvoucher.avro.CancelVoucher()));

            topology.sendRaw("v2".getBytes(StandardCharsets.UTF_8), value);

            assertThat(header(single(topology.deadLetters()), DeadLetterHeaders.REASON)).contains("not the id");
            assertThat(topology.events()).isEmpty();
        }

        /**
         * The seal covers the key as it reads, and bytes that are not UTF-8 read as U+FFFD: two keys of different bytes,
         * on different partitions, would carry one seal. A key must be the UTF-8 of what it reads as.
         */
        @Test
        void aKeyThatIsNotUtf8IsDeadLetteredEvenWithAValidSeal() {
            String readAs = "v1\uFFFD";
            byte[] value = io.qrvoucher.schemas.AvroSerde.of(io.qrvoucher.avro.VoucherRequest.class).encode(
                    new io.qrvoucher.avro.VoucherRequest("r1", readAs, "alice", topology.now(),
                            new io.qrvoucher.avro.CancelVoucher()));

            topology.sendRaw(new byte[] {'v', '1', (byte) 0xFF}, value);

            assertThat(header(single(topology.deadLetters()), DeadLetterHeaders.REASON)).contains("not UTF-8");
            assertThat(topology.events()).isEmpty();
        }

        @Test
        void aRedemptionWithTheRightCodeHashButNoSealOfTheIngressIsDeadLetteredAndMovesNothing() {
            topology.issue("v1", "alice", 500_00);
            topology.commands();
            topology.events();

            topology.sendUnsealed(new io.qrvoucher.avro.VoucherRequest("r-forged", "v1", "mallory", topology.now(),
                    new io.qrvoucher.avro.RedeemVoucher(hashOf(codeOf("v1")), null,
                            new ExternalAccount("Mallory Bank", "Mallory", "666"))));

            TestRecord<byte[], byte[]> dead = single(topology.deadLetters());
            assertThat(header(dead, DeadLetterHeaders.REASON)).contains("qr-signature");
            assertThat(header(dead, DeadLetterHeaders.EXCEPTION)).isEqualTo(SecurityException.class.getName());
            assertThat(topology.commands()).isEmpty();
            assertThat(topology.events()).isEmpty();
            assertThat(topology.stored("v1").getStatus()).isEqualTo(VoucherStatus.UNUSED);
        }

        @Test
        void aRequestSealedWithAKeyVoucherStreamsDoesNotHoldIsDeadLettered() {
            io.qrvoucher.avro.VoucherRequest generate = new io.qrvoucher.avro.VoucherRequest("r1", "v1", "alice",
                    topology.now(), new io.qrvoucher.avro.GenerateVoucher("acc-alice", 100L, "CNY", null, hashOf("x")));
            org.apache.kafka.common.header.internals.RecordHeaders headers = new org.apache.kafka.common.header.internals.RecordHeaders();
            new io.qrvoucher.support.RequestSignatures("k1", java.util.Map.of("k1",
                    java.util.Base64.getEncoder().encodeToString(new byte[32])))
                    .sign(headers, "v1", io.qrvoucher.schemas.AvroSerde.of(io.qrvoucher.avro.VoucherRequest.class).encode(generate));

            topology.sendAsIs(generate, headers);

            assertThat(header(single(topology.deadLetters()), DeadLetterHeaders.REASON)).contains("does not match");
            assertThat(topology.stored("v1")).isNull();
        }

        @Test
        void anUnreadableLedgerResultIsDeadLettered() {
            topology.sendRawResult("v1".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xC3, 0x01, 1, 2});

            TestRecord<byte[], byte[]> dead = single(topology.deadLetters());
            assertThat(header(dead, DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo("ledger-results");
            assertThat(header(dead, DeadLetterHeaders.EXCEPTION)).isEqualTo(
                    org.apache.kafka.common.errors.SerializationException.class.getName());
        }

        /** Every state listed, the pending and redeeming ones too, as where the ledger is slow. */
        @Test
        void noTopicThatReadersSeeCarriesTheBearerCode() {
            try (VoucherTopologyFixture everyState = VoucherTopologyFixture.listingEveryState()) {
                everyState.issue("v1", "alice", 100);
                everyState.redeem("v1", "bob", null);
                everyState.ledgerAnswers("v1", "/transfer", LedgerOutcome.TRANSFERRED, null);

                String code = codeOf("v1");
                assertThat(everyState.events()).allSatisfy(event -> assertThat(event.toString()).doesNotContain(code));
                assertThat(everyState.states()).hasSize(4)
                        .allSatisfy(state -> assertThat(state.toString()).doesNotContain(code));
                assertThat(everyState.commands())
                        .allSatisfy(command -> assertThat(command.toString()).doesNotContain(code));
            }
        }
    }

    static String header(TestRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    static <T> T single(List<T> values) {
        assertThat(values).hasSize(1);
        return values.get(0);
    }

    static <T> T last(List<T> values) {
        assertThat(values).isNotEmpty();
        return values.get(values.size() - 1);
    }

    static List<VoucherEventType> types(List<VoucherEvent> events) {
        return events.stream().map(VoucherEvent::getType).toList();
    }

    static void assertRefused(VoucherEvent event, String reason) {
        assertThat(event.getType()).isEqualTo(VoucherEventType.REQUEST_REFUSED);
        assertThat(event.getReason()).isEqualTo(reason);
    }
}
