package io.qrvoucher.ingress.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

import io.qrvoucher.avro.HoldState;
import io.qrvoucher.avro.VoucherState;
import io.qrvoucher.avro.VoucherStatus;
import io.qrvoucher.ingress.codes.VoucherCodes;

/** How a voucher looks to its reader ({@link Representations}). */
class RepresentationsTest {

    private static final Instant END = Instant.parse("2026-12-04T16:00:00Z");

    private final VoucherCodes codes = new VoucherCodes("a-secret-of-at-least-thirty-two-bytes!".getBytes());

    /**
     * Its owner marks a voucher EXPIRED within a second of its end, later where many end at once (at midnight): in
     * between, its payer sees it expired and gets no code to show, as a payee's preview does.
     */
    @Test
    void anUnusedVoucherPastItsEndIsShownExpiredAndWithoutItsCodeBeforeItsOwnerMarksIt() {
        VoucherState unused = unusedVoucherEndingAt(END);

        Dtos.Voucher before = new Representations(codes, Clock.fixed(END.minusMillis(1), ZoneOffset.UTC), Duration.ofDays(7))
                .voucher(unused, "alice");
        Dtos.Voucher atTheEnd = new Representations(codes, Clock.fixed(END, ZoneOffset.UTC), Duration.ofDays(7)).voucher(unused, "alice");

        assertThat(before.status()).isEqualTo("UNUSED");
        assertThat(before.code()).isNotNull();
        assertThat(atTheEnd.status()).isEqualTo("EXPIRED");
        assertThat(atTheEnd.code()).isNull();
    }

    private VoucherState unusedVoucherEndingAt(Instant end) {
        String code = codes.codeOf("v1");
        return VoucherState.newBuilder()
                .setVoucherId("v1").setPayerCustomerId("alice").setAccountId("alice-cny")
                .setFaceValueMinor(10_00).setCurrency("CNY").setCodeHash(VoucherCodes.hashOf(code))
                .setStatus(VoucherStatus.UNUSED).setHoldState(HoldState.HELD)
                .setCreatedAt(end.minusSeconds(3600)).setExpiresAt(end).setUpdatedAt(end.minusSeconds(3600))
                .setVersion(2).setGenerateRequestId("g1")
                .build();
    }
}
