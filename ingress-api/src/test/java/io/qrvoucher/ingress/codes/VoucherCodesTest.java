package io.qrvoucher.ingress.codes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import org.junit.jupiter.api.Test;

class VoucherCodesTest {

    private final VoucherCodes codes = new VoucherCodes("a-secret-of-at-least-thirty-two-bytes!".getBytes());

    @Test
    void aCodeNamesItsVoucherAndIsTheSameEveryTime() {
        String voucherId = UUID.randomUUID().toString();

        String code = codes.codeOf(voucherId);

        assertThat(code).isEqualTo(codes.codeOf(voucherId)).startsWith("QRV1." + voucherId + ".");
        assertThat(codes.voucherIdOf(code)).contains(voucherId);
    }

    @Test
    void aTagCarriesAtLeast128Bits() {
        String code = codes.codeOf(UUID.randomUUID().toString());
        String tag = code.substring(code.lastIndexOf('.') + 1);

        assertThat(java.util.Base64.getUrlDecoder().decode(tag)).hasSizeGreaterThanOrEqualTo(16);
    }

    @Test
    void aForgedOrAlteredCodeIsNotGenuine() {
        String voucherId = UUID.randomUUID().toString();
        String code = codes.codeOf(voucherId);
        String otherVoucher = UUID.randomUUID().toString();
        VoucherCodes otherBank = new VoucherCodes("another-secret-of-at-least-32-bytes!!".getBytes());

        assertThat(codes.voucherIdOf(code.replace(voucherId, otherVoucher))).isEmpty();
        assertThat(codes.voucherIdOf(code.substring(0, code.length() - 2))).isEmpty();
        assertThat(codes.voucherIdOf(otherBank.codeOf(voucherId))).isEmpty();
        assertThat(codes.voucherIdOf("QRV1." + voucherId + ".%%%")).isEmpty();
        assertThat(codes.voucherIdOf("QRV1.not-a-uuid.AAAA")).isEmpty();
        assertThat(codes.voucherIdOf(null)).isEmpty();
        assertThat(codes.voucherIdOf("x".repeat(10_000))).isEmpty();
    }

    @Test
    void aCounterCodeIsTakenInItsStepAndTheNextButNotTwoStepsLater() {
        String voucherId = UUID.randomUUID().toString();
        Instant shown = Instant.parse("2026-11-30T10:00:05Z");

        String code = codes.counterCodeOf(voucherId, shown);

        assertThat(code).startsWith("QRC1." + voucherId + ".").isNotEqualTo(codes.codeOf(voucherId));
        assertThat(codes.counterCodeOf(voucherId, shown.plusSeconds(20))).as("the same within its step").isEqualTo(code);
        assertThat(codes.counterCodeOf(voucherId, shown.plusSeconds(30))).as("a new one each step").isNotEqualTo(code);
        VoucherCodes.CounterCode read = codes.asCounterCode(code).orElseThrow();
        assertThat(read.voucherId()).isEqualTo(voucherId);
        assertThat(read.isCurrentAt(shown)).isTrue();
        assertThat(read.isCurrentAt(shown.plusSeconds(54))).as("in the next step").isTrue();
        assertThat(read.isCurrentAt(shown.plusSeconds(55))).as("two steps later").isFalse();
        assertThat(read.isCurrentAt(shown.minusSeconds(30))).as("before it was shown").isFalse();
        assertThat(VoucherCodes.nextCounterStepAt(shown)).isEqualTo(Instant.parse("2026-11-30T10:00:30Z"));
    }

    @Test
    void aCounterCodeCannotBeForgedMovedToAnotherVoucherOrToAnotherStep() {
        String voucherId = UUID.randomUUID().toString();
        Instant now = Instant.parse("2026-11-30T10:00:05Z");
        String code = codes.counterCodeOf(voucherId, now);
        long step = now.getEpochSecond() / 30;
        VoucherCodes otherBank = new VoucherCodes("another-secret-of-at-least-32-bytes!!".getBytes());

        assertThat(codes.asCounterCode(code.replace(voucherId, UUID.randomUUID().toString()))).isEmpty();
        assertThat(codes.asCounterCode(code.replace("." + step + ".", "." + (step + 10) + "."))).isEmpty();
        assertThat(codes.asCounterCode(otherBank.counterCodeOf(voucherId, now))).isEmpty();
        assertThat(codes.asCounterCode(codes.codeOf(voucherId))).as("a bearer code is not a counter code").isEmpty();
        assertThat(codes.voucherIdOf(code)).as("nor a counter code a bearer code").isEmpty();
        assertThat(codes.asCounterCode("QRC1." + voucherId + ".-1.AAAA")).isEmpty();
        assertThat(codes.asCounterCode(null)).isEmpty();
    }

    @Test
    void aRedemptionIdNamesItsVoucherToItsRequesterOnly() {
        String voucherId = UUID.randomUUID().toString();
        String first = codes.redemptionId("bob", voucherId);
        String second = codes.redemptionId("bob", voucherId);

        assertThat(first).startsWith(voucherId + ".").isNotEqualTo(second);
        assertThat(codes.voucherOfRedemption(first, "bob")).contains(voucherId);
        assertThat(codes.voucherOfRedemption(first, "carol")).isEmpty();
        char last = first.charAt(first.length() - 1);
        assertThat(codes.voucherOfRedemption(first.substring(0, first.length() - 1) + (last == 'A' ? 'B' : 'A'), "bob"))
                .isEmpty();
        assertThat(codes.voucherOfRedemption(UUID.randomUUID() + first.substring(voucherId.length()), "bob")).isEmpty();
        assertThat(codes.voucherOfRedemption("not-an-id", "bob")).isEmpty();
    }

    private static final Duration A_DAY = Duration.ofDays(1);

    @Test
    void aVoucherIdIsWaitedForAsLongAsTheRecordingWindowSays() {
        Instant madeAt = Instant.parse("2026-12-04T10:00:00Z");
        String voucherId = codes.newVoucherId("alice", madeAt);

        assertThat(codes.mayBeUnrecorded(voucherId, "alice", madeAt.plus(Duration.ofDays(6)), Duration.ofDays(7))).isTrue();
        assertThat(codes.mayBeUnrecorded(voucherId, "alice", madeAt.plus(Duration.ofDays(8)), Duration.ofDays(7))).isFalse();
    }

    @Test
    void aVoucherIdStaysIssuedToItsPayerAcrossARotation() {
        byte[] first = "a-secret-of-at-least-thirty-two-bytes!".getBytes();
        Instant now = Instant.now();
        String voucherId = new VoucherCodes(first).newVoucherId("alice", now);

        VoucherCodes afterRotation = new VoucherCodes(first,
                java.util.Map.of("k2", "a-second-secret-of-at-least-32-bytes!".getBytes()), "k2");

        assertThat(afterRotation.mayBeUnrecorded(voucherId, "alice", now, A_DAY)).isTrue();
        assertThat(afterRotation.mayBeUnrecorded(afterRotation.newVoucherId("alice", now), "alice", now, A_DAY)).isTrue();
    }

    @Test
    void aNewVoucherIdIsAUuidKnownAsIssuedToItsPayerOnlyAndOnlyAroundTheDayItWasMade() {
        Instant madeAt = Instant.parse("2026-12-04T23:59:00Z");
        String voucherId = codes.newVoucherId("alice", madeAt);

        assertThat(UUID.fromString(voucherId).toString()).isEqualTo(voucherId);
        assertThat(UUID.fromString(voucherId).version()).isEqualTo(8);
        assertThat(UUID.fromString(voucherId).variant()).isEqualTo(2);
        assertThat(codes.newVoucherId("alice", madeAt)).isNotEqualTo(voucherId);
        assertThat(codes.mayBeUnrecorded(voucherId, "alice", madeAt, A_DAY)).isTrue();
        assertThat(codes.mayBeUnrecorded(voucherId, "alice", madeAt.plus(Duration.ofHours(23)), A_DAY))
                .as("the next day").isTrue();
        assertThat(codes.mayBeUnrecorded(voucherId, "alice", madeAt.minus(Duration.ofHours(25)), A_DAY))
                .as("the day before, on an instance whose clock is behind").isTrue();
        assertThat(codes.mayBeUnrecorded(voucherId, "alice", madeAt.plus(Duration.ofHours(25)), A_DAY))
                .as("two days on").isFalse();
        assertThat(codes.mayBeUnrecorded(voucherId, "alice", madeAt.plus(Duration.ofDays(3)), A_DAY))
                .as("days later: missing, it was forgotten").isFalse();
        assertThat(codes.mayBeUnrecorded(voucherId, "bob", madeAt, A_DAY)).isFalse();
        assertThat(new VoucherCodes("another-secret-of-at-least-32-bytes!!".getBytes())
                .mayBeUnrecorded(voucherId, "alice", madeAt, A_DAY)).isFalse();
        assertThat(codes.mayBeUnrecorded(UUID.randomUUID().toString(), "alice", madeAt, A_DAY)).isFalse();
        char last = voucherId.charAt(35);
        assertThat(codes.mayBeUnrecorded(voucherId.substring(0, 35) + (last == '0' ? '1' : '0'), "alice", madeAt,
                A_DAY)).isFalse();
        UUID made = UUID.fromString(voucherId);
        String madeThreeDaysLater = new UUID(made.getMostSignificantBits() + (3L << 48), made.getLeastSignificantBits())
                .toString();
        assertThat(codes.mayBeUnrecorded(madeThreeDaysLater, "alice", madeAt.plus(Duration.ofDays(3)), A_DAY))
                .as("an old id whose day is moved on: its tag no longer matches").isFalse();
    }

    @Test
    void theHashIsWhatTravelsNotTheCode() {
        String code = codes.codeOf(UUID.randomUUID().toString());

        assertThat(VoucherCodes.hashOf(code)).hasSize(64).doesNotContain(code);
    }

    @Test
    void aShortSecretIsRefused() {
        assertThatThrownBy(() -> new VoucherCodes("short".getBytes())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aRotatedKeyKeepsTheCodesOfUnusedVouchersGenuineAndShowsThemAgain() {
        byte[] first = "the-first-code-key-of-at-least-32-bytes".getBytes();
        byte[] second = "the-second-code-key-of-at-least-32-bytes".getBytes();
        VoucherCodes beforeRotation = new VoucherCodes(first);
        String voucherId = UUID.randomUUID().toString();
        String issued = beforeRotation.codeOf(voucherId);

        VoucherCodes afterRotation = new VoucherCodes(first, java.util.Map.of("k2", second), "k2");
        String newVoucherId = UUID.randomUUID().toString();
        String newCode = afterRotation.codeOf(newVoucherId);

        assertThat(afterRotation.voucherIdOf(issued)).contains(voucherId);
        assertThat(afterRotation.codeOf(voucherId, VoucherCodes.hashOf(issued))).contains(issued);
        assertThat(newCode).startsWith("QRV2.k2." + newVoucherId + ".");
        assertThat(afterRotation.voucherIdOf(newCode)).contains(newVoucherId);
        assertThat(afterRotation.codeOf(newVoucherId, VoucherCodes.hashOf(newCode))).contains(newCode);

        VoucherCodes oldKeyDropped = new VoucherCodes(null, java.util.Map.of("k2", second), "k2");
        assertThat(oldKeyDropped.voucherIdOf(issued)).as("a dropped key voids its codes").isEmpty();
        assertThat(oldKeyDropped.codeOf(voucherId, VoucherCodes.hashOf(issued))).isEmpty();
        assertThat(oldKeyDropped.voucherIdOf(newCode)).contains(newVoucherId);
        assertThat(oldKeyDropped.voucherIdOf(newCode.replace("QRV2.k2.", "QRV2.k3."))).isEmpty();
    }

    @Test
    void aRedemptionIdStaysTheCustomersAcrossARotation() {
        byte[] first = "the-first-code-key-of-at-least-32-bytes".getBytes();
        String voucherId = UUID.randomUUID().toString();
        String redemptionId = new VoucherCodes(first).redemptionId("bob", voucherId);

        VoucherCodes afterRotation = new VoucherCodes(first,
                java.util.Map.of("k2", "the-second-code-key-of-at-least-32-bytes".getBytes()), "k2");

        assertThat(afterRotation.voucherOfRedemption(redemptionId, "bob")).contains(voucherId);
        assertThat(afterRotation.voucherOfRedemption(redemptionId, "carol")).isEmpty();
    }
}
